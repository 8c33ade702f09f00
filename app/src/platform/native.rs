//! The desktop: a tokio runtime for loads and exports, files written where the user said.

use std::future::Future;
use std::sync::Arc;

/// The multi-threaded tokio runtime that runs loads (object_store needs tokio).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::load::parallelism())
        .enable_all()
        .thread_name("floe-io")
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the loading threads: {e}"))
}

/// Where background work runs: the loading threads.
pub struct Tasks {
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Tasks {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { runtime: Arc::new(runtime()?) })
    }

    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }
}

/// Milliseconds since the viewer started.
/// Milliseconds of CPU the calling thread has used (its wall time where the system cannot say).
pub fn thread_cpu_ms() -> f64 {
    cpu_time::ThreadTime::try_now().map_or_else(|_| time_since_start_ms(), |t| t.as_duration().as_secs_f64() * 1000.0)
}

pub fn time_since_start_ms() -> f64 {
    static START: std::sync::OnceLock<web_time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(web_time::Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Where a copied view link points: `$FLOE_WEB_URL` (the address of a hosted Floe page), else `floe:`, which
/// `floe LINK` opens.
pub fn link_base() -> String {
    std::env::var("FLOE_WEB_URL").unwrap_or_else(|_| "floe:".to_owned())
}

/// The page's address follows the view in the browser; the desktop has no address bar.
pub const ADDRESS_FOLLOWS_VIEW: bool = false;

pub fn show_link(_query: &str) {}

/// Writes the exported rows as GeoParquet (atomically) and says where they went.
pub fn write_export(
    target: &SaveTarget,
    batch: &arrow_array::RecordBatch,
) -> anyhow::Result<floe_io::geoparquet::write::WriteSummary> {
    Ok(floe_io::geoparquet::write::write_geoparquet_file(target, &batch.schema(), std::slice::from_ref(batch))?)
}

/// How a saved file's destination is named in notices.
pub fn describe_target(target: &SaveTarget) -> String {
    target.display().to_string()
}

/// `Send` where tasks run on other threads (the desktop); nothing in the browser.
pub trait MaybeSend: Send {}
impl<T: Send> MaybeSend for T {}

/// The system's file dialog for *Open file…*: the paths picked (none when cancelled or when there is no dialog).
pub fn pick_files_to_open() -> Vec<String> {
    rfd::FileDialog::new()
        .add_filter("GeoParquet, Parquet, ICESat-2 HDF5", &["parquet", "geoparquet", "pq", "h5", "hdf5", "he5"])
        .add_filter("Area of interest (GeoJSON)", &["geojson", "json"])
        .add_filter("All files", &["*"])
        .pick_files()
        .unwrap_or_default()
        .iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect()
}

/// Where something the viewer saves goes: a file the user names in the "Save as" window.
pub type SaveTarget = std::path::PathBuf;

/// The file at a path the "Save as" window checked.
pub fn target_at(path: std::path::PathBuf) -> SaveTarget {
    path
}

/// The desktop always asks where to save (the "Save as" window), so there is no target without asking.
pub fn save_without_asking(_file_name: &str) -> Option<SaveTarget> {
    None
}

/// Writes bytes the viewer produced (an AOI, a checked export) to the file, atomically.
pub fn save_bytes(target: &SaveTarget, bytes: &[u8], _mime: &str) -> anyhow::Result<()> {
    floe_io::write_bytes_atomically(target, bytes)?;
    Ok(())
}

/// The system's "Save as" dialog: the path chosen, or `None` when cancelled or when the system has none.
pub fn pick_save_path(filter: (&str, &str), current: &std::path::Path) -> Option<std::path::PathBuf> {
    let (name, extension) = filter;
    let mut dialog = rfd::FileDialog::new().add_filter(name, &[extension]);
    if let Some(file_name) = current.file_name() {
        dialog = dialog.set_file_name(file_name.to_string_lossy());
    }
    if let Some(directory) = current.parent().filter(|d| d.is_dir()) {
        dialog = dialog.set_directory(directory);
    }
    dialog.save_file()
}

/// Runs CPU-heavy work (the QA checks) off the loading threads' async workers.
pub async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| anyhow::anyhow!("the work stopped: {e}"))
}

/// Nothing to set up: files come from egui's dropped paths and rfd.
pub fn install(_ctx: &egui::Context) {}

/// Files opened without a path (the browser's picker and drops); none on the desktop, where they have paths.
pub fn take_opened_files() -> Vec<std::sync::Arc<dyn floe_io::source::ByteSource>> {
    Vec::new()
}

/// A `.geojson` path opened in the viewer is an AOI: read it here. `None` for anything else.
pub fn read_aoi_file(input: &str) -> Option<Result<floe_io::aoi::Aoi, String>> {
    if !(input.ends_with(".geojson") || input.ends_with(".json")) {
        return None;
    }
    Some(floe_io::aoi::Aoi::read_file(input).map_err(|e| e.to_string()))
}

/// Opens an input by name: a path, `https://…`, `s3://…`.
pub async fn open_named(name: &str) -> floe_io::Result<std::sync::Arc<dyn floe_io::source::ByteSource>> {
    Ok(Arc::new(floe_io::source::open_input(name).await?))
}

/// The desktop reads whole files of any size for the QA checks.
pub fn check_whole_file_size(_source: &dyn floe_io::source::ByteSource) -> floe_io::Result<()> {
    Ok(())
}
