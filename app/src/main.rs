//! The `floe` binary: the viewer by default, `floe info` and `floe render` without a window.

#[cfg(not(target_arch = "wasm32"))]
use clap::Parser;
#[cfg(not(target_arch = "wasm32"))]
use floe::cli::{Cli, Command};
#[cfg(not(target_arch = "wasm32"))]
use floe::viewer::{AppOptions, FloeApp};

/// The browser entry point is the `floe-web` crate.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    // `floe cat … | head`: a closed stdout ends the program quietly instead of with a panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("failed printing to stdout") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn,floe=info")).init();
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Render(_))) {
        quiet_headless_vulkan();
    }
    let result = match &cli.command {
        Some(Command::Info(args)) => floe::cli::info::run(args),
        Some(Command::Render(args)) => floe::cli::render::run(args),
        Some(Command::Cat(args)) => floe::cli::cat::run(args),
        Some(Command::Subset(args)) => floe::cli::subset::run(args),
        Some(Command::Qa(args)) => floe::cli::qa::run(args),
        None => run_viewer(cli.view),
    };
    if let Err(error) = result {
        eprintln!("error: {}", floe::user_message(&error));
        let empty = error.downcast_ref::<floe::output::EmptyOutput>().is_some();
        std::process::exit(if empty { floe::output::EmptyOutput::EXIT_CODE } else { 1 });
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn run_viewer(args: floe::cli::ViewArgs) -> anyhow::Result<()> {
    let cmap = match &args.cmap {
        Some(name) => {
            Some(floe_render::Colormap::from_name(name).ok_or_else(|| anyhow::anyhow!("unknown colormap `{name}`"))?)
        }
        None => None,
    };
    let options = AppOptions {
        inputs: args.inputs.clone(),
        color: args.color.clone(),
        cmap,
        tiles: !args.offline,
        dataset: args.input.dataset_options()?,
        memory_budget: args.memory_mb.map(|mb| mb.saturating_mul(1_000_000)),
        aoi: match &args.aoi {
            Some(path) => {
                let bytes =
                    std::fs::read(path).map_err(|e| anyhow::anyhow!("{path}: cannot read the AOI file: {e}"))?;
                Some(std::sync::Arc::new(floe_io::aoi::Aoi::from_geojson(path, &bytes)?))
            }
            None => None,
        },
    };
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
#[cfg(not(target_arch = "wasm32"))]
fn quiet_headless_vulkan() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called from `main` before any thread is started (no runtime, no renderer, no logger thread), so
        // nothing can read the environment concurrently.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}
