//! The desktop (and, later, web) viewer: an eframe App with a walkers map, layer panels and a legend.
//!
//! Loading runs on a tokio runtime; batches arrive over a channel and are uploaded a few per frame, so the
//! first row groups are on screen while the rest stream in and the UI never waits.

mod aoi_draw;
mod gpu;
mod layer;
mod open_url;
mod panels;
mod qa_panel;
#[cfg(not(target_arch = "wasm32"))]
mod save_dialog;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use floe_io::{CancelToken, DatasetOptions, Progress, ReadOptions};
use floe_render::{Camera, Colormap, world_from_lonlat};
use walkers::{HttpTiles, MapMemory, lon_lat};

pub use aoi_draw::DrawTool;
pub use layer::{Layer, LoadState};
#[cfg(not(target_arch = "wasm32"))]
pub use save_dialog::{Purpose, SaveCommand, SaveDialog};

use crate::load::{Input, LoadEvent, parallelism, run_load};
use gpu::{FloeGpu, MapCallback};

/// How the viewer starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Inputs to open at start; empty opens the embedded sample.
    pub inputs: Vec<String>,
    pub color: Option<String>,
    pub cmap: Option<Colormap>,
    /// Fetch OpenStreetMap tiles (off in tests and with `--offline`).
    pub tiles: bool,
    pub dataset: DatasetOptions,
    /// Bytes of loaded points (all layers) beyond which loading stops; `None`: no limit. The browser sets one
    /// so a big file stops loading with a message instead of crashing the tab.
    pub memory_budget: Option<u64>,
    /// Load only points inside this area of interest (outlined on the map).
    pub aoi: Option<Arc<floe_io::aoi::Aoi>>,
}

/// A message at the top of the window until dismissed: an error, or news of finished work (an export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

impl Notice {
    pub fn error(text: String) -> Self {
        Self { text, is_error: true }
    }

    pub fn info(text: String) -> Self {
        Self { text, is_error: false }
    }
}

/// A background task's result for the UI thread.
enum Finished {
    Notice(Notice),
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Aoi(floe_io::aoi::Aoi),
}

pub struct FloeApp {
    options: AppOptions,
    tasks: crate::platform::Tasks,
    pub layers: Vec<Layer>,
    pub selected: usize,
    next_id: u64,
    map_memory: MapMemory,
    tiles: Option<HttpTiles>,
    open_url: open_url::OpenUrlWindow,
    /// Messages shown at the top of the window until dismissed.
    pub notices: Vec<Notice>,
    points_drawn: Arc<AtomicU64>,
    cursor_lonlat: Option<(f64, f64)>,
    map_size_points: egui::Vec2,
    /// The view follows the first data until the user moves the map.
    auto_zoom: bool,
    frame_ms: f32,
    first_points_logged: bool,
    /// What background tasks (exports, AOI files read in the browser) hand to the UI.
    finished: Arc<std::sync::Mutex<Vec<Finished>>>,
    qa_results: qa_panel::QaResults,
    /// The last QA report of each layer (by id), or why it could not run.
    pub qa_reports: std::collections::HashMap<u64, Result<floe_io::qa::Report, String>>,
    pub aoi_drawing: aoi_draw::AoiDrawing,
    /// Layers removed while no GPU was at hand: their buffers go at the next sync.
    retired_layers: Vec<u64>,
    /// The open "Save as" window (exports, AOI files).
    #[cfg(not(target_arch = "wasm32"))]
    pub save_dialog: Option<SaveDialog>,
}

impl FloeApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> anyhow::Result<Self> {
        crate::time_since_start_ms();
        #[cfg(target_arch = "wasm32")]
        crate::platform::web_files::install(&cc.egui_ctx);
        if let Some(render_state) = cc.wgpu_render_state.as_ref() {
            FloeGpu::install(render_state);
        }
        let tasks = crate::platform::Tasks::new()?;
        if let Some(render_state) = cc.wgpu_render_state.as_ref() {
            let info = render_state.adapter.get_info();
            log::info!("floe: rendering with {:?} on {} ({:?})", info.backend, info.name, info.device_type);
        }
        let tiles = options.tiles.then(|| HttpTiles::new(walkers::sources::OpenStreetMap, cc.egui_ctx.clone()));
        let mut map_memory = MapMemory::default();
        // Zoom bounds are valid constants: setting them cannot fail.
        let _ = map_memory.set_zoom(3.0);
        let mut app = Self {
            options: options.clone(),
            tasks,
            layers: Vec::new(),
            selected: 0,
            next_id: 1,
            map_memory,
            tiles,
            open_url: open_url::OpenUrlWindow::default(),
            notices: Vec::new(),
            points_drawn: Arc::default(),
            cursor_lonlat: None,
            map_size_points: egui::vec2(800.0, 600.0),
            auto_zoom: true,
            frame_ms: 0.0,
            first_points_logged: false,
            finished: Arc::default(),
            qa_results: Arc::default(),
            qa_reports: std::collections::HashMap::new(),
            aoi_drawing: aoi_draw::AoiDrawing::default(),
            retired_layers: Vec::new(),
            #[cfg(not(target_arch = "wasm32"))]
            save_dialog: None,
        };
        let inputs =
            if options.inputs.is_empty() { vec![crate::load::SAMPLE_INPUT.to_owned()] } else { options.inputs };
        for input in inputs {
            app.open(&input, &cc.egui_ctx);
        }
        Ok(app)
    }

    /// Starts loading an input (path, URL, `s3://…`, `sample`) as a new layer.
    pub fn open(&mut self, input: &str, ctx: &egui::Context) {
        #[cfg(not(target_arch = "wasm32"))]
        if input.ends_with(".geojson") || input.ends_with(".json") {
            let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
            match floe_io::aoi::check_size(input, size)
                .map_err(|e| e.to_string())
                .and_then(|()| std::fs::read(input).map_err(|e| format!("{input}: cannot read: {e}")))
                .and_then(|bytes| floe_io::aoi::Aoi::from_geojson(input, &bytes).map_err(|e| e.to_string()))
            {
                Ok(aoi) => self.set_aoi(Some(Arc::new(aoi)), ctx),
                Err(message) => self.notify(Notice::error(message)),
            }
            return;
        }
        self.start_load(Input::Named(input.to_owned()), ctx);
    }

    /// Saves what one layer (or every layer) holds inside the AOI to a GeoParquet file, in the background: the
    /// inputs are read again through the AOI with all their columns, exactly as `floe subset` does. On the desktop
    /// the file goes to the path `target`; in the browser it is downloaded as `selection.parquet`.
    pub fn export_selection(
        &mut self,
        target: crate::platform::ExportTarget,
        layer: Option<usize>,
        ctx: &egui::Context,
    ) {
        let request = self.selection_request(layer);
        let finished = Arc::clone(&self.finished);
        let ctx = ctx.clone();
        let task = async move {
            let subset = crate::subset::run(&request, |_, _| Box::new(|| {})).await;
            let written = subset.and_then(|subset| crate::platform::write_export(&target, &subset.batch));
            let destination = crate::platform::describe_target(&target);
            let notice = match written {
                Ok(summary) => Notice::info(format!("Exported {} rows to {destination}", summary.rows)),
                Err(e) => Notice::error(format!("Export to {destination} failed: {}", crate::user_message(&e))),
            };
            if let Ok(mut finished) = finished.lock() {
                finished.push(Finished::Notice(notice));
            }
            ctx.request_repaint();
        };
        self.spawn(task);
    }

    /// What one layer (or, with `None`, every layer) holds inside the AOI, as `floe subset` would cut it.
    fn selection_request(&self, layer: Option<usize>) -> crate::subset::Request {
        let inputs = match layer {
            Some(index) => self.layers.get(index).map(|l| vec![l.input.clone()]).unwrap_or_default(),
            None => self.layers.iter().map(|l| l.input.clone()).collect(),
        };
        crate::subset::Request {
            inputs,
            aoi: self.options.aoi.clone(),
            dataset: self.options.dataset.clone(),
            ..crate::subset::Request::default()
        }
    }

    /// Sets (or clears) the area of interest and reloads every layer through it.
    pub fn set_aoi(&mut self, aoi: Option<Arc<floe_io::aoi::Aoi>>, ctx: &egui::Context) {
        self.options.aoi = aoi;
        let reloads: Vec<(Input, layer::LayerChoices)> =
            self.layers.iter().map(|l| (l.input.clone(), l.choices())).collect();
        let selected = self.selected;
        while !self.layers.is_empty() {
            self.remove_layer(0, None);
        }
        self.auto_zoom = true;
        for (input, choices) in reloads {
            self.start_load(input, ctx);
            if let Some(layer) = self.layers.last_mut() {
                layer.restore(choices);
            }
        }
        self.selected = selected.min(self.layers.len().saturating_sub(1));
    }

    /// Starts loading a file the user picked or dropped on the page: a `.geojson` becomes the AOI, anything else
    /// a layer read slice by slice.
    #[cfg(target_arch = "wasm32")]
    pub fn open_file(&mut self, file: web_sys::File, ctx: &egui::Context) {
        let name = file.name();
        let source: Arc<dyn floe_io::source::ByteSource> =
            Arc::new(floe_io::source::web::BlobSource::new(&name, file.into()));
        if name.ends_with(".geojson") || name.ends_with(".json") {
            let finished = Arc::clone(&self.finished);
            let ctx = ctx.clone();
            self.spawn(async move {
                let read = match floe_io::aoi::check_size(&name, source.size()) {
                    Ok(()) => Input::Source(source).read_all().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let aoi =
                    read.and_then(|bytes| floe_io::aoi::Aoi::from_geojson(&name, &bytes).map_err(|e| e.to_string()));
                if let Ok(mut finished) = finished.lock() {
                    finished.push(match aoi {
                        Ok(aoi) => Finished::Aoi(aoi),
                        Err(message) => Finished::Notice(Notice::error(message)),
                    });
                }
                ctx.request_repaint();
            });
            return;
        }
        self.start_load(Input::Source(source), ctx);
    }

    /// Adds a layer for `input` and runs its load in the background. For an open source, the summary logged at
    /// the end says how much of the file was read.
    fn start_load(&mut self, input: Input, ctx: &egui::Context) {
        let id = self.next_id;
        self.next_id += 1;
        let progress = Arc::new(Progress::default());
        let cancel = CancelToken::default();
        let (sender, events) = std::sync::mpsc::channel();
        let state = LoadState::Loading { progress: Arc::clone(&progress), cancel: cancel.clone(), events };
        let colormap = self.options.cmap.unwrap_or_default();
        self.layers.push(Layer::new(id, input.clone(), state, self.options.color.clone(), colormap));
        let ctx = ctx.clone();
        let read = match &self.options.aoi {
            Some(aoi) => ReadOptions::default().with_aoi(Arc::clone(aoi)),
            None => ReadOptions::default(),
        };
        let dataset_options = self.options.dataset.clone();
        let task = async move {
            let started = web_time::Instant::now();
            let mut points = 0;
            let mut finished = false;
            let mut emit = |event: LoadEvent| {
                match &event {
                    LoadEvent::Batch(batch) => points += batch.chunks.iter().map(|c| c.len()).sum::<usize>(),
                    LoadEvent::Finished => finished = true,
                    _ => {}
                }
                let delivered = sender.send(event).is_ok();
                ctx.request_repaint();
                delivered
            };
            match input.open(&dataset_options).await {
                Ok(dataset) => run_load(dataset, read, parallelism(), progress, cancel, emit).await,
                Err(e) => {
                    emit(LoadEvent::Failed(e));
                }
            }
            if finished {
                let read = match &input {
                    Input::Source(source) => {
                        let stats = source.stats();
                        format!("; read {} of {} bytes in {} requests", stats.bytes(), source.size(), stats.requests())
                    }
                    Input::Named(_) => String::new(),
                };
                log::info!(
                    "floe: {}: {points} points loaded in {} ms{read}",
                    input.name(),
                    started.elapsed().as_millis()
                );
            }
        };
        self.spawn(task);
    }

    fn remove_layer(&mut self, index: usize, render_state: Option<&egui_wgpu::RenderState>) {
        if index >= self.layers.len() {
            return;
        }
        let mut layer = self.layers.remove(index);
        layer.cancel();
        match render_state {
            Some(render_state) => {
                if let Some(gpu) = render_state.renderer.write().callback_resources.get_mut::<FloeGpu>() {
                    gpu.layers.remove(&layer.id);
                }
            }
            // Freed at the next GPU sync.
            None => self.retired_layers.push(layer.id),
        }
        self.selected = self.selected.min(self.layers.len().saturating_sub(1));
    }

    /// Centres and zooms the map on a layer.
    pub fn zoom_to(&mut self, index: usize) {
        let Some(layer) = self.layers.get(index).filter(|l| !l.bbox.is_empty()) else { return };
        let size = [self.map_size_points.x.max(64.0) as u32, self.map_size_points.y.max(64.0) as u32];
        let camera = Camera::fit_lonlat_box(layer.bbox.to_array(), size, 1.0, 0.08);
        let [lon, lat] = floe_render::lonlat_from_world(camera.centre_world);
        self.map_memory.center_at(lon_lat(lon, lat));
        // Out-of-range zooms are refused by walkers; a clamped zoom is always accepted.
        let _ = self.map_memory.set_zoom(camera.zoom.clamp(1.0, 19.0));
    }

    /// Moves new chunks, new colour values and styles to the GPU.
    fn sync_gpu(&mut self, render_state: &egui_wgpu::RenderState, pixels_per_point: f32) {
        let mut renderer = render_state.renderer.write();
        let Some(gpu) = renderer.callback_resources.get_mut::<FloeGpu>() else { return };
        for id in self.retired_layers.drain(..) {
            gpu.layers.remove(&id);
        }
        for layer in &mut self.layers {
            let gpu_layer = gpu
                .layers
                .entry(layer.id)
                .or_insert_with(|| gpu.renderer.create_layer(&render_state.device, &render_state.queue, layer.style));
            for chunk in std::mem::take(&mut layer.pending_chunks) {
                let index = gpu_layer.num_chunks();
                gpu_layer.push_chunk(&render_state.device, &chunk, &layer.chunk_values(index));
                gpu_layer.set_chunk_visible(index, layer.chunk_visible(index));
                layer.uploaded_chunks += 1;
            }
            if layer.beams_dirty {
                for index in 0..gpu_layer.num_chunks() {
                    gpu_layer.set_chunk_visible(index, layer.chunk_visible(index));
                }
                layer.beams_dirty = false;
            }
            if layer.values_dirty {
                for index in 0..gpu_layer.num_chunks() {
                    gpu_layer.set_chunk_values(&render_state.queue, index, &layer.chunk_values(index));
                }
                layer.values_dirty = false;
            }
            let style = floe_render::LayerStyle { point_size: layer.point_size * pixels_per_point, ..layer.style };
            if *gpu_layer.style() != style {
                gpu_layer.set_style(&render_state.queue, style);
            }
            layer.uploads = gpu_layer.uploads;
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        #[cfg(target_arch = "wasm32")]
        for file in crate::platform::web_files::take() {
            self.open_file(file, ctx);
        }
        let dropped: Vec<std::path::PathBuf> =
            ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        for path in dropped {
            self.open(&path.to_string_lossy(), ctx);
        }
    }

    fn map_ui(&mut self, ui: &mut egui::Ui) {
        let layer_ids: Vec<u64> = self.layers.iter().filter(|l| l.style.visible).map(|l| l.id).collect();
        let aoi = self.options.aoi.clone();
        let points_drawn = Arc::clone(&self.points_drawn);
        let ppp = ui.ctx().pixels_per_point();
        let tiles = self.tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles);
        let drawing = &mut self.aoi_drawing;
        // While a rectangle is drawn, the primary button draws and the others pan.
        let pan_buttons = if drawing.captures_drag() {
            egui::DragPanButtons::SECONDARY | egui::DragPanButtons::MIDDLE
        } else {
            egui::DragPanButtons::PRIMARY
        };
        let start = walkers::lon_lat(-121.9, 45.2);
        // Under the tiles: where they cannot be fetched, the coastline basemap shows on sea colour, not black.
        let [r, g, b, _] = crate::style::SEA;
        ui.painter().rect_filled(ui.available_rect_before_wrap(), 0.0, egui::Color32::from_rgb(r, g, b));
        let response = walkers::Map::new(tiles, &mut self.map_memory, start)
            .drag_pan_buttons(pan_buttons)
            .double_click_to_zoom(drawing.tool == DrawTool::Off)
            .show(ui, |ui, response, projector, _memory| {
                let rect = response.rect;
                let centre = projector.unproject(rect.center().to_vec2());
                let camera = Camera {
                    centre_world: world_from_lonlat(centre.x(), centre.y()),
                    zoom: projector.zoom(),
                    viewport_px: [
                        (rect.width() * ppp).round().max(1.0) as u32,
                        (rect.height() * ppp).round().max(1.0) as u32,
                    ],
                    pixels_per_point: f64::from(ppp),
                };
                let callback = MapCallback { camera, layer_ids, coastline: true, points_drawn };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if let Some(aoi) = &aoi {
                    aoi_outline_ui(ui, aoi, projector);
                }
                let drawn = drawing.map_ui(ui, response, projector);
                let cursor = response.hover_pos().map(|p| {
                    let position = projector.unproject(p.to_vec2());
                    (position.x(), position.y())
                });
                (
                    rect,
                    cursor,
                    response.dragged()
                        || response.contains_pointer() && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO),
                    drawn,
                )
            });
        let (rect, cursor, user_moved, drawn) = response.inner;
        if let Some(aoi) = drawn {
            self.set_aoi(Some(Arc::new(aoi)), ui.ctx());
        }
        self.map_size_points = rect.size();
        self.cursor_lonlat = cursor;
        if user_moved {
            self.auto_zoom = false;
        }
    }
}

impl eframe::App for FloeApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // The UI's own time per frame: the time between frames would count idle waits while nothing repaints.
        if let Some(cpu_seconds) = frame.info().cpu_usage {
            self.frame_ms = 0.9 * self.frame_ms + 0.1 * cpu_seconds * 1000.0;
        }
        let memory_used: u64 = self.layers.iter().map(Layer::memory_bytes).sum();
        let mut memory_left = self.options.memory_budget.map_or(u64::MAX, |b| b.saturating_sub(memory_used));
        let mut stopped = Vec::new();
        for layer in &mut self.layers {
            if let Some(message) = layer.drain_events(Duration::from_millis(12), &mut memory_left) {
                stopped.push(message);
            }
        }
        for message in stopped {
            self.notify(Notice::error(message));
        }
        let finished = self.finished.lock().map(|mut f| std::mem::take(&mut *f)).unwrap_or_default();
        for finished in finished {
            match finished {
                Finished::Notice(notice) => self.notify(notice),
                Finished::Aoi(aoi) => self.set_aoi(Some(Arc::new(aoi)), &ctx),
            }
        }
        if !self.first_points_logged && self.points_drawn() > 0 {
            self.first_points_logged = true;
            log::info!("floe: first points on screen {:.0} ms after the page started", crate::time_since_start_ms());
        }
        if self.auto_zoom && self.layers.first().is_some_and(|l| !l.bbox.is_empty()) {
            self.zoom_to(0);
            if self.layers.first().is_some_and(|l| !l.is_loading()) {
                self.auto_zoom = false;
            }
        }
        self.handle_dropped_files(&ctx);
        if let Some(render_state) = frame.wgpu_render_state() {
            self.sync_gpu(render_state, ctx.pixels_per_point());
        }
        let mut removed = None;
        panels::top_bar_ui(self, ui);
        panels::status_bar_ui(self, ui);
        egui::Panel::left("layers").default_size(300.0).resizable(true).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                removed = panels::layers_ui(self, ui);
                ui.separator();
                panels::style_ui(self, ui);
                ui.separator();
                panels::legend_ui(self, ui);
                ui.separator();
                aoi_draw::aoi_ui(self, ui);
                ui.separator();
                qa_panel::qa_ui(self, ui);
            });
        });
        if let Some(index) = removed {
            self.remove_layer(index, frame.wgpu_render_state());
        }
        egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| self.map_ui(ui));
        if let Some(url) = self.open_url.show_ui(&ctx) {
            self.open(&url, &ctx);
        }
        #[cfg(not(target_arch = "wasm32"))]
        self.save_dialog_ui(&ctx);
        if self.layers.iter().any(Layer::is_loading) {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
}

/// The AOI's rings as closed lines over the map.
fn aoi_outline_ui(ui: &egui::Ui, aoi: &floe_io::aoi::Aoi, projector: &walkers::Projector<'_>) {
    let stroke = egui::Stroke::new(2.0, aoi_draw::OUTLINE);
    for polygon in aoi.polygons() {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let points: Vec<egui::Pos2> =
                ring.coords().map(|c| projector.project(lon_lat(c.x, c.y)).to_pos2()).collect();
            ui.painter().add(egui::Shape::line(points, stroke));
        }
    }
}

impl FloeApp {
    /// The "Save as" window, and what it asks for once a path is chosen.
    #[cfg(not(target_arch = "wasm32"))]
    fn save_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.save_dialog else { return };
        let inputs: Vec<String> = self.layers.iter().map(|l| l.input.name().to_owned()).collect();
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        match dialog.show_ui(ctx, &inputs) {
            SaveCommand::Keep => {}
            SaveCommand::Close => self.save_dialog = None,
            SaveCommand::Save(purpose, path) => {
                self.save_dialog = None;
                match purpose {
                    Purpose::Export { layer } => self.export_selection(path, layer, ctx),
                    Purpose::ExportAndCheck { layer } => qa_panel::export_and_check(self, path, layer, ctx),
                    Purpose::SaveAoi => aoi_draw::write_aoi(self, &path),
                }
            }
        }
    }

    /// Shows a notice and logs it (the console is where the browser tests and bug reports read it).
    pub fn notify(&mut self, notice: Notice) {
        if notice.is_error {
            log::error!("{}", notice.text);
        } else {
            log::info!("floe: {}", notice.text);
        }
        self.notices.push(notice);
    }

    /// Runs a background task: on the loading threads on the desktop, on the page's event loop in the browser.
    fn spawn(&self, task: impl Future<Output = ()> + crate::platform::MaybeSend + 'static) {
        self.tasks.spawn(task);
    }

    /// Points drawn in the last frame.
    pub fn points_drawn(&self) -> u64 {
        self.points_drawn.load(Ordering::Relaxed)
    }

    /// Where the pointer is on the map, as the status bar shows it.
    pub fn cursor_lonlat(&self) -> Option<(f64, f64)> {
        self.cursor_lonlat
    }

    pub fn aoi(&self) -> Option<&floe_io::aoi::Aoi> {
        self.options.aoi.as_deref()
    }
}
