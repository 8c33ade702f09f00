//! `floe`: the desktop viewer and the command line.
//!
//! Owns the CLI (`cli/`, one module per command), turning point batches into GPU-ready data (`points`, `load`),
//! the along-track profile's model (`profile`), the AOI cut behind `floe subset` and the viewer's exports (`subset`), the guard on every file written
//! (`output`), the embedded basemap (`basemap`) and the eframe app (`viewer/`), with what differs between the
//! desktop and the browser behind one seam (`platform/`). Parses no bytes and holds no GPU code beyond the egui
//! paint-callback glue.

pub mod annotate;
pub mod basemap;
pub mod classes;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod gpu_filter;
pub mod load;
pub mod output;
pub mod platform;
pub mod plot;
pub mod points;
pub mod profile;
pub mod qa_sources;
pub mod row_filter;
pub mod style;
pub mod subset;
pub mod time_range;
pub mod view_link;
pub mod viewer;

/// The loading threads of the CLI and the desktop viewer.
#[cfg(not(target_arch = "wasm32"))]
pub use platform::runtime;
/// Milliseconds since the page started loading (browser) or since the viewer started (desktop).
pub use platform::time_since_start_ms;

/// An error for people (the terminal, the viewer's notices): the contexts the app added, down to the first
/// `floe-io` error, whose text is complete (it names the file and says what was wrong). The library errors it keeps
/// as sources are for code, not for the user, who would otherwise read the same failure three times over.
pub fn user_message(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        parts.push(cause.to_string());
        if cause.is::<floe_io::IoError>() {
            break;
        }
    }
    parts.join(": ")
}
