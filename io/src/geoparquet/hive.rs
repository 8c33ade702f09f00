//! A layer's input: one file, or a hive-partitioned directory / S3 prefix read as one table.
//!
//! Owns listing (one level at a time, pruning partitions before descending), opening every file, adding
//! partition values as columns, and merging the files' streams into one, decoded in parallel on native.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::geoparquet::partition::PartitionFilter;
use crate::geoparquet::{ColumnSelection, GeoParquetFile, OpenOptions, ReadOptions};
use crate::progress::{CancelToken, Progress};
use crate::source::ByteSource;

/// How to open a dataset.
#[derive(Clone, Debug, Default)]
pub struct DatasetOptions {
    pub open: OpenOptions,
    /// Hive partition filters, applied before listing deeper.
    pub partition_filters: Vec<PartitionFilter>,
    /// ATL03: the surface type whose `signal_conf_ph` column is read.
    pub surface: crate::icesat2::Surface,
    /// A spatial chunk index (`floe index`) of granules: an AOI or bbox read of a granule it knows reads only the
    /// rows of the chunks whose extent meets it.
    pub index: Option<Arc<crate::icesat2::IndexLookup>>,
    /// Do not look for `<granule>.index.parquet` next to a granule opened without `index`.
    pub no_index: bool,
}

/// One file of a dataset and its partition values (`year=2021` → `("year", "2021")`).
#[derive(Clone, Debug)]
pub struct DatasetFile {
    pub file: GeoParquetFile,
    pub partition: Vec<(String, String)>,
}

/// Everything a layer reads.
#[derive(Clone, Debug)]
pub struct HiveDataset {
    pub location: String,
    pub files: Vec<DatasetFile>,
    /// Prefixes that were listed (a pruned partition is never listed).
    pub listed_prefixes: Vec<String>,
}

impl HiveDataset {
    /// A dataset of one already-available file (embedded sample, browser blobs).
    pub async fn from_source(source: Arc<dyn ByteSource>, options: &DatasetOptions) -> Result<Self> {
        let location = source.location().to_owned();
        let file = GeoParquetFile::open(source, &options.open).await?;
        Ok(Self { location, files: vec![DatasetFile { file, partition: vec![] }], listed_prefixes: vec![] })
    }

    pub fn num_rows(&self) -> u64 {
        self.files.iter().map(|f| f.file.num_rows()).sum()
    }

    /// Partition keys with their column type: Int64 when every value is an integer, text otherwise.
    pub fn partition_columns(&self) -> Vec<(String, DataType)> {
        let mut columns: Vec<(String, DataType)> = Vec::new();
        for file in &self.files {
            for (key, value) in &file.partition {
                let is_int = value.parse::<i64>().is_ok();
                match columns.iter_mut().find(|(k, _)| k == key) {
                    Some((_, t)) if !is_int => *t = DataType::Utf8,
                    Some(_) => {}
                    None => columns.push((key.clone(), if is_int { DataType::Int64 } else { DataType::Utf8 })),
                }
            }
        }
        columns
    }

    /// Columns the viewer can colour by: the files' numeric columns, then integer partition keys.
    pub fn numeric_columns(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for file in &self.files {
            for name in file.file.numeric_columns() {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        for (key, data_type) in self.partition_columns() {
            if data_type == DataType::Int64 && !names.contains(&key) {
                names.push(key);
            }
        }
        names
    }

    /// Streams every selected row of every file. Totals are set on `progress` before the first batch.
    pub fn stream(
        &self,
        options: &ReadOptions,
        parallelism: usize,
        progress: Arc<Progress>,
        cancel: CancelToken,
    ) -> Result<BoxStream<'static, Result<PointBatch>>> {
        self.stream_map(options, parallelism, progress, cancel, Arc::new(|batch| batch))
    }

    /// Like [`HiveDataset::stream`], applying `map` to each batch on the decoding workers, so per-batch work
    /// of the caller (projection, GPU preparation) runs in parallel too.
    pub fn stream_map<T: Send + 'static>(
        &self,
        options: &ReadOptions,
        parallelism: usize,
        progress: Arc<Progress>,
        cancel: CancelToken,
        map: Arc<dyn Fn(PointBatch) -> T + Send + Sync>,
    ) -> Result<BoxStream<'static, Result<T>>> {
        let partition_columns = self.partition_columns();
        let requested: Vec<String> = match &options.columns {
            ColumnSelection::AllNumeric => self.numeric_columns(),
            ColumnSelection::Named(names) => names.clone(),
        };
        let mut streams = Vec::new();
        for file in &self.files {
            let file_columns: Vec<String> =
                requested.iter().filter(|c| !partition_columns.iter().any(|(k, _)| k == *c)).cloned().collect();
            let file_options = ReadOptions { columns: ColumnSelection::Named(file_columns), ..options.clone() };
            let plan = file.file.plan(&file_options)?;
            progress.rows_total.fetch_add(plan.rows, Ordering::Relaxed);
            progress.bytes_total.fetch_add(plan.bytes, Ordering::Relaxed);
            let per_file = if self.files.len() == 1 { parallelism } else { 1 };
            let parts =
                file.file.partition_streams(&plan, &file_options, per_file, Arc::clone(&progress), cancel.clone());
            let extra: Vec<(String, DataType, String)> = partition_columns
                .iter()
                .filter(|(k, _)| requested.contains(k))
                .map(|(k, t)| {
                    let value =
                        file.partition.iter().find(|(fk, _)| fk == k).map(|(_, v)| v.clone()).unwrap_or_default();
                    (k.clone(), t.clone(), value)
                })
                .collect();
            for part in parts {
                let extra = extra.clone();
                let map = Arc::clone(&map);
                streams.push(
                    part.map(move |batch| {
                        let batch =
                            if extra.is_empty() { batch } else { batch.and_then(|b| add_partition_columns(b, &extra)) };
                        batch.map(|b| map(b))
                    })
                    .boxed(),
                );
            }
        }
        Ok(merge(streams, parallelism, &self.location))
    }
}

fn add_partition_columns(mut points: PointBatch, extra: &[(String, DataType, String)]) -> Result<PointBatch> {
    let rows = points.num_rows();
    let schema = points.batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = points.batch.columns().to_vec();
    for (key, data_type, value) in extra {
        let array: ArrayRef = match data_type {
            DataType::Int64 => Arc::new(Int64Array::from(vec![value.parse::<i64>().ok(); rows])),
            _ => Arc::new(StringArray::from(vec![value.as_str(); rows])),
        };
        fields.push(Field::new(key, data_type.clone(), true));
        columns.push(array);
    }
    points.batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| IoError::Column {
        location: points.source.to_string(),
        column: "partition".into(),
        message: e.to_string(),
        source: Some(Box::new(e)),
    })?;
    Ok(points)
}

/// Merges streams, decoding up to `parallelism` of them at once on worker threads (native) or interleaved (wasm).
/// A worker that panics ends the merged stream with [`IoError::Panicked`] naming `location`, never silently early.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn merge<T: Send + 'static>(
    streams: Vec<BoxStream<'static, Result<T>>>,
    parallelism: usize,
    location: &str,
) -> BoxStream<'static, Result<T>> {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return futures::stream::iter(streams).flatten().boxed();
    };
    let queue = Arc::new(Mutex::new(streams.into_iter().collect::<VecDeque<_>>()));
    let (sender, receiver) = futures::channel::mpsc::channel(parallelism.max(1) * 2);
    let mut workers = AbortOnDrop(Vec::new());
    for _ in 0..parallelism.max(1) {
        let queue = Arc::clone(&queue);
        let (mut worker_sender, mut watcher) = (sender.clone(), sender.clone());
        let worker = runtime.spawn(async move {
            use futures::SinkExt;
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(mut stream) = next else { break };
                while let Some(item) = stream.next().await {
                    let failed = item.is_err();
                    // The receiver is gone when the consumer dropped the stream: stop quietly.
                    if worker_sender.send(item).await.is_err() || failed {
                        return;
                    }
                }
            }
        });
        workers.0.push(worker.abort_handle());
        // A panicking worker drops its sender, which alone would end the stream as if it were complete: this watcher
        // holds another one until it has said so.
        let location = location.to_owned();
        runtime.spawn(async move {
            use futures::SinkExt;
            if let Err(e) = worker.await
                && e.is_panic()
            {
                let message = crate::error::panic_message(e.into_panic().as_ref());
                let _ = watcher.send(Err(IoError::Panicked { location, message })).await;
            }
        });
    }
    // Dropping the stream (a cancelled load) aborts the workers, and with them the requests they have in flight.
    receiver
        .map(move |item| {
            let _ = &workers;
            item
        })
        .boxed()
}

/// Aborts tasks when dropped.
#[cfg(not(target_arch = "wasm32"))]
struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

#[cfg(not(target_arch = "wasm32"))]
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.iter().for_each(tokio::task::AbortHandle::abort);
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn merge<T: Send + 'static>(
    streams: Vec<BoxStream<'static, Result<T>>>,
    _parallelism: usize,
    _location: &str,
) -> BoxStream<'static, Result<T>> {
    futures::stream::select_all(streams).boxed()
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{Listing, list_files};

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use crate::geoparquet::partition::{PartitionFilter, parse_segment, passes};
    use crate::source::{StoreLocation, StoreSource};
    use object_store::path::Path;

    /// Partition levels deeper than this are refused: real datasets have a few (product, year, month…); more
    /// means a symlink loop (`k=1 -> .`) or a hostile tree.
    const MAX_PARTITION_DEPTH: usize = 16;
    /// At most this many prefixes are listed and files kept for one dataset.
    const MAX_LISTED: usize = 1_000_000;
    /// A listing that takes longer than this is given up (each request is bounded by the read timeout and retries;
    /// this bounds their number).
    const MAX_LISTING_TIME: std::time::Duration = std::time::Duration::from_secs(300);

    /// Extensions of the files a dataset directory contributes.
    const PARQUET_EXTENSIONS: &[&str] = &["parquet", "geoparquet", "pq", "parq"];

    /// The files of an input: itself when it is one file (path, `http(s)://` URL, `s3://` object), else the
    /// Parquet files of a hive directory / S3 prefix, with their partition values. Partitions the filters reject
    /// are never listed.
    pub struct Listing {
        pub files: Vec<(StoreSource, Vec<(String, String)>)>,
        /// Prefixes that were listed; empty for a single file.
        pub listed_prefixes: Vec<String>,
    }

    pub async fn list_files(input: &str, filters: &[PartitionFilter]) -> Result<Listing> {
        let location = StoreLocation::parse(input)?;
        let single = |source| Listing { files: vec![(source, vec![])], listed_prefixes: vec![] };
        let is_file_url = input.starts_with("http://") || input.starts_with("https://");
        if is_file_url || (!location.is_local_dir && !input.starts_with("s3://")) {
            return Ok(single(location.open(&location.path, input.to_owned()).await?));
        }
        if !location.is_local_dir && !input.ends_with('/') {
            // An S3 key that is not an object may be a prefix: then list it.
            if let Some(source) = location.open_if_exists(&location.path, input.to_owned()).await? {
                return Ok(single(source));
            }
        }
        let mut listed = Listing { files: vec![], listed_prefixes: vec![] };
        let mut granules = 0;
        let mut pending: Vec<(Path, Vec<(String, String)>)> = vec![(location.path.clone(), vec![])];
        let started = std::time::Instant::now();
        while let Some((prefix, partition)) = pending.pop() {
            if started.elapsed() > MAX_LISTING_TIME {
                return Err(IoError::Source {
                    location: crate::source::redact(input),
                    message: format!(
                        "listing it took more than {} s ({} partitions and {} files so far): name a narrower prefix \
                         or partition filter",
                        MAX_LISTING_TIME.as_secs(),
                        listed.listed_prefixes.len(),
                        listed.files.len()
                    ),
                });
            }
            let listing =
                location.store.list_with_delimiter(Some(&prefix)).await.map_err(|e| {
                    crate::source::store_error(format!("{} ({prefix})", crate::source::redact(input)), e)
                })?;
            listed.listed_prefixes.push(prefix.to_string());
            let too_many = |what: &str| IoError::Source {
                location: crate::source::redact(input),
                message: format!("more than {MAX_LISTED} {what} under it: name a narrower prefix or partition filter"),
            };
            if listed.listed_prefixes.len() > MAX_LISTED {
                return Err(too_many("partitions"));
            }
            let mut children: Vec<(Path, Vec<(String, String)>)> = Vec::new();
            for child in listing.common_prefixes {
                let Some(segment) = child.filename() else { continue };
                let Some((key, value)) = parse_segment(segment) else { continue };
                if partition.len() == MAX_PARTITION_DEPTH {
                    return Err(IoError::Source {
                        location: crate::source::redact(input),
                        message: format!(
                            "partitions nest more than {MAX_PARTITION_DEPTH} levels deep at {prefix} (a symlink loop?)"
                        ),
                    });
                }
                if passes(filters, &key, &value) {
                    let mut values = partition.clone();
                    values.push((key, value));
                    children.push((child, values));
                }
            }
            children.sort_by(|a, b| b.0.as_ref().cmp(a.0.as_ref()));
            pending.extend(children);
            let mut objects = listing.objects;
            objects.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
            for object in objects {
                let name = object.location.filename().unwrap_or_default();
                let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
                if !name.starts_with(['.', '_']) && ["h5", "hdf5", "he5"].contains(&extension.as_str()) {
                    granules += 1;
                }
                let wanted = !name.starts_with(['.', '_']) && PARQUET_EXTENSIONS.contains(&extension.as_str());
                if !wanted {
                    continue;
                }
                if listed.files.len() >= MAX_LISTED {
                    return Err(too_many("files"));
                }
                let display = display_child(input, &location.path, &object.location);
                listed.files.push((location.listed(&object, display), partition.clone()));
            }
        }
        if listed.files.is_empty() && granules > 0 {
            return Err(IoError::Format {
                location: crate::source::redact(input),
                message: format!(
                    "a directory of {granules} HDF5 file(s) and no Parquet files: granules are opened one by one, \
                     so pass them as files (e.g. {}/*.h5)",
                    input.trim_end_matches('/')
                ),
            });
        }
        if listed.files.is_empty() {
            return Err(IoError::Source {
                location: crate::source::redact(input),
                message: if filters.is_empty() {
                    "no Parquet files found".into()
                } else {
                    "no Parquet files match the partition filters".into()
                },
            });
        }
        Ok(listed)
    }

    impl HiveDataset {
        /// Opens a file path, `http(s)://` URL or `s3://` object, or a hive directory / S3 prefix.
        pub async fn open(input: &str, options: &DatasetOptions) -> Result<Self> {
            let mut listing = list_files(input, &options.partition_filters).await?;
            if listing.listed_prefixes.is_empty()
                && let Some((source, _)) = listing.files.pop()
            {
                return Self::from_source(Arc::new(source), options).await;
            }
            let mut files = Vec::with_capacity(listing.files.len());
            for (source, partition) in listing.files {
                let file = GeoParquetFile::open(Arc::new(source), &options.open).await?;
                files.push(DatasetFile { file, partition });
            }
            Ok(Self { location: crate::source::redact(input), files, listed_prefixes: listing.listed_prefixes })
        }
    }

    fn display_child(input: &str, root: &Path, child: &Path) -> String {
        let relative = child.as_ref().strip_prefix(root.as_ref()).unwrap_or(child.as_ref()).trim_start_matches('/');
        format!("{}/{relative}", input.trim_end_matches('/'))
    }
}
