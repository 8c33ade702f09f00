//! The one seam between the desktop and the browser for the app: where background tasks run, the clock, and
//! where an export goes (a file the user named, or a download). Everything else in the app is the same code on
//! both; `cli/` is desktop-only as a whole.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use web::*;
#[cfg(target_arch = "wasm32")]
pub mod web_files;
