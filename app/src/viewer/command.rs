//! What panels and windows ask the app to do. Panels own their state and borrow only what they show; anything
//! that reaches beyond them (opening, loading, saving, the AOI, the map) comes back as a [`Command`] that
//! [`super::FloeApp`] applies after the frame's UI is drawn, as rerun's command sender and egui's demo apps do.

use std::sync::Arc;

use floe_io::aoi::Aoi;

/// What a file the user saves is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// One layer's (or, with `None`, every layer's) points inside the AOI, as GeoParquet.
    Export { layer: Option<usize> },
    /// A granule layer's points inside the AOI, as GeoParquet, then checked against that granule (QA panel).
    ExportAndCheck { layer: usize },
    /// The AOI as GeoJSON.
    SaveAoi,
    /// What the map (or, with `profile`, the profile) shows, as a PNG with the legend drawn in.
    SaveImage { profile: bool },
}

impl Purpose {
    /// The file name offered first.
    pub fn file_name(self) -> &'static str {
        match self {
            Purpose::Export { .. } => "selection.parquet",
            Purpose::ExportAndCheck { .. } => "subset.parquet",
            Purpose::SaveAoi => "aoi.geojson",
            Purpose::SaveImage { profile: false } => "map.png",
            Purpose::SaveImage { profile: true } => "profile.png",
        }
    }

    /// The title of the "Save as" window.
    pub fn title(self) -> &'static str {
        match self {
            Purpose::Export { .. } => "Export to GeoParquet",
            Purpose::ExportAndCheck { .. } => "Export to GeoParquet and check it",
            Purpose::SaveAoi => "Save the AOI as GeoJSON",
            Purpose::SaveImage { profile: false } => "Save the map as PNG",
            Purpose::SaveImage { profile: true } => "Save the profile as PNG",
        }
    }

    /// The file type: its name and extension.
    pub fn filter(self) -> (&'static str, &'static str) {
        match self {
            Purpose::Export { .. } | Purpose::ExportAndCheck { .. } => ("GeoParquet", "parquet"),
            Purpose::SaveAoi => ("GeoJSON", "geojson"),
            Purpose::SaveImage { .. } => ("PNG", "png"),
        }
    }
}

#[derive(Debug)]
pub enum Command {
    /// Open an input by name (path, URL, `s3://…`; a `.geojson` path becomes the AOI).
    Open(String),
    /// Show the "Open URL" window.
    ShowOpenUrl,
    /// Save something: the desktop asks where first, the browser downloads it.
    Save(Purpose),
    /// Run `floe qa`'s checks on a layer's file.
    RunChecks {
        layer: usize,
    },
    ZoomTo {
        layer: usize,
    },
    RemoveLayer {
        layer: usize,
    },
    /// Show the map in this projection (the user chose it: automatic choice stops).
    SetProjection(floe_render::Projection),
    /// Set (or clear) the area of interest; every layer reloads through it.
    SetAoi(Option<Arc<Aoi>>),
    DismissNotice(usize),
    /// Open or close the profile panel.
    ToggleProfile,
    /// Load every layer again through these row filters.
    SetFilters(Vec<crate::row_filter::RowFilter>),
    /// Draw only the points that pass these filters (GPU uniforms; nothing reloads).
    SetMapFilters(Vec<super::MapFilter>),
    /// Copy the view's link (and say it in a notice).
    CopyLink,
    /// Show only the points inside this time window (UTC nanoseconds, both ends included), or all.
    SetTimeWindow(Option<(i64, i64)>),
}
