//! A layer of the viewer: what was loaded (CPU side), how it is drawn, and its loading state.

use futures::channel::mpsc::Receiver;
use std::ops::Range;
use std::sync::Arc;

use floe_io::{CancelToken, LonLatBox, Progress, ProgressSnapshot};
use floe_render::projection::{reproject_chunk, reproject_chunks};
use floe_render::{Colormap, LayerStyle, PointChunk, Projection};

use crate::load::{Input, LoadEvent, default_colour_column};
use crate::points::{ValueColumn, percentile_range};
use crate::row_filter::RowFilter;
use crate::viewer::live_filters::{LiveFilters, ShownCount, SlotSource};

pub enum LoadState {
    Loading {
        progress: Arc<Progress>,
        cancel: CancelToken,
        events: Receiver<LoadEvent>,
    },
    Done,
    Cancelled,
    /// Loading stopped at the memory budget; what was loaded stays shown.
    Stopped(String),
    Failed(String),
}

/// Bytes one loaded point costs: its f32 offsets on the GPU and here (kept to re-project without a re-read), its
/// colour value there, one f32 per column here, its f64 along-track distance when the layer has one, and its row
/// in its file.
fn point_bytes(columns: usize, along_track: bool) -> u64 {
    28 + 4 * columns as u64 + if along_track { 8 } else { 0 }
}

/// What the user chose for a layer, carried over when it loads again (through a new AOI): its style, colour
/// column, a range typed in (in real values: a time column's GPU reference may change) and hidden beams.
#[derive(Clone, Debug)]
pub struct LayerChoices {
    style: LayerStyle,
    point_size: f32,
    colour: Option<String>,
    user_range: Option<(f64, f64)>,
    hidden_beams: Vec<String>,
}

/// A time extent in UTC nanoseconds, when there is one.
type TimeSpan = Option<(i64, i64)>;

pub struct Layer {
    pub id: u64,
    /// Short name shown in the panel: the file name.
    pub name: String,
    /// What the user opened: path, URL, `sample`, or a file picked in the browser.
    pub input: Input,
    pub columns: Vec<ValueColumn>,
    pub colour_column: Option<usize>,
    /// Per column, one value per loaded point, in upload order.
    values: Vec<Vec<f32>>,
    /// Point range of each uploaded or pending chunk inside `values`.
    chunk_ranges: Vec<Range<usize>>,
    /// Every chunk loaded, in the world of `projection` (the CPU copy a projection switch starts from).
    chunks: Vec<PointChunk>,
    /// The map projection `chunks` are in.
    projection: Projection,
    /// Chunks decoded but not yet on the GPU.
    pub pending_chunks: Vec<PointChunk>,
    /// The positions changed (another projection): the GPU layer is rebuilt from `pending_chunks`.
    pub positions_dirty: bool,
    /// Chunks already on the GPU.
    pub uploaded_chunks: usize,
    pub style: LayerStyle,
    /// Point diameter in egui points (the GPU takes pixels).
    pub point_size: f32,
    pub range_user_set: bool,
    /// The colour column's values changed (another column picked): re-upload one f32 per point.
    pub values_dirty: bool,
    pub bbox: LonLatBox,
    pub rows_loaded: u64,
    pub rows_total: u64,
    pub rows_skipped: u64,
    pub state: LoadState,
    /// Beams of a granule layer: name, strength, shown.
    pub beams: Vec<(String, String, bool)>,
    /// The beam (index into `beams`) of each chunk.
    chunk_beams: Vec<Option<usize>>,
    /// Beam visibility changed: the GPU layer's chunk flags need updating.
    pub beams_dirty: bool,
    /// The tracks (one beam of one pass) seen so far, in order of arrival.
    pub tracks: Vec<String>,
    /// The track (index into `tracks`) of each chunk.
    chunk_tracks: Vec<Option<usize>>,
    /// Along-track distance (`x_atc`, metres) of each point, in upload order; empty when no batch had one (NaN for
    /// the points of batches without).
    along_track: Vec<f64>,
    /// Each point's row in its file (GeoParquet) or beam (granules); unknown where the reader did not say.
    rows: floe_io::SourceRows,
    /// The file of each chunk (a dataset's points come from several).
    chunk_sources: Vec<Option<Arc<str>>>,
    /// What has been written to this layer's GPU buffers so far.
    pub uploads: floe_render::UploadStats,
    preferred_column: Option<String>,
    /// A user range to apply once the columns are known (a reload).
    pending_user_range: Option<(f64, f64)>,
    /// Beams the user hid before a reload: they stay hidden when they arrive again.
    hidden_beams: Vec<String>,
    /// Points per class of the colour column, with the points loaded and the column they were counted for.
    class_counts: std::sync::Mutex<Option<(u64, usize, Vec<u64>)>>,
    /// The filters drawn on the GPU, and the count of points they leave.
    pub live: LiveFilters,
    count: ShownCount,
    /// The time column's extent (UTC ns) with the points loaded it was found for.
    time_span: std::sync::Mutex<Option<(u64, TimeSpan)>>,
    /// What the GPU layer's filter slots hold (`None` everywhere after a rebuild).
    pub gpu_slot_sources: [Option<SlotSource>; floe_render::FILTER_SLOTS],
    /// The shown count last written to the log.
    pub logged_shown: Option<u64>,
}

impl Layer {
    pub fn new(id: u64, input: Input, state: LoadState, colour: Option<String>, colormap: Colormap) -> Self {
        let location = &input.name();
        let name = if location == crate::load::SAMPLE_INPUT {
            floe_io::sample::SAMPLE_NAME.to_owned()
        } else if let Some(name) = floe_io::scene::display_name(location) {
            name.to_owned()
        } else {
            let path = location.split('?').next().unwrap_or(location);
            path.trim_end_matches('/').rsplit('/').next().unwrap_or(path).to_owned()
        };
        Self {
            id,
            name,
            input,
            columns: Vec::new(),
            colour_column: None,
            values: Vec::new(),
            chunk_ranges: Vec::new(),
            chunks: Vec::new(),
            projection: Projection::Mercator,
            pending_chunks: Vec::new(),
            positions_dirty: false,
            uploaded_chunks: 0,
            style: LayerStyle { colormap, ..LayerStyle::default() },
            point_size: 3.0,
            range_user_set: false,
            values_dirty: false,
            bbox: LonLatBox::EMPTY,
            rows_loaded: 0,
            rows_total: 0,
            rows_skipped: 0,
            state,
            beams: Vec::new(),
            chunk_beams: Vec::new(),
            beams_dirty: false,
            tracks: Vec::new(),
            chunk_tracks: Vec::new(),
            along_track: Vec::new(),
            rows: floe_io::SourceRows::default(),
            chunk_sources: Vec::new(),
            uploads: floe_render::UploadStats::default(),
            preferred_column: colour,
            pending_user_range: None,
            hidden_beams: Vec::new(),
            class_counts: std::sync::Mutex::new(None),
            live: LiveFilters::default(),
            count: ShownCount::default(),
            time_span: std::sync::Mutex::new(None),
            gpu_slot_sources: Default::default(),
            logged_shown: None,
        }
    }

    /// Colours the layer by `column` with `colormap` (over `range`, else the loaded values' 2–98 %) once its columns
    /// are known: how the default scene starts.
    pub fn prefer(&mut self, column: &str, colormap: Colormap, range: Option<(f64, f64)>) {
        self.preferred_column = Some(column.to_owned());
        self.style.colormap = colormap;
        self.pending_user_range = range;
    }

    /// The user's choices for this layer, to carry over to its reload.
    pub fn choices(&self) -> LayerChoices {
        let user_range = match (self.range_user_set, self.colour_column()) {
            (true, Some(column)) => {
                Some((column.value_of(self.style.value_range.0), column.value_of(self.style.value_range.1)))
            }
            _ => None,
        };
        LayerChoices {
            style: self.style,
            point_size: self.point_size,
            colour: self.colour_column().map(|c| c.name.clone()).or_else(|| self.preferred_column.clone()),
            user_range,
            hidden_beams: self.beams.iter().filter(|(_, _, shown)| !shown).map(|(name, _, _)| name.clone()).collect(),
        }
    }

    /// Applies the choices of the layer this one reloads (before its data arrive).
    pub fn restore(&mut self, choices: LayerChoices) {
        self.style = choices.style;
        self.point_size = choices.point_size;
        self.preferred_column = choices.colour;
        self.pending_user_range = choices.user_range;
        self.hidden_beams = choices.hidden_beams;
    }

    pub fn progress(&self) -> Option<ProgressSnapshot> {
        match &self.state {
            LoadState::Loading { progress, .. } => Some(progress.snapshot()),
            _ => None,
        }
    }

    /// Moves every loaded point into `projection`'s world from the chunks kept here: no re-read, and one upload
    /// of the positions (values, beams and visibility keep their chunk indexes).
    pub fn set_projection(&mut self, projection: Projection) {
        if projection == self.projection {
            return;
        }
        self.chunks = reproject_chunks(&self.chunks, self.projection, projection);
        self.projection = projection;
        self.pending_chunks = self.chunks.clone();
        self.uploaded_chunks = 0;
        self.positions_dirty = true;
    }

    pub fn is_loading(&self) -> bool {
        matches!(self.state, LoadState::Loading { .. })
    }

    pub fn cancel(&mut self) {
        if let LoadState::Loading { cancel, .. } = &self.state {
            cancel.cancel();
            self.state = LoadState::Cancelled;
        }
    }

    /// What the loaded points occupy (CPU values and GPU buffers), in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.rows_loaded * point_bytes(self.columns.len(), !self.along_track.is_empty())
    }

    /// Takes what the loading task produced, spending at most `budget` on it so the UI stays responsive and
    /// at most `memory_left` bytes on new points (loading stops there). Returns a message for the user the
    /// first time loading fails or stops.
    pub fn drain_events(&mut self, budget: std::time::Duration, memory_left: &mut u64) -> Option<String> {
        let start = web_time::Instant::now();
        let mut failure = None;
        let mut received_batch = false;
        while let LoadState::Loading { events, .. } = &mut self.state {
            // Empty or closed: nothing more this frame.
            let Ok(event) = events.try_recv() else { break };
            match event {
                LoadEvent::Opened { columns, rows_total } => {
                    self.rows_total = rows_total;
                    self.set_columns(columns);
                }
                LoadEvent::Batch(batch) => {
                    let points: u64 = batch.chunks.iter().map(|c| c.len() as u64).sum();
                    let bytes = points * point_bytes(self.columns.len(), !batch.along_track.is_empty());
                    if bytes > *memory_left {
                        failure = Some(self.stop_at_memory_budget());
                        break;
                    }
                    *memory_left -= bytes;
                    received_batch = true;
                    let first_new = self.values.first().map_or(0, Vec::len);
                    for (column, new_values) in self.values.iter_mut().zip(&batch.values) {
                        column.extend_from_slice(new_values);
                    }
                    // Beams keep their first-seen position: chunks refer to them by index.
                    let beam = batch.beam.as_ref().map(|(name, strength)| {
                        self.beams.iter().position(|(n, _, _)| n == name).unwrap_or_else(|| {
                            let shown = !self.hidden_beams.contains(name);
                            self.beams.push((name.clone(), strength.clone(), shown));
                            self.beams.len() - 1
                        })
                    });
                    for range in &batch.chunk_ranges {
                        self.chunk_ranges.push(first_new + range.start..first_new + range.end);
                        self.chunk_beams.push(beam);
                    }
                    for track in &batch.chunk_tracks {
                        let index = track.as_ref().map(|label| {
                            self.tracks.iter().position(|t| t == label).unwrap_or_else(|| {
                                self.tracks.push(label.clone());
                                self.tracks.len() - 1
                            })
                        });
                        self.chunk_tracks.push(index);
                    }
                    self.rows.push_unknown((first_new as u64).saturating_sub(self.rows.len()));
                    if batch.rows.len() == points {
                        self.rows.extend_from(&batch.rows);
                    } else {
                        self.rows.push_unknown(points);
                    }
                    self.chunk_sources.extend(batch.chunk_ranges.iter().map(|_| batch.source.clone()));
                    if !batch.along_track.is_empty() || !self.along_track.is_empty() {
                        self.along_track.resize(first_new, f64::NAN);
                        if batch.along_track.len() == points as usize {
                            self.along_track.extend_from_slice(&batch.along_track);
                        } else {
                            self.along_track.resize(first_new + points as usize, f64::NAN);
                        }
                    }
                    self.rows_loaded += points;
                    self.rows_skipped += batch.skipped as u64;
                    // The loader works in Web Mercator; a polar view takes each batch into its plane on arrival.
                    let chunks: Vec<PointChunk> = match self.projection {
                        Projection::Mercator => batch.chunks,
                        to => batch.chunks.iter().map(|c| reproject_chunk(c, Projection::Mercator, to)).collect(),
                    };
                    self.chunks.extend(chunks.iter().cloned());
                    self.pending_chunks.extend(chunks);
                    self.bbox = self.bbox.union(&batch.bbox);
                }
                LoadEvent::Finished => {
                    self.state = LoadState::Done;
                    received_batch = true;
                }
                LoadEvent::Failed(error) => {
                    let message = match error {
                        floe_io::IoError::Cancelled { .. } => {
                            self.state = LoadState::Cancelled;
                            break;
                        }
                        other => other.to_string(),
                    };
                    self.state = LoadState::Failed(message.clone());
                    failure = Some(message);
                }
            }
            if start.elapsed() > budget {
                break;
            }
        }
        if received_batch && !self.range_user_set {
            self.reset_range();
        }
        if received_batch {
            // Columns and beams may be new: the filters are planned for them.
            let filters = self.live.filters().to_vec();
            self.set_live_filters(&filters);
            let points = self.values.first().map_or(0, Vec::len);
            self.live.update_overflow(&self.values, points);
        }
        failure
    }

    fn stop_at_memory_budget(&mut self) -> String {
        if let LoadState::Loading { cancel, .. } = &self.state {
            cancel.cancel();
        }
        let message = format!(
            "{}: loading stopped at the memory budget: {} of {} points loaded ({:.0} MB) and shown. Open a \
             smaller area or fewer files.",
            self.name,
            self.rows_loaded,
            self.rows_total.max(self.rows_loaded),
            self.memory_bytes() as f64 / 1e6
        );
        self.state = LoadState::Stopped(message.clone());
        message
    }

    fn set_columns(&mut self, columns: Vec<ValueColumn>) {
        let same_names =
            self.columns.len() == columns.len() && self.columns.iter().zip(&columns).all(|(a, b)| a.name == b.name);
        if !same_names {
            self.values = vec![Vec::new(); columns.len()];
            let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
            self.colour_column = self
                .preferred_column
                .as_ref()
                .and_then(|wanted| names.iter().position(|n| n == wanted))
                .or_else(|| default_colour_column(&names));
        }
        self.columns = columns;
        if let Some((lo, hi)) = self.pending_user_range.take()
            && let Some(column) = self.colour_column()
        {
            self.style.value_range = (column.gpu_of(lo), column.gpu_of(hi));
            self.range_user_set = true;
        }
    }

    /// The loaded values of column `index` (NaN where null), in upload order.
    pub fn column_values(&self, index: usize) -> &[f32] {
        self.values.get(index).map_or(&[], Vec::as_slice)
    }

    pub fn colour_values(&self) -> &[f32] {
        self.colour_column.and_then(|c| self.values.get(c)).map_or(&[], Vec::as_slice)
    }

    /// The colour values of one chunk; without a colour column, the middle of the colormap for every point.
    pub fn chunk_values(&self, chunk: usize) -> std::borrow::Cow<'_, [f32]> {
        let Some(range) = self.chunk_ranges.get(chunk) else { return std::borrow::Cow::Borrowed(&[]) };
        match self.colour_values().get(range.clone()) {
            Some(values) if self.colour_column.is_some() => std::borrow::Cow::Borrowed(values),
            _ => std::borrow::Cow::Owned(vec![crate::style::UNIFORM_VALUE; range.len()]),
        }
    }

    /// Whether chunk `index` belongs to a shown beam (chunks without a beam are always shown).
    pub fn chunk_visible(&self, index: usize) -> bool {
        match self.chunk_beams.get(index).copied().flatten().and_then(|b| self.beams.get(b)) {
            Some((name, strength, shown)) => *shown && self.live.plan.beam_passes(name, strength),
            None => true,
        }
    }

    /// Filters drawn on the GPU from now on (every filter change costs uniforms, plus one f32 per point the first
    /// time a column is filtered).
    pub fn set_live_filters(&mut self, filters: &[RowFilter]) {
        let generation = self.live.generation;
        self.live.set(filters, &self.columns, !self.beams.is_empty());
        if self.live.generation != generation {
            // Beam filters show or hide whole chunks.
            self.beams_dirty = true;
        }
    }

    /// The values filter slot `slot` reads for chunk `chunk`.
    pub fn slot_values(&self, source: SlotSource, chunk: usize) -> &[f32] {
        let Some(range) = self.chunk_ranges.get(chunk).cloned() else { return &[] };
        match source {
            SlotSource::Column(column) => self.values.get(column).and_then(|v| v.get(range)).unwrap_or(&[]),
            SlotSource::Overflow(_) => self.live.overflow_values(range),
        }
    }

    /// Whether loaded point `point` of a shown chunk is drawn: it passes the filters, its class is not hidden, and
    /// it is not a hidden null.
    fn point_drawn(&self, point: usize) -> bool {
        if !self.live.passes(&self.values, point) {
            return false;
        }
        let colour = self.colour_column.and_then(|c| self.values.get(c)).and_then(|v| v.get(point)).copied();
        if let Some(classes) = self.style.classes {
            let offset = colour.map_or(-1, |v| (v + 0.5).floor() as i64 - i64::from(classes.first));
            if (0..32).contains(&offset) && classes.hidden & (1 << offset) != 0 {
                return false;
            }
        }
        self.style.nodata.is_some() || colour.is_none_or(|v| v.is_finite())
    }

    /// Whether loaded point `point` is on the map.
    pub fn point_shown(&self, point: usize) -> bool {
        self.chunk_of_point(point).is_some_and(|c| self.chunk_visible(c)) && self.point_drawn(point)
    }

    /// Counts the shown points for at most `budget` (see [`Layer::shown_count`]).
    pub fn step_count(&mut self, budget: std::time::Duration) {
        use std::hash::{Hash, Hasher};
        let mut key = std::collections::hash_map::DefaultHasher::new();
        self.live.generation.hash(&mut key);
        self.colour_column.hash(&mut key);
        self.style.classes.map(|c| (c.first, c.count, c.hidden)).hash(&mut key);
        self.style.nodata.is_some().hash(&mut key);
        self.beams.iter().map(|(_, _, shown)| *shown).collect::<Vec<_>>().hash(&mut key);
        let key = key.finish();
        let mut count = std::mem::take(&mut self.count);
        count.step_count(key, &self.chunk_ranges, |c| self.chunk_visible(c), |p| self.point_drawn(p), budget);
        self.count = count;
    }

    /// The loaded points' time extent in UTC nanoseconds (the time slider's span), found once per load state.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let column = self.columns.iter().position(|c| c.is_time)?;
        let mut cache = self.time_span.lock().ok()?;
        if let Some((rows, span)) = *cache
            && rows == self.rows_loaded
        {
            return span;
        }
        let (lo, hi) = self
            .column_values(column)
            .iter()
            .filter(|v| v.is_finite())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let to_ns = |gpu: f32| {
            let reference = self.columns.get(column).and_then(|c| c.reference).unwrap_or(0.0);
            (reference as i64).saturating_mul(1_000_000_000).saturating_add((f64::from(gpu) * 1e9).round() as i64)
        };
        let span = (lo <= hi).then(|| (to_ns(lo), to_ns(hi)));
        *cache = Some((self.rows_loaded, span));
        span
    }

    /// The loaded values of column `index` of the points shown (all of them while the count is not done or when
    /// nothing is hidden).
    pub fn shown_values(&self, index: usize) -> std::borrow::Cow<'_, [f32]> {
        let values = self.column_values(index);
        match (self.shown_count(), self.count.mask(self.rows_loaded)) {
            (Some(shown), Some(mask)) if shown != self.rows_loaded && mask.len() == values.len() => {
                std::borrow::Cow::Owned(values.iter().zip(mask).filter(|(_, s)| **s).map(|(v, _)| *v).collect())
            }
            _ => std::borrow::Cow::Borrowed(values),
        }
    }

    /// Points on the map now, once counted ("N of M shown").
    pub fn shown_count(&self) -> Option<u64> {
        self.count.shown(self.rows_loaded)
    }

    /// The loaded point nearest to `world` (in the map's current projection) within `radius` world units, among
    /// the chunks shown: its index in the layer's values and its distance. Only chunks whose box is within reach
    /// are scanned, so a click costs O(chunks) plus the few chunks near it.
    pub fn nearest(&self, world: [f64; 2], radius: f64) -> Option<(usize, f64)> {
        if !self.style.visible {
            return None;
        }
        let mut best: Option<(usize, f64)> = None;
        for (index, chunk) in self.chunks.iter().enumerate() {
            let near = chunk.min_world[0] - radius <= world[0]
                && world[0] <= chunk.max_world[0] + radius
                && chunk.min_world[1] - radius <= world[1]
                && world[1] <= chunk.max_world[1] + radius;
            let Some(range) = self.chunk_ranges.get(index) else { continue };
            if !near || !self.chunk_visible(index) {
                continue;
            }
            for (j, offset) in chunk.offsets.iter().enumerate() {
                if !self.point_drawn(range.start + j) {
                    continue;
                }
                let dx = chunk.origin_world[0] + f64::from(offset[0]) - world[0];
                let dy = chunk.origin_world[1] + f64::from(offset[1]) - world[1];
                let distance = dx.hypot(dy);
                if distance <= radius && best.is_none_or(|(_, d)| distance < d) {
                    best = Some((range.start + j, distance));
                }
            }
        }
        best
    }

    /// What is known of loaded point `point`: its file and row, lon/lat, the beam, and every loaded column's value.
    pub fn attributes(&self, point: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((source, row)) = self.source_row(point) {
            out.push(("file".to_owned(), source.rsplit('/').next().unwrap_or(&source).to_owned()));
            out.push(("row".to_owned(), row.to_string()));
        }
        let chunk = self.chunk_ranges.iter().position(|r| r.contains(&point));
        if let Some((chunk, range)) = chunk.and_then(|c| Some((self.chunks.get(c)?, self.chunk_ranges.get(c)?)))
            && let Some(offset) = chunk.offsets.get(point - range.start)
        {
            let world = [chunk.origin_world[0] + f64::from(offset[0]), chunk.origin_world[1] + f64::from(offset[1])];
            let [lon, lat] = self.projection.lonlat_from_world(world);
            out.push(("lon".to_owned(), format!("{lon:.6}")));
            out.push(("lat".to_owned(), format!("{lat:.6}")));
        }
        if let Some(beam) =
            chunk.and_then(|c| self.chunk_beams.get(c).copied().flatten()).and_then(|b| self.beams.get(b))
        {
            out.push(("beam".to_owned(), format!("{} ({})", beam.0, beam.1)));
        }
        for (column, values) in self.columns.iter().zip(&self.values) {
            let value = values.get(point).copied().filter(|v| v.is_finite());
            out.push((column.label(), value.map_or_else(|| "null".to_owned(), |v| column.format(column.value_of(v)))));
        }
        out
    }

    pub fn num_chunks(&self) -> usize {
        self.chunk_ranges.len()
    }

    /// The track of chunk `index`.
    pub fn chunk_track(&self, index: usize) -> Option<&str> {
        self.chunk_tracks.get(index).copied().flatten().and_then(|t| self.tracks.get(t)).map(String::as_str)
    }

    /// The file (or URL) and row that loaded point `point` came from (its row in the file for GeoParquet, in its
    /// beam's datasets for granules).
    pub fn source_row(&self, point: usize) -> Option<(Arc<str>, u64)> {
        let row = self.rows.get(point as u64)?;
        let source = self.chunk_sources.get(self.chunk_of_point(point)?).cloned().flatten()?;
        Some((source, row))
    }

    /// The track of loaded point `point`.
    pub fn point_track(&self, point: usize) -> Option<&str> {
        self.chunk_track(self.chunk_of_point(point)?)
    }

    /// The beam name of loaded point `point` (granules and the scene).
    pub fn point_beam(&self, point: usize) -> Option<&str> {
        let beam = self.chunk_beams.get(self.chunk_of_point(point)?).copied().flatten()?;
        self.beams.get(beam).map(|(name, _, _)| name.as_str())
    }

    /// Lon/lat of loaded point `point`.
    pub fn point_lonlat(&self, point: usize) -> Option<(f64, f64)> {
        let chunk_index = self.chunk_of_point(point)?;
        let (chunk, range) = (self.chunks.get(chunk_index)?, self.chunk_ranges.get(chunk_index)?);
        let offset = chunk.offsets.get(point - range.start)?;
        let world = [chunk.origin_world[0] + f64::from(offset[0]), chunk.origin_world[1] + f64::from(offset[1])];
        let [lon, lat] = self.projection.lonlat_from_world(world);
        Some((lon, lat))
    }

    /// The chunk holding loaded point `point`.
    pub fn chunk_of_point(&self, point: usize) -> Option<usize> {
        // Chunks are appended in point order: a binary search on their starts.
        let index = self.chunk_ranges.partition_point(|r| r.end <= point);
        self.chunk_ranges.get(index).filter(|r| r.contains(&point)).map(|_| index)
    }

    pub fn colour_column(&self) -> Option<&ValueColumn> {
        self.colour_column.and_then(|c| self.columns.get(c))
    }

    /// The 2nd–98th percentile of the loaded values of the colour column.
    pub fn reset_range(&mut self) {
        self.range_user_set = false;
        // A class column: its categorical table, keeping the classes hidden so far.
        if let Some(mut classes) = self.colour_column().and_then(|c| crate::classes::classes_of(&c.name)) {
            if let Some(old) = self.style.classes.filter(|o| o.first == classes.first && o.count == classes.count) {
                classes.hidden = old.hidden;
            }
            self.style.classes = Some(classes);
            self.style.value_range = classes.value_range();
            return;
        }
        self.style.classes = None;
        if let Some(range) = percentile_range(self.colour_values(), 2.0, 98.0) {
            self.style.value_range = if range.0 < range.1 { range } else { (range.0 - 0.5, range.1 + 0.5) };
        }
    }

    /// Shows or hides class `class` of the colour column (a class column).
    pub fn toggle_class(&mut self, class: i32) {
        if let Some(classes) = &mut self.style.classes {
            let offset = class - classes.first;
            if (0..i32::from(classes.count).min(32)).contains(&offset) {
                classes.hidden ^= 1 << offset;
            }
        }
    }

    /// Points of each class of the colour column (`Classes::first` first), counted once per load state.
    pub fn class_counts(&self) -> Vec<u64> {
        let (Some(classes), Some(column)) = (self.style.classes, self.colour_column) else { return Vec::new() };
        let Ok(mut cache) = self.class_counts.lock() else { return Vec::new() };
        if let Some((rows, cached_column, counts)) = cache.as_ref()
            && *rows == self.rows_loaded
            && *cached_column == column
        {
            return counts.clone();
        }
        let mut counts = vec![0u64; usize::from(classes.count)];
        for value in self.colour_values() {
            let offset = value.round() as i64 - i64::from(classes.first);
            if let Some(count) = usize::try_from(offset).ok().and_then(|o| counts.get_mut(o)) {
                *count += 1;
            }
        }
        *cache = Some((self.rows_loaded, column, counts.clone()));
        counts
    }

    pub fn set_colour_column(&mut self, column: usize) {
        if self.colour_column != Some(column) && column < self.columns.len() {
            self.style.classes = None;
            self.colour_column = Some(column);
            self.values_dirty = true;
            self.reset_range();
        }
    }
}

impl crate::profile::TrackPoints for Layer {
    fn projection(&self) -> Projection {
        self.projection
    }

    fn num_chunks(&self) -> usize {
        self.chunk_ranges.len()
    }

    fn chunk_track(&self, chunk: usize) -> Option<&str> {
        Layer::chunk_track(self, chunk)
    }

    fn chunk_shown(&self, chunk: usize) -> bool {
        self.chunk_visible(chunk)
    }

    fn chunk(&self, chunk: usize) -> Option<&PointChunk> {
        self.chunks.get(chunk)
    }

    fn chunk_range(&self, chunk: usize) -> Option<Range<usize>> {
        self.chunk_ranges.get(chunk).cloned()
    }

    fn along_track(&self) -> &[f64] {
        &self.along_track
    }

    fn columns(&self) -> &[ValueColumn] {
        &self.columns
    }

    fn column_values(&self, column: usize) -> &[f32] {
        Layer::column_values(self, column)
    }
}
