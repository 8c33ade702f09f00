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

/// Writes a granule layer's points inside the AOI to `path` as `floe subset` does, then checks that file against
/// the granule (`floe qa PATH --source GRANULE`); the report is shown as this layer's.
#[cfg(not(target_arch = "wasm32"))]
pub fn export_and_check(app: &mut FloeApp, path: std::path::PathBuf, index: usize, ctx: &egui::Context) {
    let Some(layer) = app.layers.get(index) else { return };
    let (id, input) = (layer.id, layer.input.clone());
    let request = app.selection_request(Some(index));
    let (results, finished, ctx) = (Arc::clone(&app.qa_results), Arc::clone(&app.finished), ctx.clone());
    app.spawn(async move {
        let checked = async {
            let batch = crate::subset::run(&request, |_, _| Box::new(|| {})).await?.batch;
            let summary = floe_io::geoparquet::write::write_geoparquet_file(
                &path,
                &batch.schema(),
                std::slice::from_ref(&batch),
            )?;
            let bytes =
                bytes::Bytes::from(std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?);
            let sources =
                crate::qa_sources::read_sources(&[input], request.aoi.as_deref(), request.dataset.surface).await?;
            let name = path.display().to_string();
            let report = tokio::task::spawn_blocking(move || floe_io::qa::check_file(&name, bytes, &sources)).await?;
            anyhow::Ok((summary.rows, report))
        };
        let (notice, report) = match checked.await {
            Ok((rows, report)) => {
                let failed = report.checks.iter().filter(|c| c.status == Status::Fail).count();
                let text = format!(
                    "Exported {rows} rows to {} and checked them against the granule: {} checks, {failed} failed",
                    path.display(),
                    report.checks.len()
                );
                (super::Notice::info(text), Ok(report))
            }
            Err(e) => {
                let text = format!("Export and check to {} failed: {}", path.display(), crate::user_message(&e));
                (super::Notice::error(text.clone()), Err(text))
            }
        };
        if let Ok(mut results) = results.lock() {
            results.push((id, report));
        }
        if let Ok(mut finished) = finished.lock() {
            finished.push(super::Finished::Notice(notice));
        }
        ctx.request_repaint();
    });
}

pub fn qa_ui(app: &mut FloeApp, ui: &mut egui::Ui) {
    if let Ok(mut results) = app.qa_results.lock() {
        for (id, report) in results.drain(..) {
            app.qa_reports.insert(id, report);
        }
    }
    let Some(layer) = app.layers.get(app.selected) else { return };
    let is_granule = !layer.beams.is_empty();
    // Set by the desktop's button only: the browser has no Save-as window to write the subset with.
    #[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
    let mut export_and_check = false;
    egui::CollapsingHeader::new("QA").default_open(false).show(ui, |ui| {
        if is_granule {
            // QA checks conversion outputs; a granule is what they are checked against.
            ui.label("QA checks GeoParquet files, such as conversions of a granule. This layer is the granule itself.");
            #[cfg(not(target_arch = "wasm32"))]
            if ui
                .button("Export and check against this granule…")
                .on_hover_text("floe subset of this layer (inside the AOI), then floe qa OUT --source GRANULE")
                .clicked()
            {
                export_and_check = true;
            }
        } else if ui.button("Run checks").on_hover_text("floe qa on this layer's file").clicked() {
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
    #[cfg(not(target_arch = "wasm32"))]
    if export_and_check {
        let purpose = super::Purpose::ExportAndCheck { layer: app.selected };
        app.save_dialog = Some(super::SaveDialog::new(purpose, "subset.parquet"));
    }
    #[cfg(target_arch = "wasm32")]
    let _ = export_and_check;
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
