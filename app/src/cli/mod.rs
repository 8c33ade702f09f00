//! The command line: arguments (clap, here), [`main`] that dispatches them, the viewer's start-up, and one
//! module per command (`floe info/render/cat/subset/qa`). Desktop only.

pub mod cat;
pub mod index;
pub mod info;
pub mod profile;
mod progress_bar;
pub mod qa;
pub mod render;
pub mod subset;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::viewer::{AppOptions, FloeApp};

#[derive(Debug, Parser)]
#[command(
    name = "floe",
    version,
    about = "A GDAL-free viewer for satellite altimetry point data",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a GeoParquet file or dataset: rows, columns, geometry, CRS, bbox.
    Info(InfoArgs),
    /// Render inputs to a PNG without opening a window.
    Render(RenderArgs),
    /// Draw one track's along-track profile (height against distance) to a PNG with axes, without a window.
    Profile(ProfileArgs),
    /// Print the values of an HDF5 dataset.
    Cat(CatArgs),
    /// Cut an area of interest out of granules and GeoParquet inputs into one GeoParquet file.
    Subset(SubsetArgs),
    /// Check a GeoParquet file or dataset (e.g. a granule conversion): metadata, layout, values, and rows
    /// against the source granules.
    Qa(QaArgs),
    /// Write the spatial chunk index of granules: one row per stored chunk of every along-track dataset, with its
    /// rows, bytes, filter mask, time span and extent (GeoParquet).
    Index(IndexArgs),
}

#[derive(Clone, Debug, Args)]
pub struct IndexArgs {
    /// Granules (ATL03/06/08): paths, https:// or s3:// URLs; a directory or an s3:// prefix ending in `/` stands for
    /// every `.h5` granule under it.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// The GeoParquet file to write (atomically), a row group per granule; or, ending in `/`, a directory
    /// hive-partitioned by product (`DIR/product=ATL06/index.parquet`). Never one of the inputs.
    #[arg(long, short)]
    pub out: std::path::PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Also write kerchunk references (version 1, Zarr v2) of each granule's beams: a `.json` file for one granule,
    /// or a directory that gets `<granule>.json` for each.
    #[arg(long, value_name = "OUT.json|DIR")]
    pub kerchunk: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct QaArgs {
    /// A GeoParquet file, or a directory of them.
    pub input: String,
    /// Source granules the file was converted from (repeatable): rows and values are compared per beam.
    #[arg(long = "source", value_name = "GRANULE.h5")]
    pub sources: Vec<String>,
    /// The AOI the file was cut with: only source rows inside it are expected (GeoJSON, CRS84).
    #[arg(long, value_name = "FILE.geojson")]
    pub aoi: Option<String>,
    /// ATL03: the surface type whose `signal_conf_ph` the file holds (default: what `floe subset` recorded in
    /// the file, else land).
    #[arg(long)]
    pub surface: Option<String>,
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SubsetArgs {
    /// Granules (ATL03/06/08) and GeoParquet files or datasets: paths, https:// or s3:// URLs.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// The GeoParquet file to write (atomically: it appears only once complete). Never one of the inputs.
    #[arg(long, short)]
    pub out: std::path::PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Write an empty file when no row is selected (otherwise: a message and exit code 3).
    #[arg(long)]
    pub allow_empty: bool,
    /// Keep rows inside the polygons of this GeoJSON file (CRS84).
    #[arg(long, value_name = "FILE.geojson", conflicts_with = "bbox")]
    pub aoi: Option<String>,
    /// Keep rows inside this box (west > east: a box across the antimeridian).
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Columns to write besides latitude and longitude (default: all the input has).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Beams to keep: names (gt1l) or strengths (strong, weak); default: all.
    #[arg(long, value_delimiter = ',')]
    pub beams: Vec<String>,
    /// Drop rows where this column is null (repeatable); by default every row inside the AOI is kept.
    #[arg(long = "drop-null", value_name = "COLUMN")]
    pub drop_null: Vec<String>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Options shared by every command that opens inputs.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Use these columns as longitude,latitude (files without GeoParquet metadata).
    #[arg(long, value_name = "LON,LAT")]
    pub lonlat: Option<String>,
    /// Filter, repeatable: `COLUMN OP VALUE` with OP one of = != < <= > >= in (`--filter year>=2021`,
    /// `--filter "h_li > 1000"`, `--filter "gt in gt1l,gt2l"`, `--filter "time >= 2019-05-01"`). Hive partition keys
    /// prune partitions before listing; `floe subset` also keeps only the rows that pass every filter.
    #[arg(long = "filter", value_name = "COLUMN OP VALUE")]
    pub filters: Vec<String>,
    /// UTC time window START..END of the `time` column (dates or date-times; either end may be left open).
    #[arg(long, value_name = "START..END")]
    pub time: Option<String>,
    /// ATL03 surface type for signal_conf_ph: land, ocean, sea-ice, land-ice, inland-water.
    #[arg(long, default_value = "land")]
    pub surface: String,
    /// A spatial chunk index of the granules (`floe index`): an AOI or bbox reads only the chunks that meet it.
    #[arg(long, value_name = "INDEX.parquet")]
    pub index: Option<String>,
    /// Read without an index: neither `--index` nor the `<granule>.index.parquet` found next to a granule.
    #[arg(long)]
    pub no_index: bool,
}

#[derive(Debug, Args, Default)]
pub struct ViewArgs {
    /// Files, URLs (https://, s3://) or dataset directories to open. None: the embedded sample.
    pub inputs: Vec<String>,
    /// Column to colour by.
    #[arg(long)]
    pub color: Option<String>,
    /// Colormap: viridis, magma, inferno, plasma, cividis, turbo, brbg, rdbu, spectral.
    #[arg(long)]
    pub cmap: Option<String>,
    /// Do not fetch OpenStreetMap tiles; draw the embedded coastline only.
    #[arg(long)]
    pub offline: bool,
    /// Stop loading once the points in memory reach this many megabytes (default: no limit).
    #[arg(long, value_name = "MB")]
    pub memory_mb: Option<u64>,
    /// Map projection: auto (a pole's view when every point is poleward of 60°), mercator, north (EPSG:3413) or
    /// south (EPSG:3031); the top bar switches it at any time.
    #[arg(long, value_enum, default_value_t = ProjectionChoice::Auto)]
    pub projection: ProjectionChoice,
    /// Tiles under the polar views: a URL template with {z}, {y} (row), {x} (column) and {epsg} (3413 or 3031)
    /// on NASA GIBS's polar grid (default: GIBS Blue Marble). Not fetched with --offline.
    #[arg(long, value_name = "URL")]
    pub polar_tiles: Option<String>,
    /// Load only points inside the polygons of this GeoJSON file (also: open or drop a .geojson file).
    #[arg(long, value_name = "FILE.geojson")]
    pub aoi: Option<String>,
    /// Columns that make a track for the profile (default: rgt, cycle and the first of gt, track_id, spot, beam).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,…")]
    pub track_key: Vec<String>,
    /// Open the profile panel at start, on the first track (or on this one: `--profile "rgt 7 · cycle 3 · gt1l"`).
    #[arg(long, value_name = "TRACK", num_args = 0..=1, default_missing_value = "")]
    pub profile: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    pub input: String,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Add the requests and bytes fetched to read the metadata.
    #[arg(long)]
    pub stats: bool,
    /// List an HDF5 file's groups, datasets and attributes (a small h5ls).
    #[arg(long)]
    pub tree: bool,
    #[command(flatten)]
    pub options: InputArgs,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    /// An HDF5 file (path, https:// or s3://).
    pub input: String,
    /// The dataset, e.g. /gt1l/land_ice_segments/h_li.
    pub dataset: String,
    /// Rows A..B of the first dimension (B exclusive).
    #[arg(long, value_name = "A..B")]
    pub rows: Option<String>,
    /// Print a JSON array (2-D datasets: an array of rows).
    #[arg(long)]
    pub json: bool,
}

/// What is drawn under the points; `--basemap coastline,graticule` combines them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Basemap {
    None,
    #[default]
    Coastline,
    /// Parallels every 10°, meridians every 30°.
    Graticule,
}

/// The map projection of a view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ProjectionChoice {
    /// A pole's view when every point is poleward of 60°, Web Mercator otherwise.
    #[default]
    Auto,
    /// Web Mercator (EPSG:3857).
    Mercator,
    /// North polar stereographic (EPSG:3413: true scale at 70°N, central meridian 45°W).
    North,
    /// South polar stereographic (EPSG:3031: true scale at 71°S, central meridian 0°).
    South,
}

impl ProjectionChoice {
    /// The projection chosen, or `None` for `auto`.
    pub fn fixed(self) -> Option<floe_render::Projection> {
        match self {
            ProjectionChoice::Auto => None,
            ProjectionChoice::Mercator => Some(floe_render::Projection::Mercator),
            ProjectionChoice::North => Some(floe_render::Projection::North),
            ProjectionChoice::South => Some(floe_render::Projection::South),
        }
    }

    /// The projection, deciding `auto` from the lon/lat box (W, S, E, N) of what is drawn.
    pub fn resolve(self, bbox: [f64; 4]) -> floe_render::Projection {
        self.fixed().unwrap_or_else(|| floe_render::Projection::for_lonlat_box(bbox))
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Inputs to draw (`sample` for the embedded sample).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output PNG (written atomically; never one of the inputs).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Column to colour by (default: a known height column, else the first numeric one).
    #[arg(long)]
    pub color: Option<String>,
    #[arg(long, default_value = "viridis")]
    pub cmap: String,
    /// Value range MIN:MAX (default: 2nd–98th percentile).
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Image size WxH in pixels.
    #[arg(long, default_value = "1024x768", value_name = "WxH")]
    pub size: String,
    /// Area to draw W,S,E,N in degrees (default: the data's extent). Points outside are not read.
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Map projection.
    #[arg(long, value_enum, default_value_t = ProjectionChoice::Auto)]
    pub projection: ProjectionChoice,
    /// Area to draw XMIN,YMIN,XMAX,YMAX in projected metres of a polar view (EPSG:3413 or EPSG:3031 x, y).
    #[arg(long, value_name = "XMIN,YMIN,XMAX,YMAX", allow_hyphen_values = true)]
    pub extent: Option<String>,
    /// Under the points: none, coastline, graticule, or several separated by commas.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "coastline")]
    pub basemap: Vec<Basemap>,
    /// Point diameter in pixels.
    #[arg(long, default_value_t = 3.0)]
    pub point_size: f32,
    /// Leave the legend (the colour column's name, colour bar and range, bottom right) out of the image; it is
    /// drawn only in images of at least 320x200.
    #[arg(long)]
    pub no_legend: bool,
    #[command(flatten)]
    pub options: InputArgs,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Inputs on the same track (`sample` for the embedded sample): the first is coloured by a column, the others
    /// are overlaid in solid colours (ATL06 segments over ATL03 photons).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output PNG (written atomically; never one of the inputs).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// The beam of the track: gt1l … gt3r (or the value of the data's beam column).
    #[arg(long)]
    pub beam: Option<String>,
    /// Narrow the track down by a key column, repeatable: `--track rgt=1234 --track cycle=12`.
    #[arg(long = "track", value_name = "KEY=VALUE")]
    pub track: Vec<String>,
    /// Columns that make a track (default: rgt, cycle and the first of gt, track_id, spot, beam).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,…")]
    pub track_key: Vec<String>,
    /// The x axis: x_atc (along-track distance; the geodesic distance where the data have none), time or lat.
    #[arg(long, default_value = "x_atc")]
    pub x: String,
    /// The y axis column (default: the product's height: h_ph, h_li, h_te_best_fit, h_canopy, h_mean, height).
    #[arg(long)]
    pub y: Option<String>,
    /// Column to colour the first input by (default: the y column).
    #[arg(long)]
    pub color: Option<String>,
    #[arg(long, default_value = "viridis")]
    pub cmap: String,
    /// Colour range MIN:MAX (default: 2nd–98th percentile of the track).
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Only this stretch of the x axis, MIN:MAX in its units (metres of x_atc, degrees, or seconds since 1970);
    /// the y axis fits the points inside it.
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub xrange: Option<String>,
    /// Image size WxH in pixels (axes and legend included).
    #[arg(long, default_value = "1200x500", value_name = "WxH")]
    pub size: String,
    /// Point diameter in pixels.
    #[arg(long, default_value_t = 2.0)]
    pub point_size: f32,
    #[command(flatten)]
    pub options: InputArgs,
}

impl InputArgs {
    /// Every `--filter`, as row filters.
    pub fn row_filters(&self) -> anyhow::Result<Vec<crate::row_filter::RowFilter>> {
        self.filters.iter().map(|f| crate::row_filter::RowFilter::parse(f)).collect()
    }

    /// Every `--filter`, and `--time` as filters on the `time` column: what a load keeps.
    pub fn load_filters(&self) -> anyhow::Result<Vec<crate::row_filter::RowFilter>> {
        let mut filters = self.row_filters()?;
        if let Some(text) = &self.time {
            filters.extend(crate::row_filter::time_filters(text)?);
        }
        Ok(filters)
    }

    pub fn dataset_options(&self) -> anyhow::Result<floe_io::DatasetOptions> {
        self.dataset_options_for(None)
    }

    /// The options of a read of `area`: of a `--index` catalog, only the granules that meet it are read.
    pub fn dataset_options_for(&self, area: Option<floe_io::LonLatBox>) -> anyhow::Result<floe_io::DatasetOptions> {
        let lonlat_columns = match &self.lonlat {
            Some(text) => {
                let (lon, lat) = text
                    .split_once(',')
                    .ok_or_else(|| anyhow::anyhow!("--lonlat `{text}`: expected two column names LON,LAT"))?;
                Some((lon.trim().to_owned(), lat.trim().to_owned()))
            }
            None => None,
        };
        // Every comparison may be on a partition key (the listing ignores the others); `in` lists filter rows only.
        let partition_filters =
            self.row_filters()?.iter().filter_map(crate::row_filter::RowFilter::partition_filter).collect();
        let surface = parse_surface(&self.surface)?;
        // `--index`: read once, shared by every read of the run.
        let index = match (&self.index, self.no_index) {
            (Some(path), false) => {
                // A file, or a catalog directory partitioned by product (`floe index --out DIR/`).
                let files = index_files(std::path::Path::new(path));
                let lookup = crate::runtime()?.block_on(async {
                    let mut lookup = floe_io::icesat2::IndexLookup::default();
                    for file in files.iter().map(String::as_str).chain(files.is_empty().then_some(path.as_str())) {
                        let source = floe_io::source::open_input(file).await?;
                        lookup
                            .extend(floe_io::icesat2::IndexLookup::read_for(std::sync::Arc::new(source), area).await?);
                    }
                    Ok::<_, floe_io::IoError>(lookup)
                })?;
                Some(std::sync::Arc::new(lookup))
            }
            _ => None,
        };
        Ok(floe_io::DatasetOptions {
            open: floe_io::OpenOptions { lonlat_columns },
            partition_filters,
            surface,
            index,
            no_index: self.no_index,
        })
    }
}

/// The Parquet files under a local directory (sorted); empty when `path` is no directory.
fn index_files(path: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    // Bounded: a catalog is a few levels of product partitions, never a symlink loop's worth.
    while let Some(dir) = pending.pop().filter(|_| files.len() < 10_000) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() && pending.len() < 1_000 => pending.push(path),
                Ok(kind) if kind.is_file() && path.extension().is_some_and(|e| e == "parquet") => {
                    files.push(path.to_string_lossy().into_owned())
                }
                _ => {}
            }
        }
    }
    files.sort();
    files
}

/// Parses `--surface` (ATL03 `signal_conf_ph` column).
pub fn parse_surface(name: &str) -> anyhow::Result<floe_io::icesat2::Surface> {
    floe_io::icesat2::Surface::parse(name)
        .ok_or_else(|| anyhow::anyhow!("--surface `{name}`: expected land, ocean, sea-ice, land-ice or inland-water"))
}

/// Parses `MIN:MAX`.
pub fn parse_range(text: &str) -> anyhow::Result<(f32, f32)> {
    let (lo, hi) = text.split_once(':').ok_or_else(|| anyhow::anyhow!("--range `{text}`: expected MIN:MAX"))?;
    let parse =
        |v: &str| v.trim().parse::<f32>().map_err(|_| anyhow::anyhow!("--range `{text}`: `{v}` is not a number"));
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    anyhow::ensure!(lo < hi, "--range `{text}`: MIN must be less than MAX");
    Ok((lo, hi))
}

/// Parses `WxH`.
pub fn parse_size(text: &str) -> anyhow::Result<[u32; 2]> {
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(|| anyhow::anyhow!("--size `{text}`: expected WxH"))?;
    let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|v| (16..=8192).contains(v));
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok([w, h]),
        _ => anyhow::bail!("--size `{text}`: width and height must be whole numbers from 16 to 8192"),
    }
}

/// Runs the command the arguments name, or the viewer; exits with its status.
pub fn main() {
    // `floe cat … | head`: a closed stdout ends the program quietly instead of with a panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("failed printing to stdout") {
            std::process::exit(0);
        }
        // The parquet crate's panics on malformed data are caught and reported as the file's error: no crash report.
        if floe_io::panic_is_caught() {
            log::debug!("caught: {info}");
            return;
        }
        default_hook(info);
    }));
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn,floe=info")).init();
    // An interrupted run leaves no temporary file behind (its output was never moved into place). 130: the
    // shell's code for a run ended by SIGINT.
    if let Err(e) = ctrlc::set_handler(|| {
        floe_io::remove_pending_files();
        std::process::exit(130);
    }) {
        log::warn!("cannot catch Ctrl-C ({e}): an interrupted write may leave a temporary file");
    }
    // A write past `ulimit -f` raises SIGXFSZ, whose default action kills the process mid-write (its temporary
    // file left behind). With the signal caught, the write fails with EFBIG instead and is undone like any other
    // failed write.
    #[cfg(unix)]
    if let Err(e) = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    ) {
        log::warn!("cannot catch SIGXFSZ ({e}): a write past the file-size limit may leave a temporary file");
    }
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Render(_) | Command::Profile(_))) {
        quiet_headless_vulkan();
    }
    let result = match &cli.command {
        Some(Command::Info(args)) => info::run(args),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Profile(args)) => profile::run(args),
        Some(Command::Cat(args)) => cat::run(args),
        Some(Command::Subset(args)) => subset::run(args),
        Some(Command::Qa(args)) => qa::run(args),
        Some(Command::Index(args)) => index::run(args),
        None => run_viewer(cli.view),
    };
    if let Err(error) = result {
        eprintln!("error: {}", crate::user_message(&error));
        let empty = error.downcast_ref::<crate::output::EmptyOutput>().is_some();
        std::process::exit(if empty { crate::output::EmptyOutput::EXIT_CODE } else { 1 });
    }
}

fn run_viewer(args: ViewArgs) -> anyhow::Result<()> {
    let cmap = match &args.cmap {
        Some(name) => {
            Some(floe_render::Colormap::from_name(name).ok_or_else(|| anyhow::anyhow!("unknown colormap `{name}`"))?)
        }
        None => None,
    };
    let mut options = AppOptions {
        inputs: args.inputs.clone(),
        color: args.color.clone(),
        cmap,
        tiles: !args.offline,
        dataset: args.input.dataset_options()?,
        memory_budget: args.memory_mb.map(|mb| mb.saturating_mul(1_000_000)),
        polar_tiles: args.polar_tiles.clone(),
        projection: args.projection.fixed(),
        track_key: crate::points::TrackKey { columns: args.track_key.clone() },
        profile: args.profile.clone(),
        filters: args.input.load_filters()?,
        aoi: match &args.aoi {
            Some(path) => Some(std::sync::Arc::new(floe_io::aoi::Aoi::read_file(path)?)),
            None => None,
        },
        ..AppOptions::default()
    };
    // `floe LINK`: a view link copied from the page or the desktop reopens that view.
    if let [link] = args.inputs.as_slice()
        && crate::view_link::ViewLink::is_link(link)
    {
        options = options.with_link(crate::view_link::ViewLink::parse(link)?);
    }
    let native_options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]).with_title("Floe"),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native("Floe", native_options, Box::new(|cc| Ok(Box::new(FloeApp::new(cc, options)?))))
        .map_err(|e| anyhow::anyhow!("the viewer window failed: {e}"))
}

/// Mesa's `VK_LAYER_MESA_device_select` connects to Wayland to find the display's GPU, and libwayland prints
/// "error: XDG_RUNTIME_DIR is invalid or not set" twice where there is none (ssh, containers, CI). A headless render
/// has no display to match, so the layer is switched off through its documented `NODEVICE_SELECT` variable (its
/// manifest's `disable_environment`); a value the user set is kept.
fn quiet_headless_vulkan() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called from `main` before any thread is started (no runtime, no renderer, no logger thread), so
        // nothing can read the environment concurrently.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}
