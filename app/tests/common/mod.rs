//! Helpers shared by the viewer's kittests: a viewer stepped until it has loaded, the status bar's readout under
//! a position, and clicks.

#![allow(dead_code)]

use egui_kittest::Harness;
use floe::viewer::{AppOptions, FloeApp};

/// The viewer with `options`, stepped until its first layer stops loading.
pub fn loaded_viewer(options: AppOptions) -> Harness<'static, FloeApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(960.0, 640.0))
        .wgpu()
        .build_eframe(|cc| FloeApp::new(cc, options).expect("app starts"));
    wait_loaded(&mut harness);
    harness
}

/// The viewer with `options` in a window of `size` points, stepped until `layers` layers exist and none is loading.
pub fn viewer_sized(options: AppOptions, size: egui::Vec2, layers: usize) -> Harness<'static, FloeApp> {
    let mut harness =
        Harness::builder().with_size(size).wgpu().build_eframe(|cc| FloeApp::new(cc, options).expect("app starts"));
    for _ in 0..1000 {
        harness.step();
        if harness.state().layers.len() == layers && harness.state().layers.iter().all(|l| !l.is_loading()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(4);
    harness
}

/// Steps until the first layer has loaded (again, after an AOI change reloads it), plus a few frames for the
/// uploads.
pub fn wait_loaded(harness: &mut Harness<'static, FloeApp>) {
    for _ in 0..500 {
        harness.step();
        if harness.state().layers.first().is_some_and(|l| !l.is_loading()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(3);
}

/// Where the status bar says the pointer is, with the pointer at `pos`.
pub fn lonlat_under(harness: &mut Harness<'static, FloeApp>, pos: egui::Pos2) -> (f64, f64) {
    harness.hover_at(pos);
    harness.run_steps(2);
    harness.state().cursor_lonlat().expect("the pointer is over the map")
}

/// A primary-button click at `pos` (pressed and released on separate frames).
pub fn click_at(harness: &mut Harness<'static, FloeApp>, pos: egui::Pos2) {
    harness.hover_at(pos);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
}

/// Steps until a notice starting with `prefix` shows (an export or a save finishing in the background); returns it.
pub fn wait_notice(harness: &mut Harness<'static, FloeApp>, prefix: &str) -> floe::viewer::Notice {
    for _ in 0..500 {
        harness.step();
        if let Some(notice) = harness.state().notices.iter().find(|n| n.text.starts_with(prefix)) {
            return notice.clone();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no notice `{prefix}…`: {:?}", harness.state().notices);
}

/// The embedded sample's points as the viewer reads them (rows without geometry skipped).
pub fn sample_batches() -> Vec<floe_io::PointBatch> {
    use futures::TryStreamExt as _;
    let runtime = floe::runtime().unwrap();
    runtime.block_on(async {
        let layer = floe::load::open_dataset("sample", &floe_io::DatasetOptions::default()).await.unwrap();
        let progress = std::sync::Arc::default();
        let stream =
            layer.stream(&floe_io::ReadOptions::default(), 1, progress, floe_io::CancelToken::default()).unwrap();
        stream.try_collect().await.unwrap()
    })
}
