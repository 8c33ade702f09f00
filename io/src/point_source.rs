//! What one layer of the viewer reads: a GeoParquet file or dataset, or an ICESat-2 granule. The format is
//! told by the file's first bytes (the HDF5 signature), never by its name.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::geoparquet::ReadOptions;
use crate::geoparquet::hive::{DatasetOptions, HiveDataset};
use crate::icesat2::{Granule, Surface, is_hdf5};
use crate::progress::{CancelToken, Progress};
use crate::source::ByteSource;

pub enum PointSource {
    GeoParquet(HiveDataset),
    Granule {
        granule: Arc<Granule>,
        units: HashMap<String, String>,
        surface: Surface,
        /// The granule's coordinate chunks from a spatial chunk index, when one knows it.
        chunks: Option<Arc<crate::icesat2::GranuleChunks>>,
        /// Requests and bytes of reading the index found next to the granule.
        index_fetched: (u64, u64),
    },
    /// Points already in memory: the embedded synthetic scene.
    Scene(Arc<crate::scene::ScenePoints>),
    /// A FlatGeobuf point file.
    FlatGeobuf(Arc<crate::fgb::FgbFile>),
}

impl PointSource {
    /// Opens an already-available file, telling GeoParquet from HDF5 by its signature.
    pub async fn from_source(source: Arc<dyn ByteSource>, options: &DatasetOptions) -> Result<Self> {
        crate::geoparquet::check_not_empty(source.as_ref())?;
        let head = source.fetch(0..8.min(source.size())).await?;
        if crate::fgb::is_flatgeobuf(&head) {
            return Ok(PointSource::FlatGeobuf(Arc::new(crate::fgb::FgbFile::open(source).await?)));
        }
        if is_hdf5(&head) {
            // An index that describes the granule replaces its HDF5 metadata walk.
            let chunks = options.index.as_ref().and_then(|index| index.granule(source.location()));
            let granule = Granule::open_described(source, chunks.as_ref().and_then(|c| c.described.clone())).await?;
            return Ok(Self::of_granule(granule, options, chunks).await);
        }
        HiveDataset::from_source(source, options).await.map(PointSource::GeoParquet)
    }

    async fn of_granule(
        granule: Granule,
        options: &DatasetOptions,
        chunks: Option<Arc<crate::icesat2::GranuleChunks>>,
    ) -> Self {
        let mut units = HashMap::new();
        for column in granule.numeric_columns() {
            if let Some(unit) = granule.unit(&column).await {
                units.insert(column, unit);
            }
        }
        PointSource::Granule {
            granule: Arc::new(granule),
            units,
            surface: options.surface,
            chunks,
            index_fetched: (0, 0),
        }
    }

    pub fn location(&self) -> &str {
        match self {
            PointSource::GeoParquet(dataset) => &dataset.location,
            PointSource::Granule { granule, .. } => granule.location(),
            PointSource::Scene(scene) => scene.name,
            PointSource::FlatGeobuf(file) => file.location(),
        }
    }

    /// Requests and bytes fetched from the input's files so far, opening them included.
    pub fn fetched(&self) -> (u64, u64) {
        match self {
            PointSource::GeoParquet(dataset) => dataset.files.iter().fold((0, 0), |(r, b), f| {
                let (requests, bytes) = f.file.fetched();
                (r + requests, b + bytes)
            }),
            PointSource::Granule { granule, index_fetched, .. } => {
                let stats = granule.file.byte_source().stats();
                (stats.requests() + index_fetched.0, stats.bytes() + index_fetched.1)
            }
            PointSource::Scene(_) => (0, 0),
            PointSource::FlatGeobuf(file) => file.fetched(),
        }
    }

    pub fn num_rows(&self) -> u64 {
        match self {
            PointSource::GeoParquet(dataset) => dataset.num_rows(),
            PointSource::Granule { granule, .. } => granule.num_rows(),
            PointSource::Scene(scene) => scene.num_rows(),
            PointSource::FlatGeobuf(file) => file.num_rows(),
        }
    }

    pub fn numeric_columns(&self) -> Vec<String> {
        match self {
            PointSource::GeoParquet(dataset) => dataset.numeric_columns(),
            PointSource::Granule { granule, .. } => granule.numeric_columns(),
            PointSource::FlatGeobuf(file) => file.numeric_columns(),
            PointSource::Scene(scene) => scene.batches.first().map_or_else(Vec::new, |b| {
                b.batch
                    .schema()
                    .fields()
                    .iter()
                    .skip(2)
                    .filter(|f| {
                        f.data_type().is_numeric() || matches!(f.data_type(), arrow_schema::DataType::Timestamp(..))
                    })
                    .map(|f| f.name().clone())
                    .collect()
            }),
        }
    }

    /// Whether rows carry a column of this name (of any type; a granule's `gt` and `beam_strength` too).
    pub fn has_column(&self, name: &str) -> bool {
        match self {
            PointSource::GeoParquet(dataset) => {
                dataset.files.iter().any(|f| f.file.schema().field_with_name(name).is_ok())
                    || dataset.partition_columns().iter().any(|(key, _)| key == name)
            }
            PointSource::Granule { granule, .. } => {
                ["gt", "beam_strength", "x_atc"].contains(&name) || granule.numeric_columns().iter().any(|c| c == name)
            }
            PointSource::Scene(scene) => scene.batches.first().is_some_and(|b| b.column(name).is_some()),
            PointSource::FlatGeobuf(file) => file.has_column(name),
        }
    }

    /// The unit the file gives a column (`unit`/`units` metadata or attribute).
    pub fn unit(&self, column: &str) -> Option<String> {
        match self {
            PointSource::GeoParquet(dataset) => {
                let schema = dataset.files.first()?.file.schema().clone();
                let field = schema.field_with_name(column).ok()?;
                field.metadata().get("unit").or_else(|| field.metadata().get("units")).cloned()
            }
            PointSource::Granule { units, .. } => units.get(column).cloned(),
            PointSource::Scene(scene) => scene.units.get(column).cloned(),
            PointSource::FlatGeobuf(_) => None,
        }
    }

    pub fn is_time(&self, column: &str) -> bool {
        match self {
            PointSource::GeoParquet(dataset) => dataset.files.first().is_some_and(|f| {
                f.file
                    .schema()
                    .field_with_name(column)
                    .is_ok_and(|f| matches!(f.data_type(), arrow_schema::DataType::Timestamp(..)))
            }),
            PointSource::Granule { .. } | PointSource::Scene(_) => column == "time",
            PointSource::FlatGeobuf(file) => file.is_time(column),
        }
    }

    /// Streams the layer's points as they are read (see [`HiveDataset::stream`]).
    pub fn stream(
        &self,
        options: &ReadOptions,
        parallelism: usize,
        progress: Arc<Progress>,
        cancel: CancelToken,
    ) -> Result<BoxStream<'static, Result<PointBatch>>> {
        self.stream_map(options, parallelism, progress, cancel, Arc::new(|batch| batch))
    }

    /// Streams the layer's points through `map` on the decoding workers (see [`HiveDataset::stream_map`]).
    pub fn stream_map<T: Send + 'static>(
        &self,
        options: &ReadOptions,
        parallelism: usize,
        progress: Arc<Progress>,
        cancel: CancelToken,
        map: Arc<dyn Fn(PointBatch) -> T + Send + Sync>,
    ) -> Result<BoxStream<'static, Result<T>>> {
        let (granule, surface, chunks) = match self {
            PointSource::GeoParquet(dataset) => {
                let guard = cancel.clone();
                let stream = dataset.stream_map(options, parallelism, progress, cancel, map)?;
                return Ok(guard.guard(&dataset.location, stream));
            }
            PointSource::Granule { granule, surface, chunks, .. } => (Arc::clone(granule), *surface, chunks.clone()),
            PointSource::Scene(scene) => return Ok(stream_scene(scene, options, parallelism, progress, cancel, map)),
            PointSource::FlatGeobuf(file) => {
                return Ok(cancel.guard(file.location(), stream_fgb(file, options, progress, map)));
            }
        };
        let beams: Vec<crate::icesat2::Beam> = granule
            .beams
            .iter()
            .filter(|b| options.beams.is_empty() || options.beams.iter().any(|s| *s == b.name || *s == b.strength))
            .cloned()
            .collect();
        progress.rows_total.fetch_add(beams.iter().map(|b| b.rows).sum(), Ordering::Relaxed);
        progress.bytes_total.fetch_add(granule.file.byte_source().size(), Ordering::Relaxed);
        let (bbox, aoi) = (options.bbox, options.aoi.clone());
        // A window on the granule's `time` narrows each beam to its rows in time.
        let time =
            options.time_bounds.iter().filter(|w| w.column == "time").fold(None, |acc: Option<(i64, i64)>, w| {
                let (start, end) = acc.unwrap_or((i64::MIN, i64::MAX));
                Some((start.max(w.start_ns), end.min(w.end_ns)))
            });
        // Beams read concurrently share the file's counter: progress takes its growth since now, never the sum of
        // per-beam differences (which would count a neighbour's bytes twice).
        let baseline = granule.file.byte_source().stats().bytes();
        let location = granule.location().to_owned();
        let window_rows = options.beam_window_rows.max(1);
        let streams = beams
            .into_iter()
            .map(|beam| {
                let (granule, progress, cancel, map, aoi) =
                    (Arc::clone(&granule), Arc::clone(&progress), cancel.clone(), Arc::clone(&map), aoi.clone());
                // The index narrows an area's read to the rows of the chunks that meet it.
                let rows = match (&chunks, bbox.or(aoi.as_ref().map(|a| a.bbox))) {
                    (Some(chunks), Some(area)) => chunks.rows_in(&beam.name, area),
                    _ => None,
                };
                // A whole beam (no area to narrow it) is read in windows of rows, each a batch of its own: what one
                // step holds in memory is bounded, and the viewer's memory budget can stop a load mid-beam.
                let windows: Vec<Option<std::ops::Range<u64>>> = match rows {
                    None if bbox.is_none() && aoi.is_none() && beam.rows > window_rows => (0..beam.rows)
                        .step_by(window_rows as usize)
                        .map(|start| Some(start..(start + window_rows).min(beam.rows)))
                        .collect(),
                    rows => vec![rows],
                };
                futures::stream::iter(windows)
                    .then(move |rows| {
                        let (granule, progress, cancel, map, aoi, beam) = (
                            Arc::clone(&granule),
                            Arc::clone(&progress),
                            cancel.clone(),
                            Arc::clone(&map),
                            aoi.clone(),
                            beam.clone(),
                        );
                        async move {
                            if cancel.is_cancelled() {
                                return Err(IoError::Cancelled { location: granule.location().to_owned() });
                            }
                            let window = rows.as_ref().map_or(beam.rows, |r| r.end - r.start);
                            let whole = rows.is_some() && bbox.is_none() && aoi.is_none();
                            let batch = granule.read_beam_in(&beam, bbox, aoi.as_deref(), surface, time, rows).await?;
                            let fetched = granule.file.byte_source().stats().bytes().saturating_sub(baseline);
                            progress.bytes_fetched.fetch_max(fetched, Ordering::Relaxed);
                            progress.rows_loaded.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                            progress.rows_skipped.fetch_add(batch.skipped as u64, Ordering::Relaxed);
                            let rows = if whole { window } else { beam.rows };
                            let filtered = rows.saturating_sub(batch.num_rows() as u64 + batch.skipped as u64);
                            progress.rows_filtered.fetch_add(filtered, Ordering::Relaxed);
                            Ok(map(batch))
                        }
                    })
                    .boxed()
            })
            .collect();
        let merged = crate::geoparquet::hive::merge(streams, parallelism, &location);
        Ok(cancel.guard(&location, merged))
    }
}

/// A FlatGeobuf file's points (inside the area, through its R-tree) as one batch.
fn stream_fgb<T: Send + 'static>(
    file: &Arc<crate::fgb::FgbFile>,
    options: &ReadOptions,
    progress: Arc<Progress>,
    map: Arc<dyn Fn(PointBatch) -> T + Send + Sync>,
) -> BoxStream<'static, Result<T>> {
    progress.rows_total.fetch_add(file.num_rows(), Ordering::Relaxed);
    let (file, bbox, aoi) = (Arc::clone(file), options.bbox, options.aoi.clone());
    futures::stream::once(async move {
        let batch = file.read(bbox, aoi.as_deref()).await?;
        progress.rows_loaded.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        progress.rows_skipped.fetch_add(batch.skipped as u64, Ordering::Relaxed);
        let filtered = file.num_rows().saturating_sub(batch.num_rows() as u64 + batch.skipped as u64);
        progress.rows_filtered.fetch_add(filtered, Ordering::Relaxed);
        Ok(map(batch))
    })
    .boxed()
}

/// The scene's batches (one per beam) through the same filters a granule's beams take: beams, bbox, AOI.
fn stream_scene<T: Send + 'static>(
    scene: &Arc<crate::scene::ScenePoints>,
    options: &ReadOptions,
    parallelism: usize,
    progress: Arc<Progress>,
    cancel: CancelToken,
    map: Arc<dyn Fn(PointBatch) -> T + Send + Sync>,
) -> BoxStream<'static, Result<T>> {
    let beam_of = |batch: &PointBatch| -> (String, String) {
        let text = |name: &str| {
            batch
                .column(name)
                .and_then(|a| a.as_any().downcast_ref::<arrow_array::StringArray>().map(|s| s.value(0).to_owned()))
                .unwrap_or_default()
        };
        (text("gt"), text("beam_strength"))
    };
    let batches: Vec<PointBatch> = scene
        .batches
        .iter()
        .filter(|b| {
            let (name, strength) = beam_of(b);
            options.beams.is_empty() || options.beams.iter().any(|s| *s == name || *s == strength)
        })
        .cloned()
        .collect();
    progress.rows_total.fetch_add(batches.iter().map(|b| b.num_rows() as u64).sum(), Ordering::Relaxed);
    let (bbox, aoi) = (options.bbox, options.aoi.clone());
    let streams = batches
        .into_iter()
        .map(|batch| {
            let (progress, cancel, map, aoi) = (Arc::clone(&progress), cancel.clone(), Arc::clone(&map), aoi.clone());
            futures::stream::once(async move {
                if cancel.is_cancelled() {
                    return Err(IoError::Cancelled { location: batch.source.to_string() });
                }
                let rows = batch.num_rows() as u64;
                let batch = match bbox {
                    Some(bbox) => crate::aoi::Aoi::from_boxes(&[bbox]).filter(batch)?,
                    None => batch,
                };
                let batch = match aoi {
                    Some(aoi) => aoi.filter(batch)?,
                    None => batch,
                };
                progress.rows_loaded.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                progress.rows_filtered.fetch_add(rows - batch.num_rows() as u64, Ordering::Relaxed);
                Ok(map(batch))
            })
            .boxed()
        })
        .collect();
    crate::geoparquet::hive::merge(streams, parallelism, scene.name)
}

#[cfg(target_arch = "wasm32")]
impl PointSource {
    /// Opens an `http(s)://` or `s3://` file in the browser, by range requests.
    pub async fn open(input: &str, options: &DatasetOptions) -> Result<Self> {
        let source = crate::source::web::HttpSource::open(input).await?;
        Self::from_source(Arc::new(source), options).await
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl PointSource {
    /// Opens a path or URL: a dataset directory / S3 prefix, or one file of either format.
    pub async fn open(input: &str, options: &DatasetOptions) -> Result<Self> {
        let location = crate::source::StoreLocation::parse(input)?;
        let is_prefix = location.is_local_dir || (input.starts_with("s3://") && input.ends_with('/'));
        if !is_prefix {
            match location.open_if_exists(&location.path, input.to_owned()).await? {
                Some(source) if input.ends_with(".json") => return Self::open_references(input, source, options).await,
                Some(source) => {
                    // A granule's own index next to it (`ATL06_….index.parquet`), unless one was given or refused.
                    let sibling = match input.strip_suffix(".h5").or_else(|| input.strip_suffix(".H5")) {
                        Some(stem) if options.index.is_none() && !options.no_index => {
                            sibling_index(&format!("{stem}.index.parquet")).await?
                        }
                        _ => None,
                    };
                    let (options, fetched) = match sibling {
                        Some((name, lookup)) if lookup.granule(source.location()).is_some() => {
                            log::info!("{}: reading through the chunk index {name}", crate::source::redact(input));
                            let fetched = lookup.fetched;
                            (&DatasetOptions { index: Some(Arc::new(lookup)), ..options.clone() }, fetched)
                        }
                        _ => (options, (0, 0)),
                    };
                    let mut opened = Self::from_source(Arc::new(source), options).await?;
                    if let PointSource::Granule { index_fetched, .. } = &mut opened {
                        *index_fetched = fetched;
                    }
                    return Ok(opened);
                }
                None if !input.starts_with("s3://") => {
                    return Err(IoError::Source {
                        location: crate::source::redact(input),
                        message: "not found (HTTP 404 / no such key or file)".into(),
                    });
                }
                // An S3 key that is no object may be a prefix.
                None => {}
            }
        }
        HiveDataset::open(input, options).await.map(PointSource::GeoParquet)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl PointSource {
    /// Opens the granule that kerchunk references (`floe index --kerchunk` or kerchunk's `SingleHdf5ToZarr`) point
    /// at, through them: the references replace the granule's HDF5 metadata. A relative file name in them is taken
    /// from the references' directory.
    async fn open_references(
        input: &str,
        source: crate::source::StoreSource,
        options: &DatasetOptions,
    ) -> Result<Self> {
        /// Larger reference files than this are not references to one granule.
        const MAX_REFERENCES: u64 = 512 * 1024 * 1024;
        if source.size() > MAX_REFERENCES {
            return Err(IoError::Format {
                location: crate::source::redact(input),
                message: format!("{} bytes: too large for kerchunk references to one granule", source.size()),
            });
        }
        let bytes = source.fetch(0..source.size()).await?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| IoError::Format {
            location: crate::source::redact(input),
            message: format!("not JSON kerchunk references: {e}"),
        })?;
        let (url, described) = crate::icesat2::Described::from_references(input, &json)?;
        let url = url.strip_prefix("file://").unwrap_or(&url).to_owned();
        let is_url = url.contains("://");
        let target = match std::path::Path::new(input).parent() {
            Some(dir) if !is_url && std::path::Path::new(&url).is_relative() && !input.contains("://") => {
                dir.join(&url).display().to_string()
            }
            _ => url,
        };
        let location = crate::source::StoreLocation::parse(&target)?;
        let granule_source =
            location.open_if_exists(&location.path, target.clone()).await?.ok_or_else(|| IoError::Source {
                location: crate::source::redact(input),
                message: format!("the referenced file {target} is not there (HTTP 404 / no such key or file)"),
            })?;
        let granule = Granule::open_described(Arc::new(granule_source), Some(Arc::new(described))).await?;
        let mut opened = Self::of_granule(granule, options, None).await;
        if let PointSource::Granule { index_fetched, .. } = &mut opened {
            *index_fetched = (source.stats().requests(), source.stats().bytes());
        }
        Ok(opened)
    }
}

/// The index at `name` when there is one: looked for, not required (a missing or unreachable file means none).
#[cfg(not(target_arch = "wasm32"))]
async fn sibling_index(name: &str) -> Result<Option<(String, crate::icesat2::IndexLookup)>> {
    let found = match crate::source::StoreLocation::parse(name) {
        Ok(location) if location.is_local_dir => None,
        Ok(location) => location.open_if_exists(&location.path, name.to_owned()).await.ok().flatten(),
        Err(_) => None,
    };
    match found {
        Some(source) => Ok(Some((name.to_owned(), crate::icesat2::IndexLookup::read(Arc::new(source)).await?))),
        None => Ok(None),
    }
}
