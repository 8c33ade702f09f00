//! Picking: the point under a click on the map, and the window that lists what is known of it (layer, lon/lat,
//! beam, every loaded column). The window owns what it shows; the app hands it a new pick.

use super::Layer;

/// How far from a click a point may be and still be picked, in ui points.
pub const PICK_RADIUS_POINTS: f64 = 6.0;

/// A picked point: its layer and what the layer knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct PickedPoint {
    pub layer_id: u64,
    pub layer_name: String,
    /// The point's index in its layer's loaded rows.
    pub point: usize,
    /// The file it came from and its row there (in its beam's datasets for granules), when known.
    pub source_row: Option<(String, u64)>,
    /// Its beam, for granule points.
    pub beam: Option<String>,
    pub attributes: Vec<(String, String)>,
    /// Every column of that row, read from the file afterwards (GeoParquet): `None` until read.
    pub row_columns: Option<Result<Vec<(String, String)>, String>>,
}

/// The nearest shown point to `world` within `radius` (world units), over every layer; later layers are drawn on
/// top and win ties.
pub fn pick(layers: &[Layer], world: [f64; 2], radius: f64) -> Option<PickedPoint> {
    nearest(layers, world, radius).map(|(layer, point)| picked_point(layer, point))
}

/// The layer and point [`pick`] picks, without reading anything of it (the hover runs this every frame).
pub fn nearest(layers: &[Layer], world: [f64; 2], radius: f64) -> Option<(&Layer, usize)> {
    let mut best: Option<(&Layer, usize, f64)> = None;
    for layer in layers {
        if let Some((point, distance)) = layer.nearest(world, radius)
            && best.is_none_or(|(_, _, d)| distance <= d)
        {
            best = Some((layer, point, distance));
        }
    }
    best.map(|(layer, point, _)| (layer, point))
}

/// What the *Point* window shows of loaded point `point` of `layer`.
pub fn picked_point(layer: &Layer, point: usize) -> PickedPoint {
    PickedPoint {
        layer_id: layer.id,
        layer_name: layer.name.clone(),
        point,
        source_row: layer.source_row(point).map(|(source, row)| (source.to_string(), row)),
        beam: layer.point_beam(point).map(str::to_owned),
        attributes: layer.attributes(point),
        row_columns: None,
    }
}

/// Everything the file holds for row `row` of `source` (part of `input`), for the *Point* window: every column of a
/// GeoParquet file, every dataset of a granule beam's product group that runs along `beam`'s points. The scene
/// answers `None`: its points carry all it has.
pub async fn read_row_columns(
    input: crate::load::Input,
    source: String,
    row: u64,
    beam: Option<String>,
    options: floe_io::DatasetOptions,
) -> Option<Result<Vec<(String, String)>, String>> {
    let opened = match input.open(&options).await {
        Ok(opened) => opened,
        Err(e) => return Some(Err(e.to_string())),
    };
    match opened {
        floe_io::PointSource::GeoParquet(dataset) => {
            let file = dataset.files.iter().find(|f| *f.file.location == *source).or(dataset.files.first())?;
            Some(file.file.read_row(row).await.map_err(|e| e.to_string()))
        }
        floe_io::PointSource::Granule { granule, .. } => {
            Some(granule.row_values(&beam?, row).await.map_err(|e| e.to_string()))
        }
        // FlatGeobuf points carry every property already; the scene has no file.
        floe_io::PointSource::Scene(_) | floe_io::PointSource::FlatGeobuf(_) => None,
    }
}

/// The "Point" window.
#[derive(Default)]
pub struct PickWindow {
    pub picked: Option<PickedPoint>,
}

impl PickWindow {
    pub fn show_ui(&mut self, ctx: &egui::Context) {
        let Some(picked) = &self.picked else { return };
        let mut open = true;
        egui::Window::new("Point").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            match &picked.source_row {
                Some((_, row)) => ui.strong(format!("{}, row {row}", picked.layer_name)),
                None => ui.strong(format!("{}, loaded point {}", picked.layer_name, picked.point)),
            };
            egui::Grid::new("picked").striped(true).show(ui, |ui| {
                for (name, value) in &picked.attributes {
                    ui.label(name);
                    ui.monospace(value);
                    ui.end_row();
                }
            });
            match &picked.row_columns {
                Some(Ok(columns)) => {
                    ui.separator();
                    ui.label("Everything the file holds for this row");
                    egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                        egui::Grid::new("row columns").striped(true).show(ui, |ui| {
                            for (name, value) in columns {
                                ui.label(name);
                                ui.monospace(value);
                                ui.end_row();
                            }
                        });
                    });
                }
                Some(Err(message)) => {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                }
                None => {}
            }
        });
        if !open {
            self.picked = None;
        }
    }
}
