//! The QA panel: `floe qa`'s checks for the selected layer's file, and a histogram of each loaded numeric column (of
//! the points shown: filters on the map, hidden classes and beams apply).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use egui::{Color32, RichText};
use floe_io::qa::{Report, Status};

use super::command::{Command, Purpose};
use super::{Finished, Inbox, Layer, Notice};
use crate::load::Input;
use crate::platform::{SaveTarget, Tasks};

/// Bins of each column histogram.
const BINS: usize = 40;

/// A layer's id and its report, or why there is none.
type LayerReport = (u64, Result<Report, String>);

/// The QA section of the side panel and the checks it runs; it keeps each layer's last report.
#[derive(Default)]
pub struct QaPanel {
    /// Checks finished in the background, by layer id, not yet taken into `reports`.
    finished: Arc<Mutex<Vec<LayerReport>>>,
    /// The last QA report of each layer (by id), or why it could not run.
    pub reports: HashMap<u64, Result<Report, String>>,
}

impl QaPanel {
    /// Reads the layer's whole file (local, URL, S3, or a file picked in the browser) and runs the checks off
    /// the UI thread; the report shows when it is done.
    pub fn start_checks(&self, tasks: &Tasks, input: Input, id: u64, ctx: egui::Context) {
        let finished = Arc::clone(&self.finished);
        tasks.spawn(async move {
            let report = match input.read_all().await {
                Ok(bytes) => {
                    let name = input.name().to_owned();
                    crate::platform::run_blocking(move || floe_io::qa::check_file(&name, bytes, &Default::default()))
                        .await
                        .map_err(|e| e.to_string())
                }
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
            if let Ok(mut finished) = finished.lock() {
                finished.push((id, report));
            }
            ctx.request_repaint();
        });
    }

    /// Cuts a granule layer's points inside the AOI as `floe subset` does, checks them against the granule
    /// (`floe qa OUT --source GRANULE`) and saves them to `target`; the report is shown as this layer's, and the
    /// notice comes back through `inbox`.
    pub fn export_and_check(
        &self,
        tasks: &Tasks,
        target: SaveTarget,
        layer: (u64, Input),
        request: crate::subset::Request,
        inbox: Inbox,
        ctx: egui::Context,
    ) {
        let (id, input) = layer;
        let finished = Arc::clone(&self.finished);
        tasks.spawn(async move {
            let destination = crate::platform::describe_target(&target);
            let checked = async {
                let batch = crate::subset::run(&request, |_, _| Box::new(|| {})).await?.batch;
                let mut bytes = Vec::new();
                let summary = floe_io::geoparquet::write::write_geoparquet(
                    &mut bytes,
                    &destination,
                    &batch.schema(),
                    std::slice::from_ref(&batch),
                )?;
                crate::platform::save_bytes(&target, &bytes, "application/vnd.apache.parquet")?;
                let sources =
                    crate::qa_sources::read_sources(&[input], request.aoi.as_deref(), request.dataset.surface).await?;
                let name = destination.clone();
                let bytes = bytes::Bytes::from(bytes);
                let report =
                    crate::platform::run_blocking(move || floe_io::qa::check_file(&name, bytes, &sources)).await?;
                anyhow::Ok((summary.rows, report))
            };
            let (notice, report) = match checked.await {
                Ok((rows, report)) => {
                    let failed = report.checks.iter().filter(|c| c.status == Status::Fail).count();
                    let text = format!(
                        "Exported {rows} rows to {destination} and checked them against the granule: {} checks, \
                         {failed} failed",
                        report.checks.len()
                    );
                    (Notice::info(text), Ok(report))
                }
                Err(e) => {
                    let text = format!("Export and check to {destination} failed: {}", crate::user_message(&e));
                    (Notice::error(text.clone()), Err(text))
                }
            };
            if let Ok(mut finished) = finished.lock() {
                finished.push((id, report));
            }
            inbox.push(Finished::Notice(notice));
            ctx.request_repaint();
        });
    }

    /// The QA section for the selected layer (`index`): checks to run, the last report, a histogram per column.
    pub fn ui(&mut self, ui: &mut egui::Ui, layer: &Layer, index: usize, commands: &mut Vec<Command>) {
        if let Ok(mut finished) = self.finished.lock() {
            self.reports.extend(finished.drain(..));
        }
        let is_granule = !layer.beams.is_empty();
        egui::CollapsingHeader::new("QA").default_open(false).show(ui, |ui| {
            if is_granule {
                // QA checks conversion outputs; a granule is what they are checked against.
                ui.label(
                    "QA checks GeoParquet files, such as conversions of a granule. This layer is the granule itself.",
                );
                if ui
                    .button("Export and check against this granule…")
                    .on_hover_text("floe subset of this layer (inside the AOI), then floe qa OUT --source GRANULE")
                    .clicked()
                {
                    commands.push(Command::Save(Purpose::ExportAndCheck { layer: index }));
                }
            } else if ui.button("Run checks").on_hover_text("floe qa on this layer's file").clicked() {
                commands.push(Command::RunChecks { layer: index });
            }
            match self.reports.get(&layer.id) {
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
            // Of the points shown: the filters on the map, hidden classes and beams apply here too.
            for (index, column) in layer.columns.iter().enumerate() {
                histogram_ui(ui, &column.label(), &layer.shown_values(index));
            }
        });
    }
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
