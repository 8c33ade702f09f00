//! Local files in the browser: the "Open file…" picker (a hidden `<input type=file>`), drag and drop onto
//! the page, and downloads of what the viewer writes (exports, AOIs). Both hand over `File` handles, never bytes: eframe's own drop handler reads whole files into
//! memory, so ours runs first (capture phase) and keeps the drop from reaching it.

use std::cell::RefCell;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;

/// The id of the hidden file input (tests set its files directly).
pub const INPUT_ID: &str = "floe_file_input";

thread_local! {
    /// Files handed over since the last frame.
    static PENDING: RefCell<Vec<web_sys::File>> = const { RefCell::new(Vec::new()) };
}

fn queue(files: Option<web_sys::FileList>, ctx: &egui::Context) {
    let Some(files) = files else { return };
    PENDING.with(|pending| pending.borrow_mut().extend((0..files.length()).filter_map(|i| files.get(i))));
    ctx.request_repaint();
}

/// Creates the file input and the drop handlers, once per page.
pub fn install(ctx: &egui::Context) {
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    if document.get_element_by_id(INPUT_ID).is_some() {
        return;
    }
    let Some(input) =
        document.create_element("input").ok().and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        log::error!("floe: cannot create the file input; open files by URL instead");
        return;
    };
    input.set_type("file");
    input.set_multiple(true);
    input.set_accept(".parquet,.geoparquet,.pq,.h5,.hdf5,.he5,.geojson,.json");
    input.set_id(INPUT_ID);
    // Attribute setters on a fresh element cannot fail.
    let _ = input.set_attribute("style", "display:none");
    let picked_ctx = ctx.clone();
    let picked_input = input.clone();
    let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        queue(picked_input.files(), &picked_ctx);
        // Picking the same file again must fire `change` again.
        picked_input.set_value("");
    });
    input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    if let Some(body) = document.body() {
        let _ = body.append_child(&input);
    }

    let dropped_ctx = ctx.clone();
    let on_drop = Closure::<dyn FnMut(web_sys::DragEvent)>::new(move |event: web_sys::DragEvent| {
        event.prevent_default();
        event.stop_propagation();
        queue(event.data_transfer().and_then(|d| d.files()), &dropped_ctx);
    });
    // Without preventDefault on dragover the browser would open the file itself instead of dropping it.
    let on_drag_over = Closure::<dyn FnMut(web_sys::DragEvent)>::new(|event: web_sys::DragEvent| {
        event.prevent_default();
    });
    let added = window
        .add_event_listener_with_callback_and_bool("drop", on_drop.as_ref().unchecked_ref(), true)
        .and_then(|()| {
            window.add_event_listener_with_callback_and_bool("dragover", on_drag_over.as_ref().unchecked_ref(), true)
        });
    if let Err(e) = added {
        log::error!("floe: drag and drop is unavailable: {e:?}");
    }
    on_drop.forget();
    on_drag_over.forget();
}

/// Opens the browser's file picker; the files arrive through `take` on a later frame.
pub fn pick() {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(INPUT_ID))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match input {
        Some(input) => input.click(),
        None => log::error!("floe: the file picker is unavailable; open files by URL instead"),
    }
}

/// The files picked or dropped since the last call.
pub fn take() -> Vec<web_sys::File> {
    PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()))
}

/// Hands `bytes` to the browser as a download named `name` (a Blob URL clicked through a temporary link).
pub fn download(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let failed = |what: &str, e: wasm_bindgen::JsValue| format!("{name}: cannot download: {what}: {e:?}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| failed("creating the blob", e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| failed("creating its URL", e))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| format!("{name}: no document"))?;
    let link = document
        .create_element("a")
        .map_err(|e| failed("creating a link", e))?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|e| failed("creating a link", e.into()))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    log::info!("floe: downloaded {name} ({} bytes)", bytes.len());
    // Revoked a minute later, not at once: the browser may still be reading the blob for the download.
    let revoke = Closure::once_into_js(move || {
        if let Err(e) = web_sys::Url::revoke_object_url(&url) {
            log::warn!("floe: cannot release a download URL: {e:?}");
        }
    });
    let window = web_sys::window().ok_or_else(|| format!("{name}: no window"))?;
    window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000)
        .map_err(|e| failed("scheduling its release", e))?;
    Ok(())
}
