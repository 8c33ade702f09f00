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
pub fn time_since_start_ms() -> f64 {
    static START: std::sync::OnceLock<web_time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(web_time::Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Where an export goes: the file the user named in the Save-as window.
pub type ExportTarget = std::path::PathBuf;

/// Writes the exported rows as GeoParquet (atomically) and says where they went.
pub fn write_export(
    target: &ExportTarget,
    batch: &arrow_array::RecordBatch,
) -> anyhow::Result<floe_io::geoparquet::write::WriteSummary> {
    Ok(floe_io::geoparquet::write::write_geoparquet_file(target, &batch.schema(), std::slice::from_ref(batch))?)
}

/// How an export's destination is named in notices.
pub fn describe_target(target: &ExportTarget) -> String {
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
