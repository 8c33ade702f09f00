//! The `floe` binary: the viewer by default, `floe info/render/cat/subset/qa` without a window (`cli/`).

fn main() {
    // The browser entry point is the `floe-web` crate; this binary is the desktop's.
    #[cfg(not(target_arch = "wasm32"))]
    floe::cli::main();
}
