//! `floe`: the desktop viewer and the command line.
//!
//! Owns the CLI (`cli/`, one module per command), turning point batches into GPU-ready data (`points`, `load`),
//! the AOI cut behind `floe subset` and the viewer's exports (`subset`), the guard on every file written
//! (`output`), the embedded basemap (`basemap`) and the eframe app (`viewer/`). Parses no bytes and holds no GPU
//! code beyond the egui paint-callback glue.

pub mod basemap;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod load;
#[cfg(not(target_arch = "wasm32"))]
pub mod output;
pub mod points;
pub mod qa_sources;
pub mod style;
pub mod subset;
pub mod time_range;
pub mod viewer;

/// The multi-threaded tokio runtime that runs loads (object_store needs tokio).
#[cfg(not(target_arch = "wasm32"))]
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::load::parallelism())
        .enable_all()
        .thread_name("floe-io")
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the loading threads: {e}"))
}

/// Milliseconds since the page started loading (browser) or since the viewer started (desktop).
pub fn time_since_start_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<web_time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(web_time::Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}
