//! The viewer (desktop and browser): an eframe App with a walkers map, layer panels and a legend.
//!
//! [`FloeApp`] is composed of parts that own their state: the layers, the map view, the AOI drawing tool, the QA
//! panel, the Open URL and Save as windows, the notices, and the background tasks. Panels borrow only what they
//! show and hand back [`Command`]s, which the app applies once the frame's UI is drawn. Loading runs in the
//! background; batches arrive over a channel and are uploaded a few per frame, so the first row groups are on
//! screen while the rest stream in and the UI never waits.

mod aoi_draw;
mod command;
mod filters_panel;
mod gpu;
mod layer;
mod live_filters;
mod map_view;
mod open_url;
mod panels;
mod pick;
mod polar_tiles;
mod profile_panel;
mod qa_panel;
mod save_dialog;
mod save_image;
mod screen;
mod time_panel;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use floe_io::{CancelToken, DatasetOptions, Progress, ReadOptions};
use floe_render::Colormap;
use walkers::HttpTiles;

pub use aoi_draw::DrawTool;
pub use command::{Command, Purpose};
pub use layer::{Layer, LoadState};
pub use live_filters::MapFilter;
pub use pick::PickedPoint;
pub use polar_tiles::TileCounts;
pub use profile_panel::{Brushed, ProfilePanel};
pub use save_dialog::{SaveCommand, SaveDialog};

use crate::load::{Input, LoadEvent, parallelism, run_load};
use crate::platform::{SaveTarget, Tasks};
use crate::row_filter::RowFilter;
use gpu::FloeGpu;
use map_view::MapView;

/// Load events (batches) queued for the UI at most: a load runs this far ahead of what the viewer has taken.
const LOAD_EVENTS_QUEUED: usize = 4;

/// How the viewer starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Inputs to open at start; empty opens the synthetic scene (ATL03-like photons and ATL06-like segments).
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
    /// The map's projection; `None` chooses from the data (a pole's view when every point is poleward of 60°).
    pub projection: Option<floe_render::Projection>,
    /// URL template of the polar views' tiles (`{z}`, `{y}` row, `{x}` column, `{epsg}`); `None`: NASA GIBS.
    /// Fetched only with `tiles`.
    pub polar_tiles: Option<String>,
    /// The columns that make a track for the profile (`--track-key`); empty: rgt, cycle and the beam column.
    pub track_key: crate::points::TrackKey,
    /// Open the profile panel at start: on this track, or with an empty name on the first track.
    pub profile: Option<String>,
    /// Rows must pass these `--filter`s to be loaded (and exported).
    pub filters: Vec<crate::row_filter::RowFilter>,
    /// Filters drawn on the map from the start (a link's `show=`), each for every layer or for the layer of its
    /// index among `inputs`.
    pub map_filters: Vec<(crate::row_filter::RowFilter, Option<usize>)>,
    /// The time window on the map from the start, UTC nanoseconds (a link's `window=`).
    pub time_window: Option<(i64, i64)>,
    /// The camera from the start: centre lon/lat and zoom (a link's `at=`); the data no longer choose it.
    pub at: Option<(f64, f64, f64)>,
    /// The colour range of `color`, in its units (a link's `range=`).
    pub range: Option<(f64, f64)>,
}

impl AppOptions {
    /// Takes what a view link names (see [`crate::view_link`]).
    pub fn with_link(mut self, link: crate::view_link::ViewLink) -> Self {
        self.inputs = link.inputs;
        self.projection = link.projection.or(self.projection);
        self.at = link.at;
        self.color = link.color.or(self.color);
        self.cmap = link.cmap.or(self.cmap);
        self.range = link.range;
        self.filters.extend(crate::view_link::ViewLink::parsed(&link.filters));
        self.map_filters =
            link.show.iter().filter_map(|(text, layer)| Some((RowFilter::parse(text).ok()?, *layer))).collect();
        self.time_window = link.window;
        self.aoi = link.aoi.or(self.aoi);
        self.profile = link.profile.or(self.profile);
        self
    }
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
    /// An AOI file read in the background (one picked in the browser).
    Aoi(floe_io::aoi::Aoi),
    /// Every column of a picked point's row, read from its file.
    RowColumns {
        layer_id: u64,
        point: usize,
        columns: Result<Vec<(String, String)>, String>,
    },
}

/// Where background tasks leave what they finished, for the next frame to take.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Finished>>>);

impl Inbox {
    fn push(&self, finished: Finished) {
        if let Ok(mut inbox) = self.0.lock() {
            inbox.push(finished);
        }
    }

    fn take(&self) -> Vec<Finished> {
        self.0.lock().map(|mut inbox| std::mem::take(&mut *inbox)).unwrap_or_default()
    }
}

pub struct FloeApp {
    options: AppOptions,
    tasks: Tasks,
    pub layers: Vec<Layer>,
    pub selected: usize,
    next_id: u64,
    /// Layers removed while no GPU was at hand: their buffers go at the next sync.
    retired_layers: Vec<u64>,
    map: MapView,
    pub aoi_drawing: aoi_draw::AoiDrawing,
    qa: qa_panel::QaPanel,
    filters: filters_panel::FiltersPanel,
    open_url: open_url::OpenUrlWindow,
    /// The point the user last clicked, and the window that lists it.
    pick: pick::PickWindow,
    /// The along-track profile under the map (or in its own window).
    pub profile: ProfilePanel,
    /// The open "Save as" window (exports, AOI files); the browser downloads instead and never opens it.
    pub save_dialog: Option<SaveDialog>,
    /// Messages shown at the top of the window until dismissed.
    pub notices: Vec<Notice>,
    /// What background tasks (exports, AOI files read in the browser) hand to the UI.
    inbox: Inbox,
    frame_ms: f32,
    /// Floe's own part of `frame_ms`: its UI code and paint callbacks, without egui's painting or the rasteriser.
    floe_ms: f32,
    frame_logged_ms: f64,
    first_points_logged: bool,
    /// Filters drawn on the GPU (the *Filters* section's "on the map" list and its presets): a change costs
    /// uniforms, never a reload.
    map_filters: Vec<MapFilter>,
    /// The time slider's window, `[start, end]` in UTC nanoseconds: two more filters on the map.
    time_window: Option<(i64, i64)>,
    time_panel: time_panel::TimePanel,
    /// The view link last shown in the page's address.
    last_link: String,
}

impl FloeApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> anyhow::Result<Self> {
        crate::time_since_start_ms();
        crate::platform::install(&cc.egui_ctx);
        if let Some(render_state) = cc.wgpu_render_state.as_ref() {
            FloeGpu::install(render_state);
            let info = render_state.adapter.get_info();
            log::info!("floe: rendering with {:?} on {} ({:?})", info.backend, info.name, info.device_type);
        }
        let tiles = options.tiles.then(|| HttpTiles::new(walkers::sources::OpenStreetMap, cc.egui_ctx.clone()));
        let polar_tiles = options.tiles.then(|| polar_tiles::PolarTiles::new(options.polar_tiles.clone()));
        let mut map = MapView::new(tiles, polar_tiles);
        if let Some(projection) = options.projection {
            map.set_projection(projection);
        }
        let mut app = Self {
            options: options.clone(),
            tasks: Tasks::new()?,
            layers: Vec::new(),
            selected: 0,
            next_id: 1,
            retired_layers: Vec::new(),
            map,
            aoi_drawing: aoi_draw::AoiDrawing::default(),
            qa: qa_panel::QaPanel::default(),
            filters: filters_panel::FiltersPanel::default(),
            open_url: open_url::OpenUrlWindow::default(),
            pick: pick::PickWindow::default(),
            profile: ProfilePanel::default(),
            save_dialog: None,
            notices: Vec::new(),
            inbox: Inbox::default(),
            frame_ms: 0.0,
            floe_ms: 0.0,
            frame_logged_ms: 0.0,
            first_points_logged: false,
            map_filters: Vec::new(),
            time_window: None,
            time_panel: time_panel::TimePanel::default(),
            last_link: String::new(),
        };
        if let Some(track) = &options.profile {
            app.profile.open = true;
            if !track.is_empty() {
                app.profile.open_track(track);
            }
        }
        if options.inputs.is_empty() {
            // The synthetic scene: photons coloured by their ATL08-like class (noise, ground, canopy, top of canopy),
            // segments by height; the profile under the map.
            let styles = [("atl08_class", Colormap::Turbo, None), ("h_li", Colormap::Viridis, None)];
            for (input, (column, colormap, range)) in crate::load::DEFAULT_INPUTS.into_iter().zip(styles) {
                app.open(input, &cc.egui_ctx);
                if let Some(layer) = app.layers.last_mut() {
                    layer.prefer(column, colormap, range);
                }
            }
            if options.profile.is_none() {
                // The middle strong beam.
                let (rgt, cycle) = (floe_io::scene::RGT, floe_io::scene::CYCLE);
                app.profile.open_track(&format!("rgt {rgt} · cycle {cycle} · gt2r"));
            }
        }
        for input in &options.inputs {
            app.open(input, &cc.egui_ctx);
            if let (Some(column), Some(layer)) = (&options.color, app.layers.last_mut()) {
                layer.prefer(column, options.cmap.unwrap_or_default(), options.range);
            }
        }
        // Layers are numbered in the order of `inputs` (each input one layer).
        app.map_filters = options
            .map_filters
            .iter()
            .map(|(filter, index)| MapFilter {
                filter: filter.clone(),
                layer: index.map(|i| app.layers.get(i).map_or(u64::MAX, |l| l.id)),
            })
            .collect();
        app.time_window = options.time_window;
        app.apply_map_filters();
        if let Some((lon, lat, zoom)) = options.at {
            app.map.set_view_at(lon, lat, zoom);
            app.map.auto_zoom = false;
        }
        Ok(app)
    }

    /// Starts loading an input (path, URL, `s3://…`, `sample`) as a new layer; a `.geojson` path is the AOI.
    pub fn open(&mut self, input: &str, ctx: &egui::Context) {
        match crate::platform::read_aoi_file(input) {
            Some(Ok(aoi)) => self.set_aoi(Some(Arc::new(aoi)), ctx),
            Some(Err(message)) => self.notify(Notice::error(message)),
            None => self.start_load(Input::Named(input.to_owned()), ctx),
        }
    }

    /// Opens a file the user picked or dropped without a path (the browser): a `.geojson` becomes the AOI,
    /// anything else a layer read slice by slice.
    fn open_source(&mut self, source: Arc<dyn floe_io::source::ByteSource>, ctx: &egui::Context) {
        let name = source.location().to_owned();
        if !(name.ends_with(".geojson") || name.ends_with(".json")) {
            self.start_load(Input::Source(source), ctx);
            return;
        }
        let inbox = self.inbox.clone();
        let ctx = ctx.clone();
        self.tasks.spawn(async move {
            let read = match floe_io::aoi::check_size(&name, source.size()) {
                Ok(()) => Input::Source(source).read_all().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let aoi = read.and_then(|bytes| floe_io::aoi::Aoi::from_geojson(&name, &bytes).map_err(|e| e.to_string()));
            inbox.push(match aoi {
                Ok(aoi) => Finished::Aoi(aoi),
                Err(message) => Finished::Notice(Notice::error(message)),
            });
            ctx.request_repaint();
        });
    }

    /// Saves what one layer (or every layer) holds inside the AOI to GeoParquet, in the background: the inputs
    /// are read again through the AOI with all their columns, exactly as `floe subset` does. On the desktop the
    /// file goes to the path `target`; in the browser it is a download.
    pub fn export_selection(&mut self, target: SaveTarget, layer: Option<usize>, ctx: &egui::Context) {
        let request = self.selection_request(layer);
        let inbox = self.inbox.clone();
        let ctx = ctx.clone();
        self.tasks.spawn(async move {
            let subset = crate::subset::run(&request, |_, _| Box::new(|| {})).await;
            let written = subset.and_then(|subset| crate::platform::write_export(&target, &subset.batch));
            let destination = crate::platform::describe_target(&target);
            inbox.push(Finished::Notice(match written {
                Ok(summary) => Notice::info(format!("Exported {} rows to {destination}", summary.rows)),
                Err(e) => Notice::error(format!("Export to {destination} failed: {}", crate::user_message(&e))),
            }));
            ctx.request_repaint();
        });
    }

    /// What one layer (or, with `None`, every layer) holds inside the AOI, as `floe subset` would cut it.
    fn selection_request(&self, layer: Option<usize>) -> crate::subset::Request {
        let exported: Vec<&Layer> = match layer {
            Some(index) => self.layers.get(index).into_iter().collect(),
            None => self.layers.iter().collect(),
        };
        let inputs = exported.iter().map(|l| l.input.clone()).collect();
        crate::subset::Request {
            inputs,
            aoi: self.options.aoi.clone(),
            dataset: self.options.dataset.clone(),
            brush: self.profile.export_filter(&self.layers, &self.options.track_key),
            filters: self.options.filters.clone(),
            // Each input takes the map's filters its layer takes (where it has their columns).
            map_filters: self
                .map_filters
                .iter()
                .map(|f| (f.filter.clone(), f.layer))
                .chain(self.time_window_filters().into_iter().map(|f| (f, None)))
                .flat_map(|(filter, scope)| match scope {
                    None => vec![(filter, None)],
                    Some(id) => {
                        exported.iter().position(|l| l.id == id).map(|i| (filter, Some(i))).into_iter().collect()
                    }
                })
                .collect(),
            ..crate::subset::Request::default()
        }
    }

    /// Sets (or clears) the area of interest and reloads every layer through it.
    pub fn set_aoi(&mut self, aoi: Option<Arc<floe_io::aoi::Aoi>>, ctx: &egui::Context) {
        self.options.aoi = aoi;
        self.reload(ctx);
    }

    /// Sets the row filters and reloads every layer through them.
    pub fn set_filters(&mut self, filters: Vec<crate::row_filter::RowFilter>, ctx: &egui::Context) {
        self.options.filters = filters;
        self.reload(ctx);
    }

    /// The row filters in force.
    pub fn filters(&self) -> &[crate::row_filter::RowFilter] {
        &self.options.filters
    }

    /// The view as a link (see [`crate::view_link`]): what a colleague needs to see the same.
    pub fn view_link(&self) -> crate::view_link::ViewLink {
        let layer = self.layers.get(self.selected);
        let column = layer.and_then(Layer::colour_column);
        let range = match (layer, column) {
            (Some(layer), Some(column)) if layer.range_user_set => {
                Some((column.value_of(layer.style.value_range.0), column.value_of(layer.style.value_range.1)))
            }
            _ => None,
        };
        crate::view_link::ViewLink {
            inputs: self.layers.iter().filter_map(|l| l.input.link_name()).collect(),
            projection: Some(self.map.projection()),
            at: Some(self.map.view_at()),
            color: column.map(|c| c.name.clone()),
            cmap: layer.map(|l| l.style.colormap),
            range,
            filters: self.options.filters.iter().map(|f| f.text.clone()).collect(),
            show: self
                .map_filters
                .iter()
                .filter_map(|f| {
                    let index = match f.layer {
                        Some(id) => Some(self.layers.iter().position(|l| l.id == id)?),
                        None => None,
                    };
                    Some((f.filter.text.clone(), index))
                })
                .collect(),
            window: self.time_window,
            aoi: self.options.aoi.clone(),
            profile: self.profile.open.then(|| self.profile.track.clone().unwrap_or_default()),
        }
    }

    /// Sets the filters drawn on the GPU: no reload, uniforms from the next frame on.
    pub fn set_map_filters(&mut self, filters: Vec<RowFilter>) {
        self.set_map_filter_list(filters.into_iter().map(MapFilter::everywhere).collect());
    }

    /// Sets the filters drawn on the GPU, each for every layer or one.
    pub fn set_map_filter_list(&mut self, filters: Vec<MapFilter>) {
        self.map_filters = filters;
        self.apply_map_filters();
    }

    pub fn map_filters(&self) -> &[MapFilter] {
        &self.map_filters
    }

    /// Sets (or clears) the time window, in UTC nanoseconds.
    pub fn set_time_window(&mut self, window: Option<(i64, i64)>) {
        self.time_window = window;
        self.apply_map_filters();
    }

    pub fn time_window(&self) -> Option<(i64, i64)> {
        self.time_window
    }

    /// Everything drawn on the GPU: the map filters, then the time window as `time >= START`, `time <= END`.
    pub fn filters_on_map(&self) -> Vec<RowFilter> {
        let mut filters: Vec<RowFilter> = self.map_filters.iter().map(|f| f.filter.clone()).collect();
        filters.extend(self.time_window_filters());
        filters
    }

    /// The filters drawn on layer `id`: the map filters for it, then the time window.
    fn filters_for(&self, id: u64) -> Vec<RowFilter> {
        let mut filters: Vec<RowFilter> =
            self.map_filters.iter().filter(|f| f.applies_to(id)).map(|f| f.filter.clone()).collect();
        filters.extend(self.time_window_filters());
        filters
    }

    /// The time window as `time >= START`, `time <= END`.
    fn time_window_filters(&self) -> Vec<RowFilter> {
        let mut filters = Vec::new();
        if let Some((start, end)) = self.time_window {
            for (op, ns) in [(">=", start), ("<=", end)] {
                if let Ok(filter) = RowFilter::parse(&format!("time {op} {}", crate::time_range::utc_text(ns))) {
                    filters.push(filter);
                }
            }
        }
        filters
    }

    fn apply_map_filters(&mut self) {
        let per_layer: Vec<Vec<RowFilter>> = self.layers.iter().map(|l| self.filters_for(l.id)).collect();
        for (layer, filters) in self.layers.iter_mut().zip(per_layer) {
            let sources = layer.live.slot_sources();
            layer.set_live_filters(&filters);
            // The profile's copies of the points need the values of newly filtered columns; a new range or set is
            // uniforms there too.
            if layer.live.slot_sources() != sources {
                self.profile.gpu_dirty = true;
            }
        }
    }

    /// Loads every layer again (through a new AOI or new filters), keeping what the user chose for each.
    fn reload(&mut self, ctx: &egui::Context) {
        let reloads: Vec<(Input, layer::LayerChoices)> =
            self.layers.iter().map(|l| (l.input.clone(), l.choices())).collect();
        let selected = self.selected;
        while !self.layers.is_empty() {
            self.remove_layer(0, None);
        }
        self.map.auto_zoom = true;
        for (input, choices) in reloads {
            self.start_load(input, ctx);
            if let Some(layer) = self.layers.last_mut() {
                layer.restore(choices);
            }
        }
        self.selected = selected.min(self.layers.len().saturating_sub(1));
    }

    /// Adds a layer for `input` and runs its load in the background. For an open source, the summary logged at
    /// the end says how much of the file was read.
    fn start_load(&mut self, input: Input, ctx: &egui::Context) {
        let id = self.next_id;
        self.next_id += 1;
        let progress = Arc::new(Progress::default());
        let cancel = CancelToken::default();
        // Bounded: a load waits for the UI to take its batches (and the memory budget to see them) instead of
        // decoding a whole file into a queue nobody drains, e.g. while the window is hidden.
        let (sender, events) = futures::channel::mpsc::channel(LOAD_EVENTS_QUEUED);
        let sender = Arc::new(futures::lock::Mutex::new(sender));
        let state = LoadState::Loading { progress: Arc::clone(&progress), cancel: cancel.clone(), events };
        let colormap = self.options.cmap.unwrap_or_default();
        let mut layer = Layer::new(id, input.clone(), state, self.options.color.clone(), colormap);
        layer.set_projection(self.map.projection());
        layer.set_live_filters(&self.filters_for(id));
        self.layers.push(layer);
        let ctx = ctx.clone();
        let read = match &self.options.aoi {
            Some(aoi) => ReadOptions::default().with_aoi(Arc::clone(aoi)),
            None => ReadOptions::default(),
        };
        let dataset_options = self.options.dataset.clone();
        let load = crate::load::LoadOptions {
            track_key: self.options.track_key.clone(),
            filters: self.options.filters.clone(),
        };
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
                let (sender, ctx) = (Arc::clone(&sender), ctx.clone());
                async move {
                    use futures::SinkExt as _;
                    let delivered = sender.lock().await.send(event).await.is_ok();
                    ctx.request_repaint();
                    delivered
                }
            };
            match input.open(&dataset_options).await {
                Ok(dataset) => run_load(dataset, read, load, parallelism(), progress, cancel, emit).await,
                Err(e) => {
                    emit(LoadEvent::Failed(e)).await;
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
        self.tasks.spawn(task);
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
        if let Some(layer) = self.layers.get(index) {
            self.map.zoom_to(layer.bbox);
        }
    }

    /// Moves new chunks, new colour values and styles to the GPU.
    fn sync_gpu(&mut self, render_state: &egui_wgpu::RenderState, pixels_per_point: f32) {
        let mut renderer = render_state.renderer.write();
        let Some(gpu) = renderer.callback_resources.get_mut::<FloeGpu>() else { return };
        for id in self.retired_layers.drain(..) {
            gpu.layers.remove(&id);
        }
        for layer in &mut self.layers {
            if layer.positions_dirty {
                // Another projection: the layer's buffers are built again from its re-projected chunks.
                gpu.layers.remove(&layer.id);
                layer.positions_dirty = false;
                layer.gpu_slot_sources = Default::default();
            }
            let (device, queue) = (&render_state.device, &render_state.queue);
            let gpu_layer =
                gpu.layers.entry(layer.id).or_insert_with(|| gpu.renderer.create_layer(device, queue, layer.style));
            // Filter slots given another column: that column's values, once, for the chunks already there.
            let sources = layer.live.slot_sources();
            for (slot, source) in sources.iter().enumerate() {
                if let Some(source) = *source
                    && layer.gpu_slot_sources.get(slot) != Some(&Some(source))
                {
                    for index in 0..gpu_layer.num_chunks() {
                        gpu_layer.set_chunk_filter_values(device, queue, index, slot, layer.slot_values(source, index));
                    }
                }
            }
            layer.gpu_slot_sources = sources;
            for chunk in std::mem::take(&mut layer.pending_chunks) {
                let index = gpu_layer.num_chunks();
                gpu_layer.push_chunk(device, &chunk, &layer.chunk_values(index));
                gpu_layer.set_chunk_visible(index, layer.chunk_visible(index));
                for (slot, source) in sources.iter().enumerate() {
                    if let Some(source) = *source {
                        gpu_layer.set_chunk_filter_values(device, queue, index, slot, layer.slot_values(source, index));
                    }
                }
                layer.uploaded_chunks += 1;
            }
            let filters = layer.live.plan.slot_filters();
            if *gpu_layer.filters() != filters {
                gpu_layer.set_filters(queue, filters);
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
                // The profile draws the same colours.
                self.profile.gpu_dirty = true;
            }
            let style = floe_render::LayerStyle { point_size: layer.point_size * pixels_per_point, ..layer.style };
            if *gpu_layer.style() != style {
                gpu_layer.set_style(&render_state.queue, style);
            }
            layer.uploads = gpu_layer.uploads;
        }
        self.profile.sync_gpu(&self.layers, gpu, render_state, pixels_per_point);
    }

    /// Does what the panels asked for this frame.
    fn apply(&mut self, command: Command, ctx: &egui::Context, render_state: Option<&egui_wgpu::RenderState>) {
        match command {
            Command::Open(input) => self.open(&input, ctx),
            Command::ShowOpenUrl => self.open_url.open = true,
            Command::Save(purpose) => match crate::platform::save_without_asking(purpose.file_name()) {
                Some(target) => self.save(purpose, target, ctx),
                None => self.save_dialog = Some(SaveDialog::new(purpose, purpose.file_name())),
            },
            Command::RunChecks { layer } => {
                if let Some(layer) = self.layers.get(layer) {
                    self.qa.start_checks(&self.tasks, layer.input.clone(), layer.id, ctx.clone());
                }
            }
            Command::ZoomTo { layer } => {
                self.map.auto_zoom = false;
                self.zoom_to(layer);
            }
            Command::RemoveLayer { layer } => self.remove_layer(layer, render_state),
            Command::SetAoi(aoi) => self.set_aoi(aoi, ctx),
            Command::SetProjection(projection) => {
                self.options.projection = Some(projection);
                self.set_projection(projection);
            }
            Command::ToggleProfile => self.profile.open = !self.profile.open,
            Command::SetFilters(filters) => self.set_filters(filters, ctx),
            Command::SetMapFilters(filters) => self.set_map_filter_list(filters),
            Command::CopyLink => {
                let link = format!("{}?{}", crate::platform::link_base(), self.view_link().to_query());
                ctx.copy_text(link.clone());
                self.notify(Notice::info(format!("Link copied: {link}")));
            }
            Command::SetTimeWindow(window) => self.set_time_window(window),
            Command::DismissNotice(index) => {
                if index < self.notices.len() {
                    self.notices.remove(index);
                }
            }
        }
    }

    /// Writes what `purpose` names to `target` (a path the Save-as window checked, or a download).
    fn save(&mut self, purpose: Purpose, target: SaveTarget, ctx: &egui::Context) {
        match purpose {
            Purpose::Export { layer } => self.export_selection(target, layer, ctx),
            Purpose::ExportAndCheck { layer } => {
                let Some(chosen) = self.layers.get(layer) else { return };
                let chosen = (chosen.id, chosen.input.clone());
                let request = self.selection_request(Some(layer));
                self.qa.export_and_check(&self.tasks, target, chosen, request, self.inbox.clone(), ctx.clone());
            }
            Purpose::SaveImage { profile } => self.save_image(target, profile, ctx),
            Purpose::SaveAoi => {
                let Some(aoi) = self.aoi() else { return };
                let destination = crate::platform::describe_target(&target);
                let saved = crate::platform::save_bytes(&target, aoi.to_geojson().as_bytes(), "application/geo+json");
                self.notify(match saved {
                    Ok(()) => Notice::info(format!("Saved the AOI to {destination}")),
                    Err(e) => Notice::error(crate::user_message(&e)),
                });
            }
        }
    }

    /// Reads, in the background, everything the file holds for the picked point's row (what was not loaded too).
    fn read_picked_row(&self, ctx: &egui::Context) {
        let Some(picked) = &self.pick.picked else { return };
        let Some((source, row)) = picked.source_row.clone() else { return };
        let Some(layer) = self.layers.iter().find(|l| l.id == picked.layer_id) else { return };
        let (layer_id, point, beam) = (picked.layer_id, picked.point, picked.beam.clone());
        let (input, options, inbox, ctx) =
            (layer.input.clone(), self.options.dataset.clone(), self.inbox.clone(), ctx.clone());
        self.tasks.spawn(async move {
            if let Some(columns) = pick::read_row_columns(input, source, row, beam, options).await {
                inbox.push(Finished::RowColumns { layer_id, point, columns });
                ctx.request_repaint();
            }
        });
    }

    /// Saves what the map (or the profile) shows as a PNG, the selected layer's legend drawn in: the window's next
    /// screenshot, cropped to the view, written to `target` (a download in the browser).
    pub fn save_image(&mut self, target: SaveTarget, profile: bool, ctx: &egui::Context) {
        let rect = if profile { self.profile.area_rect() } else { self.map.rect() };
        let Some(rect) = rect else {
            self.notify(Notice::error("Save image: the view is not shown".to_owned()));
            return;
        };
        let legend = self.layers.get(self.selected).and_then(|layer| {
            let column = layer.colour_column()?;
            let (lo, hi) = layer.style.value_range;
            Some(save_image::Legend {
                colormap: layer.style.colormap,
                title: column.label(),
                low: column.format(column.value_of(lo)),
                high: column.format(column.value_of(hi)),
            })
        });
        let request = save_image::ImageRequest { rect, pixels_per_point: ctx.pixels_per_point(), legend };
        let inbox = self.inbox.clone();
        let repaint = ctx.clone();
        let callback = egui::ScreenshotCallback::new(move |screenshot| {
            let destination = crate::platform::describe_target(&target);
            let saved = save_image::png_of(&screenshot, &request).and_then(|png| {
                crate::platform::save_bytes(&target, &png, "image/png").map_err(|e| crate::user_message(&e))
            });
            inbox.push(Finished::Notice(match saved {
                Ok(()) => Notice::info(format!("Saved the image to {destination}")),
                Err(e) => Notice::error(format!("Saving the image to {destination} failed: {e}")),
            }));
            repaint.request_repaint();
        });
        ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(callback));
    }

    /// The "Save as" window, and what it asks for once a path is chosen.
    fn save_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.save_dialog else { return };
        let inputs: Vec<String> = self.layers.iter().map(|l| l.input.address().to_owned()).collect();
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        match dialog.show_ui(ctx, &inputs) {
            SaveCommand::Keep => {}
            SaveCommand::Close => self.save_dialog = None,
            SaveCommand::Save(purpose, path) => {
                self.save_dialog = None;
                self.save(purpose, crate::platform::target_at(path), ctx);
            }
        }
    }

    /// The side panel: layers, style, legend, AOI, QA.
    fn side_panel_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::Panel::left("layers").default_size(300.0).resizable(true).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                panels::layers_ui(ui, &mut self.layers, &mut self.selected, commands);
                ui.separator();
                let selected = self.selected;
                if let Some(layer) = self.layers.get_mut(selected) {
                    panels::style_ui(ui, layer);
                    ui.separator();
                    panels::legend_ui(ui, layer);
                    ui.separator();
                }
                self.aoi_drawing.panel_ui(ui, self.options.aoi.as_deref(), commands);
                ui.separator();
                if let Some(layer) = self.layers.get(selected) {
                    self.qa.ui(ui, layer, selected, commands);
                }
                // After QA: the browser tests click the sections above at fixed places.
                ui.separator();
                let columns = self.layers.get(selected).map(|l| l.columns.as_slice()).unwrap_or(&[]);
                let not_applied = self.layers.get(selected).map(|l| l.live.plan.not_applied.as_slice()).unwrap_or(&[]);
                let has_beams = self.layers.get(selected).is_some_and(|l| !l.beams.is_empty());
                let view = filters_panel::FiltersView {
                    loaded_with: &self.options.filters,
                    on_map: &self.map_filters,
                    layers: self.layers.iter().map(|l| (l.id, l.name.as_str())).collect(),
                    selected: self.layers.get(selected).map(|l| l.id),
                    columns,
                    has_beams,
                    not_applied,
                };
                self.filters.panel_ui(ui, &view, commands);
                ui.separator();
                let span = self.layers.iter().filter_map(Layer::time_span).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
                self.time_panel.panel_ui(ui, span, self.time_window, commands);
            });
        });
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

    /// Shows the map in `projection`: every layer is moved into its plane from the positions it holds.
    pub fn set_projection(&mut self, projection: floe_render::Projection) {
        self.map.set_projection(projection);
        for layer in &mut self.layers {
            layer.set_projection(projection);
        }
    }

    pub fn projection(&self) -> floe_render::Projection {
        self.map.projection()
    }

    /// The point the user last clicked on the map, if any.
    pub fn picked(&self) -> Option<&PickedPoint> {
        self.pick.picked.as_ref()
    }

    /// Polar basemap tiles cached, failed and on their way.
    pub fn polar_tile_counts(&self) -> polar_tiles::TileCounts {
        self.map.polar_tile_counts()
    }

    /// Points drawn in the last frame.
    pub fn points_drawn(&self) -> u64 {
        self.map.points_drawn()
    }

    /// Where the pointer is on the map, as the status bar shows it.
    pub fn cursor_lonlat(&self) -> Option<(f64, f64)> {
        self.map.cursor_lonlat()
    }

    pub fn aoi(&self) -> Option<&floe_io::aoi::Aoi> {
        self.options.aoi.as_deref()
    }

    /// The last QA report of each layer (by id), or why it could not run.
    pub fn qa_reports(&self) -> &std::collections::HashMap<u64, Result<floe_io::qa::Report, String>> {
        &self.qa.reports
    }
}

impl eframe::App for FloeApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let started = crate::platform::thread_cpu_ms();
        self.frame_ui(ui, frame);
        // The paint callbacks counted are the previous frame's: this frame's run after `ui` returns.
        let floe_ms = (crate::platform::thread_cpu_ms() - started + gpu::take_callback_ms()) as f32;
        self.floe_ms = 0.9 * self.floe_ms + 0.1 * floe_ms;
        let now = crate::time_since_start_ms();
        if now - self.frame_logged_ms >= 2000.0 {
            self.frame_logged_ms = now;
            // What `scripts/bench-viewer` reads (RUST_LOG=floe=debug).
            log::debug!(
                "floe: frame: {:.2} ms Floe's own, {:.2} ms CPU in all, {} points drawn, {} bytes held",
                self.floe_ms,
                self.frame_ms,
                self.map.points_drawn(),
                self.layers.iter().map(Layer::memory_bytes).sum::<u64>()
            );
        }
    }
}

impl FloeApp {
    fn frame_ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
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
            // "N of M shown": a few milliseconds of counting per frame.
            layer.step_count(Duration::from_millis(4));
            match layer.shown_count() {
                None => ctx.request_repaint(),
                Some(shown) if !layer.is_loading() && layer.logged_shown != Some(shown) => {
                    layer.logged_shown = Some(shown);
                    log::info!("floe: {}: {shown} of {} points shown", layer.name, layer.rows_loaded);
                }
                Some(_) => {}
            }
        }
        for message in stopped {
            self.notify(Notice::error(message));
        }
        for finished in self.inbox.take() {
            match finished {
                Finished::Notice(notice) => self.notify(notice),
                Finished::Aoi(aoi) => self.set_aoi(Some(Arc::new(aoi)), &ctx),
                Finished::RowColumns { layer_id, point, columns } => {
                    if let Some(picked) =
                        self.pick.picked.as_mut().filter(|p| p.layer_id == layer_id && p.point == point)
                    {
                        picked.row_columns = Some(columns);
                    }
                }
            }
        }
        if !self.first_points_logged && self.points_drawn() > 0 {
            self.first_points_logged = true;
            log::info!("floe: first points on screen {:.0} ms after the page started", crate::time_since_start_ms());
        }
        // Until the user picks a projection or moves the map, the data choose the projection.
        if self.options.projection.is_none() && self.map.auto_zoom {
            let bbox = self.layers.iter().fold(floe_io::LonLatBox::EMPTY, |acc, l| acc.union(&l.bbox));
            if !bbox.is_empty() {
                let wanted = floe_render::Projection::for_lonlat_box(bbox.to_array());
                if wanted != self.map.projection() {
                    self.set_projection(wanted);
                }
            }
        }
        if self.map.auto_zoom && self.layers.first().is_some_and(|l| !l.bbox.is_empty()) {
            self.zoom_to(0);
            if self.layers.first().is_some_and(|l| !l.is_loading()) {
                self.map.auto_zoom = false;
            }
        }
        for source in crate::platform::take_opened_files() {
            self.open_source(source, &ctx);
        }
        let dropped: Vec<std::path::PathBuf> =
            ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        for path in dropped {
            self.open(&path.to_string_lossy(), &ctx);
        }
        self.profile.refresh(&self.layers, crate::time_since_start_ms() / 1000.0);
        if let Some(render_state) = frame.wgpu_render_state() {
            self.sync_gpu(render_state, ctx.pixels_per_point());
        }
        let mut commands = Vec::new();
        let (has_layers, projection, profile_open) =
            (!self.layers.is_empty(), self.map.projection(), self.profile.open);
        panels::top_bar_ui(ui, &self.notices, has_layers, projection, profile_open, &mut commands);
        let status = panels::Status {
            cursor_lonlat: self.map.cursor_lonlat(),
            zoom: self.map.zoom(),
            points_drawn: self.map.points_drawn(),
            frame_ms: self.frame_ms,
            floe_ms: self.floe_ms,
        };
        panels::status_bar_ui(ui, &status);
        // The page's address follows the view once loading has settled (the desktop has no address bar: the link is
        // made only for *Copy link*).
        if crate::platform::ADDRESS_FOLLOWS_VIEW && !self.layers.iter().any(Layer::is_loading) {
            let query = self.view_link().to_query();
            if query != self.last_link {
                crate::platform::show_link(&query);
                self.last_link = query;
            }
        }
        self.side_panel_ui(ui, &mut commands);
        let mut profile_output = None;
        if self.profile.open && !self.profile.detached {
            egui::Panel::bottom("profile").resizable(true).default_size(280.0).show(ui, |ui| {
                profile_output = Some(self.profile.show_ui(ui, &self.layers));
            });
        }
        egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            let mut layer_ids: Vec<u64> = self.layers.iter().filter(|l| l.style.visible).map(|l| l.id).collect();
            // The brushed points, drawn over every layer.
            layer_ids.extend(self.profile.brushed.iter().flat_map(|b| &b.points).map(|(id, _)| gpu::selection_id(*id)));
            let aoi = self.options.aoi.as_deref();
            let marker = self
                .profile
                .hovered()
                .filter(|_| self.profile.open)
                .and_then(|(id, point)| self.layers.iter().find(|l| l.id == id)?.point_lonlat(point));
            let output = self.map.show_ui(ui, layer_ids, aoi, marker, &mut self.aoi_drawing, &self.tasks);
            if let Some(aoi) = output.drawn {
                commands.push(Command::SetAoi(Some(Arc::new(aoi))));
            }
            // A point of the profile's track near the pointer is marked in the profile.
            self.profile.linked = match (self.profile.open, output.hover_world) {
                (true, Some(world)) => {
                    let radius = pick::PICK_RADIUS_POINTS * output.world_per_point;
                    pick::nearest(&self.layers, world, radius).and_then(|(layer, point)| {
                        let on_track =
                            layer.point_track(point).is_some_and(|t| Some(t) == self.profile.track.as_deref());
                        on_track.then_some((layer.id, point))
                    })
                }
                _ => None,
            };
            if let Some(world) = output.clicked_world {
                let radius = pick::PICK_RADIUS_POINTS * output.world_per_point;
                self.pick.picked = pick::pick(&self.layers, world, radius);
                self.read_picked_row(&ctx);
                // Clicking a track opens its profile.
                let track = self.pick.picked.as_ref().and_then(|picked| {
                    let layer = self.layers.iter().find(|l| l.id == picked.layer_id)?;
                    layer.point_track(picked.point).map(str::to_owned)
                });
                if let Some(track) = track {
                    self.profile.open_track(&track);
                }
            }
        });
        if self.profile.open && self.profile.detached {
            let mut open = true;
            egui::Window::new("Profile").open(&mut open).default_size([760.0, 340.0]).resizable(true).show(
                &ctx,
                |ui| {
                    profile_output = Some(self.profile.show_ui(ui, &self.layers));
                },
            );
            self.profile.open &= open;
        }
        if profile_output.as_ref().is_some_and(|o| o.save_image) {
            self.apply(Command::Save(Purpose::SaveImage { profile: true }), &ctx, frame.wgpu_render_state());
        }
        if let Some((id, point)) = profile_output.and_then(|o| o.clicked)
            && let Some(layer) = self.layers.iter().find(|l| l.id == id)
        {
            self.pick.picked = Some(pick::picked_point(layer, point));
            self.read_picked_row(&ctx);
        }
        for command in commands {
            self.apply(command, &ctx, frame.wgpu_render_state());
        }
        // The windows after the commands, so that one opened this frame shows this frame.
        if let Some(url) = self.open_url.show_ui(&ctx) {
            self.open(&url, &ctx);
        }
        self.pick.show_ui(&ctx);
        self.save_dialog_ui(&ctx);
        if self.layers.iter().any(Layer::is_loading) {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
}
