//! The QA panel: `floe qa`'s checks for the selected layer's file, and a histogram of each loaded numeric column.

use std::sync::{Arc, Mutex};

use egui::{Color32, RichText};
use floe_io::qa::{Report, Status};

use super::FloeApp;
use crate::load::Input;

/// Bins of each column histogram.
const BINS: usize = 40;

/// Checks finished in the background, by layer id.
pub type QaResults = Arc<Mutex<Vec<(u64, Result<Report, String>)>>>;

/// Reads the layer's whole file (local, URL, S3, or a file picked in the browser) and runs the checks off the UI
/// thread; the report lands in `results`.
fn start_checks(app: &FloeApp, input: Input, id: u64, ctx: egui::Context) {
    let results = Arc::clone(&app.qa_results);
    app.spawn(async move {
        let report = match input.read_all().await {
            Ok(bytes) => check(input.name().to_owned(), bytes).await,
            Err(e) => Err(e.to_string()),
        };
        if let Ok(report) = &report {
            let count = |status| report.checks.iter().filter(|c| c.status == status).count();
            log::info!(
                "floe: QA of {}: {} checks, {} failed, {} warnings",
                input.name(),
                report.checks.len(),
                count(Status::Fail),
                count(Status::Warn)
            );
        }
        if let Ok(mut results) = results.lock() {
            results.push((id, report));
        }
        ctx.request_repaint();
    });
}

#[cfg(not(target_arch = "wasm32"))]
async fn check(name: String, bytes: bytes::Bytes) -> Result<Report, String> {
    let checked = tokio::task::spawn_blocking(move || floe_io::qa::check_file(&name, bytes, &Default::default()));
    checked.await.map_err(|e| format!("the checks stopped: {e}"))
}

#[cfg(target_arch = "wasm32")]
async fn check(name: String, bytes: bytes::Bytes) -> Result<Report, String> {
    Ok(floe_io::qa::check_file(&name, bytes, &Default::default()))
}

pub fn qa_ui(app: &mut FloeApp, ui: &mut egui::Ui) {
    if let Ok(mut results) = app.qa_results.lock() {
        for (id, report) in results.drain(..) {
            app.qa_reports.insert(id, report);
        }
    }
    let Some(layer) = app.layers.get(app.selected) else { return };
    egui::CollapsingHeader::new("QA").default_open(false).show(ui, |ui| {
        if ui.button("Run checks").on_hover_text("floe qa on this layer's file").clicked() {
            start_checks(app, layer.input.clone(), layer.id, ui.ctx().clone());
        }
        match app.qa_reports.get(&layer.id) {
            Some(Ok(report)) => {
                for check in &report.checks {
                    let (text, colour) = match check.status {
                        Status::Pass => ("pass", ui.visuals().text_color()),
                        Status::Warn => ("WARN", Color32::from_rgb(230, 170, 40)),
                        Status::Fail => ("FAIL", ui.visuals().error_fg_color),
                    };
                    ui.label(RichText::new(format!("{text} {}", check.name)).color(colour))
                        .on_hover_text(&check.detail);
                }
            }
            Some(Err(message)) => {
                ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
            }
            None => {}
        }
        ui.separator();
        for (index, column) in layer.columns.iter().enumerate() {
            histogram_ui(ui, &column.label(), layer.column_values(index));
        }
    });
}

/// A bar per bin between the finite minimum and maximum; NaN (null) values are counted apart.
fn histogram_ui(ui: &mut egui::Ui, label: &str, values: &[f32]) {
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (min, max) = finite.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    ui.label(format!("{label}: {} values, {} null, {min}…{max}", finite.len(), values.len() - finite.len()));
    if finite.is_empty() {
        return;
    }
    let mut counts = [0u32; BINS];
    let width = (max - min).max(f32::MIN_POSITIVE);
    for v in &finite {
        let bin = (((v - min) / width) * BINS as f32) as usize;
        counts[bin.min(BINS - 1)] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(1).max(1) as f32;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width().min(260.0), 40.0), egui::Sense::hover());
    let bar = rect.width() / BINS as f32;
    for (i, count) in counts.iter().enumerate() {
        let height = rect.height() * *count as f32 / tallest;
        let x = rect.left() + i as f32 * bar;
        let bar_rect =
            egui::Rect::from_min_max(egui::pos2(x, rect.bottom() - height), egui::pos2(x + bar - 1.0, rect.bottom()));
        ui.painter().rect_filled(bar_rect, 0.0, Color32::from_rgb(70, 130, 180));
    }
}
