//! Cutting an area of interest (and beams, a time range) out of granules and GeoParquet inputs into one table,
//! rows ordered by track and time: what `floe subset` writes and the viewer's "Export selection…" saves.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use floe_io::aoi::Aoi;
use floe_io::layer::Layer;
use floe_io::{CancelToken, ColumnSelection, DatasetOptions, PointBatch, Progress, ReadOptions};
use futures::TryStreamExt as _;

use crate::load::{Input, parallelism};
use crate::time_range::TimeRange;

/// Output names of the reader's columns: SlideRule's and ICESat-2's own names.
const RENAMES: &[(&str, &str)] = &[("lon", "longitude"), ("lat", "latitude"), ("gt", "track_id")];

/// Granule columns that go last, in this order (ATL06: `… track_id, rgt, cycle, spot, beam_strength`).
const GRANULE_TAIL: &[&str] = &["track_id", "rgt", "cycle", "spot", "beam_strength"];

/// What to cut out of which inputs.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub inputs: Vec<Input>,
    pub aoi: Option<Arc<Aoi>>,
    /// Beam names or strengths; empty keeps all.
    pub beams: Vec<String>,
    pub time: Option<TimeRange>,
    pub drop_null: Vec<String>,
    /// Columns besides latitude and longitude; empty keeps all.
    pub columns: Vec<String>,
    pub dataset: DatasetOptions,
}

/// The rows cut out, and what reading them cost.
pub struct Subset {
    pub batch: RecordBatch,
    pub bytes_read: u64,
}

/// Reads every input through the request's filters. `on_input` is told when an input starts (with its progress)
/// and returns what to call when it is done (a terminal progress bar's finish, for example).
pub async fn run(
    request: &Request,
    mut on_input: impl FnMut(&str, Arc<Progress>) -> Box<dyn FnOnce() + Send>,
) -> anyhow::Result<Subset> {
    let mut parts = Vec::new();
    let mut bytes_read = 0;
    for input in &request.inputs {
        let layer = input.open(&request.dataset).await?;
        let input = input.name();
        let columns = match &layer {
            Layer::Granule { .. } => ColumnSelection::AllNumeric,
            Layer::GeoParquet(dataset) => {
                // Every file's columns, then the hive partition keys (`year=2021/` → a `year` column).
                let mut names: Vec<String> = Vec::new();
                let file_columns = dataset
                    .files
                    .iter()
                    .flat_map(|f| f.file.attribute_fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>());
                let partition_keys = dataset.partition_columns().into_iter().map(|(key, _)| key);
                for name in file_columns.chain(partition_keys) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                ColumnSelection::Named(names)
            }
        };
        let mut read = ReadOptions { columns, beams: request.beams.clone(), ..ReadOptions::default() };
        if let Some(aoi) = &request.aoi {
            read = read.with_aoi(Arc::clone(aoi));
        }
        let progress = Arc::new(Progress::default());
        let done = on_input(input, Arc::clone(&progress));
        let batches: Result<Vec<PointBatch>, floe_io::IoError> =
            match layer.stream(&read, parallelism(), Arc::clone(&progress), CancelToken::default()) {
                Ok(stream) => stream.try_collect().await,
                Err(e) => Err(e),
            };
        done();
        let is_granule = matches!(layer, Layer::Granule { .. });
        for batch in batches? {
            let batch = output_columns(&batch.batch, is_granule).with_context(|| input.to_owned())?;
            let batch = filter_rows(&batch, request.time.as_ref(), &request.drop_null, &request.beams)
                .with_context(|| input.to_owned())?;
            parts.push(batch);
        }
        bytes_read += progress.snapshot().bytes_fetched;
    }
    let schema = unified_schema(&parts)?;
    let mut batches = Vec::with_capacity(parts.len());
    for part in &parts {
        batches.push(conform(part, &schema)?);
    }
    let all = arrow_select::concat::concat_batches(&schema, &batches).context("joining the inputs' rows")?;
    let sorted = sort_by_track_and_time(&all)?;
    Ok(Subset { batch: select_columns(&sorted, &request.columns)?, bytes_read })
}

/// Renames the reader's columns to the output names and puts latitude, longitude first (and, for granules, the
/// track columns last).
fn output_columns(batch: &RecordBatch, is_granule: bool) -> anyhow::Result<RecordBatch> {
    let schema = batch.schema();
    let mut named: Vec<(String, ArrayRef)> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            let name =
                RENAMES.iter().find(|(from, _)| from == field.name()).map_or(field.name().as_str(), |(_, to)| to);
            (name.to_owned(), Arc::clone(column))
        })
        .collect();
    let rank = |name: &str| match name {
        "latitude" => 0,
        "longitude" => 1,
        _ if is_granule => GRANULE_TAIL.iter().position(|t| *t == name).map_or(2, |i| 3 + i),
        _ => 2,
    };
    named.sort_by_key(|(name, _)| rank(name));
    let fields: Vec<Field> =
        named.iter().map(|(name, column)| Field::new(name, column.data_type().clone(), true)).collect();
    let columns = named.into_iter().map(|(_, column)| column).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// Applies `--time`, `--drop-null` and, for inputs that carry tracks as a column, `--beams`.
fn filter_rows(
    batch: &RecordBatch,
    time: Option<&TimeRange>,
    drop_null: &[String],
    beams: &[String],
) -> anyhow::Result<RecordBatch> {
    let mut keep = vec![true; batch.num_rows()];
    if let Some(range) = time {
        let column =
            batch.column_by_name("time").ok_or_else(|| anyhow::anyhow!("--time: the input has no `time` column"))?;
        let ns = arrow_cast::cast(column, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
        let ns = ns
            .as_any()
            .downcast_ref::<arrow_array::TimestampNanosecondArray>()
            .ok_or_else(|| anyhow::anyhow!("--time: `time` is not a timestamp"))?;
        for (row, keep) in keep.iter_mut().enumerate() {
            *keep &= ns.is_valid(row) && range.contains(ns.value(row));
        }
    }
    for name in drop_null {
        let column = batch.column_by_name(name).ok_or_else(|| anyhow::anyhow!("--drop-null: no column `{name}`"))?;
        for (row, keep) in keep.iter_mut().enumerate() {
            *keep &= column.is_valid(row);
        }
    }
    if !beams.is_empty() {
        let text =
            |name: &str| batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
        if let (Some(track), strength) = (text("track_id"), text("beam_strength")) {
            for (row, keep) in keep.iter_mut().enumerate() {
                let matches = |s: &String| {
                    track.is_valid(row) && track.value(row) == s
                        || strength.as_ref().is_some_and(|b| b.is_valid(row) && b.value(row) == s)
                };
                *keep &= beams.iter().any(matches);
            }
        }
    }
    if keep.iter().all(|k| *k) {
        return Ok(batch.clone());
    }
    Ok(arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))?)
}

/// The union of the parts' columns, in first-seen order; a column must have one type in every input.
fn unified_schema(parts: &[RecordBatch]) -> anyhow::Result<Arc<Schema>> {
    let mut fields: Vec<Field> = Vec::new();
    for part in parts {
        for field in part.schema().fields() {
            match fields.iter().find(|f| f.name() == field.name()) {
                Some(existing) if existing.data_type() != field.data_type() => anyhow::bail!(
                    "column `{}` is {} in one input and {} in another: subset them separately",
                    field.name(),
                    existing.data_type(),
                    field.data_type()
                ),
                Some(_) => {}
                None => fields.push(Field::new(field.name(), field.data_type().clone(), true)),
            }
        }
    }
    if !fields.iter().any(|f| f.name() == "latitude") {
        fields.insert(0, Field::new("latitude", DataType::Float64, true));
        fields.insert(1, Field::new("longitude", DataType::Float64, true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// `part` with every column of `schema`, nulls where it has none.
fn conform(part: &RecordBatch, schema: &Arc<Schema>) -> anyhow::Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match part.column_by_name(field.name()) {
            Some(column) => Arc::clone(column),
            None => arrow_array::new_null_array(field.data_type(), part.num_rows()),
        })
        .collect();
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// Rows ordered by track, then time (what a user reading along a track expects, and what keeps row groups small
/// in space).
fn sort_by_track_and_time(batch: &RecordBatch) -> anyhow::Result<RecordBatch> {
    let keys: Vec<arrow_ord::sort::SortColumn> = ["track_id", "time"]
        .iter()
        .filter_map(|name| batch.column_by_name(name))
        .map(|column| arrow_ord::sort::SortColumn { values: Arc::clone(column), options: None })
        .collect();
    if keys.is_empty() || batch.num_rows() == 0 {
        return Ok(batch.clone());
    }
    let indices = arrow_ord::sort::lexsort_to_indices(&keys, None)?;
    Ok(arrow_select::take::take_record_batch(batch, &indices)?)
}

/// `--columns` (latitude and longitude always stay: the geometry is built from them).
fn select_columns(batch: &RecordBatch, wanted: &[String]) -> anyhow::Result<RecordBatch> {
    if wanted.is_empty() {
        return Ok(batch.clone());
    }
    let schema = batch.schema();
    let mut indices = Vec::new();
    for name in ["latitude", "longitude"].iter().map(|s| s.to_string()).chain(wanted.iter().cloned()) {
        let index = schema.index_of(&name).map_err(|_| {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            anyhow::anyhow!("--columns: no column `{name}` (columns: {})", names.join(", "))
        })?;
        if !indices.contains(&index) {
            indices.push(index);
        }
    }
    Ok(batch.project(&indices)?)
}

/// "gt1l 512, gt1r 498, …" from the `track_id` column.
pub fn rows_per_track(batch: &RecordBatch) -> String {
    let Some(tracks) = batch.column_by_name("track_id").and_then(|c| c.as_any().downcast_ref::<StringArray>()) else {
        return format!("rows: {}", batch.num_rows());
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for track in tracks.iter() {
        *counts.entry(track.unwrap_or("(none)")).or_default() += 1;
    }
    let listed: Vec<String> = counts.iter().map(|(track, n)| format!("{track} {n}")).collect();
    format!("rows per track: {}", listed.join(", "))
}
