//! The browser: tasks on the page's event loop, the page's clock, exports as downloads.

use std::future::Future;

/// The file name of an export in the browser.
const EXPORT_NAME: &str = "selection.parquet";

/// Where background work runs: the page's event loop (JS futures are not `Send`).
pub struct Tasks;

impl Tasks {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self)
    }

    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(task);
    }
}

/// Milliseconds since the page started loading.
pub fn time_since_start_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Where an export goes: a download named `selection.parquet`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportTarget;

/// Writes the exported rows as GeoParquet into memory and hands them to the browser as a download.
pub fn write_export(
    _target: &ExportTarget,
    batch: &arrow_array::RecordBatch,
) -> anyhow::Result<floe_io::geoparquet::write::WriteSummary> {
    let mut bytes = Vec::new();
    let summary = floe_io::geoparquet::write::write_geoparquet(
        &mut bytes,
        EXPORT_NAME,
        &batch.schema(),
        std::slice::from_ref(batch),
    )?;
    super::web_files::download(EXPORT_NAME, &bytes, "application/vnd.apache.parquet").map_err(anyhow::Error::msg)?;
    Ok(summary)
}

/// How an export's destination is named in notices.
pub fn describe_target(_target: &ExportTarget) -> String {
    format!("{EXPORT_NAME} (downloaded)")
}

/// `Send` where tasks run on other threads (the desktop); nothing in the browser.
pub trait MaybeSend {}
impl<T> MaybeSend for T {}

/// *Open file…* in the browser: opens the page's file picker; the files arrive later through
/// [`super::web_files::take`], as dropped files do. Returns no path.
pub fn pick_files_to_open() -> Vec<String> {
    super::web_files::pick();
    Vec::new()
}
