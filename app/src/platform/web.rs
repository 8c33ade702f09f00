//! The browser: tasks on the page's event loop, the page's clock, exports as downloads.

use std::future::Future;

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
/// The page's one thread: its wall time is what a frame waits for.
pub fn thread_cpu_ms() -> f64 {
    time_since_start_ms()
}

pub fn time_since_start_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The page's own address without its query: where a copied view link points.
pub fn link_base() -> String {
    web_sys::window()
        .map(|w| w.location())
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default()
}

/// The page's address follows the view (see [`show_link`]).
pub const ADDRESS_FOLLOWS_VIEW: bool = true;

/// Replaces the page's query with the view's (no new history entry), so the address bar is the view's link.
pub fn show_link(query: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(history) = window.history() else { return };
    // The page's own parameters (`tiles`, `backend`, `memory_mb`, …) stay.
    let search = window.location().search().unwrap_or_default();
    let own: Vec<String> = form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .filter(|(key, _)| !crate::view_link::is_view_key(key))
        .map(|(key, value)| form_urlencoded::Serializer::new(String::new()).append_pair(&key, &value).finish())
        .collect();
    let address = format!("?{}", own.into_iter().chain([query.to_owned()]).collect::<Vec<_>>().join("&"));
    if history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address)).is_err() {
        log::warn!("floe: the page's address could not follow the view");
    }
}

/// Where something the viewer saves goes: a download of this name.
#[derive(Clone, Debug)]
pub struct SaveTarget {
    pub name: String,
}

/// A path typed in the "Save as" window (which the browser does not open) names the download.
pub fn target_at(path: std::path::PathBuf) -> SaveTarget {
    let name = path.file_name().map_or_else(|| "download".to_owned(), |n| n.to_string_lossy().into_owned());
    SaveTarget { name }
}

/// The browser never asks where to save: everything is a download.
pub fn save_without_asking(file_name: &str) -> Option<SaveTarget> {
    Some(SaveTarget { name: file_name.to_owned() })
}

/// Hands bytes the viewer produced to the browser as a download.
pub fn save_bytes(target: &SaveTarget, bytes: &[u8], mime: &str) -> anyhow::Result<()> {
    super::web_files::download(&target.name, bytes, mime).map_err(anyhow::Error::msg)
}

/// Writes the exported rows as GeoParquet into memory and hands them to the browser as a download.
pub fn write_export(
    target: &SaveTarget,
    batch: &arrow_array::RecordBatch,
) -> anyhow::Result<floe_io::geoparquet::write::WriteSummary> {
    let mut bytes = Vec::new();
    let summary = floe_io::geoparquet::write::write_geoparquet(
        &mut bytes,
        &target.name,
        &batch.schema(),
        std::slice::from_ref(batch),
    )?;
    save_bytes(target, &bytes, "application/vnd.apache.parquet")?;
    Ok(summary)
}

/// How a saved file's destination is named in notices.
pub fn describe_target(target: &SaveTarget) -> String {
    format!("{} (downloaded)", target.name)
}

/// The browser has no "Save as" dialog the page may open (downloads go where the browser puts them).
pub fn pick_save_path(_filter: (&str, &str), _current: &std::path::Path) -> Option<std::path::PathBuf> {
    None
}

/// The page has one thread: the work runs in place.
pub async fn run_blocking<T: 'static>(work: impl FnOnce() -> T + 'static) -> anyhow::Result<T> {
    Ok(work())
}

/// The hidden file input and the drop handlers (see `web_files`).
pub fn install(ctx: &egui::Context) {
    super::web_files::install(ctx);
}

/// Files the user picked or dropped on the page since the last frame, as byte sources read slice by slice.
pub fn take_opened_files() -> Vec<std::sync::Arc<dyn floe_io::source::ByteSource>> {
    super::web_files::take()
        .into_iter()
        .map(|file| {
            let name = file.name();
            std::sync::Arc::new(floe_io::source::web::BlobSource::new(&name, file.into()))
                as std::sync::Arc<dyn floe_io::source::ByteSource>
        })
        .collect()
}

/// The browser opens AOIs from picked files only (see [`take_opened_files`]).
pub fn read_aoi_file(_input: &str) -> Option<Result<floe_io::aoi::Aoi, String>> {
    None
}

/// Opens an input by name: an `https://…` URL (or a path relative to the page).
pub async fn open_named(name: &str) -> floe_io::Result<std::sync::Arc<dyn floe_io::source::ByteSource>> {
    Ok(std::sync::Arc::new(floe_io::source::web::HttpSource::open(name).await?))
}

/// QA reads a file whole; in the browser (one 4 GB wasm memory) files beyond this are refused instead.
const MAX_WHOLE_FILE_BYTES: u64 = 1 << 30;

pub fn check_whole_file_size(source: &dyn floe_io::source::ByteSource) -> floe_io::Result<()> {
    if source.size() > MAX_WHOLE_FILE_BYTES {
        return Err(floe_io::IoError::Source {
            location: source.location().to_owned(),
            message: format!(
                "{} bytes is more than the browser can check at once ({MAX_WHOLE_FILE_BYTES}); run `floe qa` on it",
                source.size()
            ),
        });
    }
    Ok(())
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
