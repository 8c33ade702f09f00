//! Opening inputs and running a load: the one path both the CLI and the viewer use to get points.

use std::sync::Arc;

use floe_io::PointSource;
use floe_io::sample::{SAMPLE_NAME, sample_geoparquet};
use floe_io::source::{ByteSource, MemorySource};
use floe_io::{CancelToken, DatasetOptions, IoError, PointBatch, Progress, ReadOptions};
use futures::StreamExt;

use crate::points::{Ingest, PreparedBatch, TrackKey, ValueColumn};
use crate::row_filter::RowFilter;

/// How a load turns rows into points beyond the read itself: the columns that make tracks, and the `--filter`s rows
/// must pass.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub track_key: TrackKey,
    pub filters: Vec<RowFilter>,
}

/// The input name of the embedded sample.
pub const SAMPLE_INPUT: &str = "sample";

/// What a layer reads: an input by name (path, URL, `s3://…`, `sample`), or a file already open as a byte source
/// (one picked or dropped in the browser, which has no name to open again).
#[derive(Clone, Debug)]
pub enum Input {
    Named(String),
    Source(Arc<dyn ByteSource>),
}

impl Input {
    /// The name a view link can carry: a picked file (the browser's) has none another page could open.
    pub fn link_name(&self) -> Option<String> {
        match self {
            Input::Named(name) => Some(name.clone()),
            Input::Source(_) => None,
        }
    }

    /// The input as shown and logged: a presigned URL's query values hidden.
    pub fn name(&self) -> String {
        match self {
            Input::Named(name) => floe_io::source::redact(name),
            Input::Source(source) => source.location().to_owned(),
        }
    }

    /// What opens the input again (a link keeps it whole: it is the user's own address).
    pub fn address(&self) -> &str {
        match self {
            Input::Named(name) => name,
            Input::Source(source) => source.location(),
        }
    }

    pub async fn open(&self, options: &DatasetOptions) -> Result<PointSource, IoError> {
        match self {
            Input::Named(name) => open_dataset(name, options).await,
            Input::Source(source) => PointSource::from_source(Arc::clone(source), options).await,
        }
    }

    /// The whole file, for the QA checks (which look at every byte of the footer, pages and values).
    pub async fn read_all(&self) -> Result<bytes::Bytes, IoError> {
        let source: Arc<dyn ByteSource> = match self {
            Input::Named(name) if name == SAMPLE_INPUT => return Ok(sample_geoparquet().into()),
            Input::Named(name) if floe_io::scene::is_scene(name) => {
                return Err(IoError::Source {
                    location: name.clone(),
                    message: "the synthetic scene is generated in memory: there is no file to check".into(),
                });
            }
            Input::Named(name) => crate::platform::open_named(name).await?,
            Input::Source(source) => Arc::clone(source),
        };
        crate::platform::check_whole_file_size(source.as_ref())?;
        source.fetch(0..source.size()).await
    }
}

/// What the viewer opens when given nothing: the synthetic scene's photons and segments.
pub const DEFAULT_INPUTS: [&str; 2] = [floe_io::scene::SCENE, floe_io::scene::SCENE_ATL06];

/// Opens a GeoParquet file or dataset, an ICESat-2 granule (local, URL, S3), the embedded sample or the synthetic
/// scene (`scene`, `scene:atl06`, `scene-small`, `scene-small:atl06`).
pub async fn open_dataset(input: &str, options: &DatasetOptions) -> Result<PointSource, IoError> {
    if input == SAMPLE_INPUT {
        let source = MemorySource::new(SAMPLE_NAME, sample_geoparquet().into());
        return PointSource::from_source(Arc::new(source), options).await;
    }
    if let Some(scene) = floe_io::scene::scene(input) {
        return Ok(PointSource::Scene(scene));
    }
    PointSource::open(input, options).await
}

/// The value columns a layer offers, with the units the file gives them.
pub fn value_columns(layer: &PointSource, names: &[String]) -> Vec<ValueColumn> {
    names
        .iter()
        .map(|name| ValueColumn {
            name: name.clone(),
            unit: layer.unit(name),
            is_time: layer.is_time(name),
            reference: None,
        })
        .collect()
}

/// Column names Floe colours by first when a file has them.
const PREFERRED_COLOUR_COLUMNS: &[&str] =
    &["h_canopy", "h_li", "h_ph", "h_mean", "h_te_best_fit", "height", "elevation", "z"];

/// The column to colour by when the user did not say: a known height, else the first numeric column.
pub fn default_colour_column(columns: &[String]) -> Option<usize> {
    PREFERRED_COLOUR_COLUMNS
        .iter()
        .find_map(|wanted| columns.iter().position(|c| c == wanted))
        .or_else(|| (!columns.is_empty()).then_some(0))
}

/// What a running load reports.
#[derive(Debug)]
pub enum LoadEvent {
    Opened { columns: Vec<ValueColumn>, rows_total: u64 },
    Batch(PreparedBatch),
    Finished,
    Failed(IoError),
}

/// Streams a dataset, prepares each batch for the GPU and hands it to `emit`, waiting for what `emit` returns
/// (the viewer's bounded channel makes a load wait for the UI to take its batches). Stops early when `emit`
/// gives false (nobody listens any more).
pub async fn run_load<E: std::future::Future<Output = bool>>(
    dataset: PointSource,
    read: ReadOptions,
    load: LoadOptions,
    parallelism: usize,
    progress: Arc<Progress>,
    cancel: CancelToken,
    mut emit: impl FnMut(LoadEvent) -> E,
) {
    let names = match &read.columns {
        floe_io::ColumnSelection::AllNumeric => dataset.numeric_columns(),
        floe_io::ColumnSelection::Named(names) => names.clone(),
    };
    // The columns that make tracks and the along-track distance are read too, for the profile, without becoming
    // value columns (a beam name is text); so are the filters' columns, which must exist.
    if let Some(missing) = load.filters.iter().find(|f| !dataset.has_column(&f.column)) {
        let message = format!("{}: --filter `{}`: no column `{}`", dataset.location(), missing.text, missing.column);
        emit(LoadEvent::Failed(floe_io::IoError::Invalid(message))).await;
        return;
    }
    let mut read_names = names.clone();
    let extras = load.track_key.candidate_columns().into_iter().chain(["x_atc".to_owned()]);
    for extra in extras.chain(load.filters.iter().map(|f| f.column.clone())) {
        if dataset.has_column(&extra) && !read_names.contains(&extra) {
            read_names.push(extra);
        }
    }
    // Numeric filters prune row groups by their statistics before any page is fetched.
    let value_ranges = crate::row_filter::value_ranges(&load.filters);
    // Time windows prune too (row groups; a granule beam's rows), and beam filters pick the beams read.
    let time_bounds = crate::row_filter::time_bounds(&load.filters);
    let beams = if read.beams.is_empty() { crate::row_filter::beam_selection(&load.filters) } else { read.beams };
    let ingest = Ingest::new(value_columns(&dataset, &names), load.track_key, load.filters);
    let read =
        ReadOptions { columns: floe_io::ColumnSelection::Named(read_names), value_ranges, time_bounds, beams, ..read };
    let worker_ingest = ingest.clone();
    let prepare = Arc::new(move |batch: PointBatch| worker_ingest.prepare(&batch));
    let mut stream = match dataset.stream_map(&read, parallelism, Arc::clone(&progress), cancel, prepare) {
        Ok(stream) => stream,
        Err(e) => {
            emit(LoadEvent::Failed(e)).await;
            return;
        }
    };
    let rows_total = progress.snapshot().rows_total;
    let mut announced_columns = ingest.columns();
    if !emit(LoadEvent::Opened { columns: announced_columns.clone(), rows_total }).await {
        return;
    }
    while let Some(item) = stream.next().await {
        let prepared = match item {
            Ok(Ok(prepared)) => prepared,
            Ok(Err(message)) => {
                emit(LoadEvent::Failed(floe_io::IoError::Invalid(message))).await;
                return;
            }
            Err(e) => {
                emit(LoadEvent::Failed(e)).await;
                return;
            }
        };
        // References are fixed by the first valid values: tell the consumer before values that use them.
        if ingest.columns() != announced_columns {
            announced_columns = ingest.columns();
            if !emit(LoadEvent::Opened { columns: announced_columns.clone(), rows_total }).await {
                return;
            }
        }
        if !emit(LoadEvent::Batch(prepared)).await {
            return;
        }
    }
    emit(LoadEvent::Finished).await;
}

/// Worker threads for decoding: one per core (one task at a time in the browser).
pub fn parallelism() -> usize {
    if cfg!(target_arch = "wasm32") { 1 } else { std::thread::available_parallelism().map_or(2, |n| n.get()) }
}
