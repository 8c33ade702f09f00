//! From `PointBatch`es to what the GPU takes: world-space chunks with f32 offsets, and one f32 per point per
//! value column. Runs in the loading task, never on the UI thread.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use floe_io::{LonLatBox, PointBatch};
use floe_render::{PointChunk, Projection, chunk_world_points, world_from_lonlat};

/// How a value column maps to f32 on the GPU: `gpu = value - reference` keeps precision for values far
/// from zero (timestamps in seconds since 1970 do not fit an f32 otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct ValueColumn {
    pub name: String,
    pub unit: Option<String>,
    pub is_time: bool,
    pub reference: Option<f64>,
}

impl ValueColumn {
    /// The real value of a GPU value.
    pub fn value_of(&self, gpu: f32) -> f64 {
        f64::from(gpu) + self.reference.unwrap_or(0.0)
    }

    /// The GPU value of a real value.
    pub fn gpu_of(&self, value: f64) -> f32 {
        (value - self.reference.unwrap_or(0.0)) as f32
    }

    pub fn label(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{} [{unit}]", self.name),
            None if self.is_time => format!("{} [UTC]", self.name),
            None => self.name.clone(),
        }
    }

    /// A value formatted for people (times as UTC dates).
    pub fn format(&self, value: f64) -> String {
        if self.is_time {
            format_utc(value)
        } else if value.abs() >= 1e5 || (value != 0.0 && value.abs() < 1e-2) {
            format!("{value:.3e}")
        } else {
            format!("{value:.2}")
        }
    }
}

/// One batch turned into chunks and per-column values, ready to upload.
#[derive(Debug, Default)]
pub struct PreparedBatch {
    pub chunks: Vec<PointChunk>,
    /// For each column (same order as the ingest's columns), one f32 per point, chunk after chunk.
    pub values: Vec<Vec<f32>>,
    /// Point ranges of each chunk inside `values`.
    pub chunk_ranges: Vec<Range<usize>>,
    pub bbox: LonLatBox,
    pub skipped: usize,
    /// The beam (name, strength) all points of the batch belong to, when it has one (granules).
    pub beam: Option<(String, String)>,
    /// The track of each chunk (see [`TrackKey`]): a chunk never mixes tracks. `None` where the batch has no
    /// track columns.
    pub chunk_tracks: Vec<Option<String>>,
    /// Along-track distance (`x_atc`, metres) of each point in chunk order, in f64 so that centimetres survive
    /// thousands of kilometres; empty when the batch has no `x_atc`.
    pub along_track: Vec<f64>,
    /// Each point's row in its file (or beam) in chunk order; empty when the reader did not say.
    pub rows: floe_io::SourceRows,
    /// The file (or URL) the points came from.
    pub source: Option<Arc<str>>,
}

impl PreparedBatch {
    /// Moves the points from the `from` projection's world into `to`'s, through lon/lat recovered from each
    /// chunk's f64 origin and f32 offsets (no re-read), and chunks them again (chunk extents are bounded in
    /// world units). Point order, and so the values, do not change.
    pub fn reproject(&mut self, from: Projection, to: Projection) {
        if from == to {
            return;
        }
        let world: Vec<[f64; 2]> = self
            .chunks
            .iter()
            .flat_map(|chunk| {
                chunk.offsets.iter().map(move |o| {
                    let world = [chunk.origin_world[0] + f64::from(o[0]), chunk.origin_world[1] + f64::from(o[1])];
                    to.world_from_world_of(from, world)
                })
            })
            .collect();
        let (chunks, chunk_ranges): (Vec<PointChunk>, Vec<Range<usize>>) =
            chunk_world_points(&world).into_iter().unzip();
        // Chunks were cut again without regard to tracks: the labels no longer apply.
        self.chunk_tracks = vec![None; chunks.len()];
        self.chunks = chunks;
        self.chunk_ranges = chunk_ranges;
    }
}

/// What makes a track, one beam of one pass: `rgt` and `cycle` when present, and the first of `gt`, `track_id`,
/// `spot`, `beam` (SlideRule's and the granules' names), unless the user names the columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackKey {
    /// Columns named by the user (`--track-key`); empty: the default above.
    pub columns: Vec<String>,
}

/// Beam columns in the order they are looked for.
const BEAM_COLUMNS: &[&str] = &["gt", "track_id", "spot", "beam"];

impl TrackKey {
    /// Every column that may take part in a key.
    pub fn candidate_columns(&self) -> Vec<String> {
        if self.columns.is_empty() {
            ["rgt", "cycle"].iter().chain(BEAM_COLUMNS).map(|n| (*n).to_owned()).collect()
        } else {
            self.columns.clone()
        }
    }

    /// The key columns present in `batch`, in key order (at most four).
    pub fn columns_in(&self, batch: &PointBatch) -> Vec<String> {
        let present = |name: &str| batch.column(name).is_some();
        let mut names: Vec<String> = if self.columns.is_empty() {
            let mut names: Vec<String> =
                ["rgt", "cycle"].into_iter().filter(|n| present(n)).map(str::to_owned).collect();
            names.extend(BEAM_COLUMNS.iter().find(|n| present(n)).map(|n| (*n).to_owned()));
            names
        } else {
            self.columns.iter().filter(|n| present(n)).cloned().collect()
        };
        names.truncate(4);
        names
    }

    /// Each row's track, as a label (`rgt 1234 · cycle 12 · gt1l`) per group of rows, and the rows of each group
    /// in their original order. `None` when the batch has none of the key columns.
    pub fn groups(&self, batch: &PointBatch) -> Option<Vec<(String, Vec<usize>)>> {
        let names = self.columns_in(batch);
        if names.is_empty() {
            return None;
        }
        let arrays: Vec<&ArrayRef> = names.iter().filter_map(|n| batch.column(n)).collect();
        // A granule's beam (and most row groups) is one track: no text per row.
        if arrays.iter().all(|a| is_constant(a)) {
            let first: Vec<Option<String>> =
                arrays.iter().map(|a| key_texts(&a.slice(0, a.len().min(1))).into_iter().next().flatten()).collect();
            let key: Vec<Option<&str>> = first.iter().map(|v| v.as_deref()).collect();
            return Some(vec![(track_label(&names, &key), (0..batch.num_rows()).collect())]);
        }
        let texts: Vec<Vec<Option<String>>> = arrays.into_iter().map(key_texts).collect();
        let mut index: std::collections::HashMap<Vec<Option<&str>>, usize> = std::collections::HashMap::new();
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for row in 0..batch.num_rows() {
            let key: Vec<Option<&str>> = texts.iter().map(|t| t.get(row).and_then(|v| v.as_deref())).collect();
            let group = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((track_label(&names, &key), Vec::new()));
                groups.len() - 1
            });
            if let Some((_, rows)) = groups.get_mut(group) {
                rows.push(row);
            }
        }
        Some(groups)
    }
}

/// Whether every row holds the same value (nulls included).
fn is_constant(array: &ArrayRef) -> bool {
    if array.is_empty() {
        return true;
    }
    if array.null_count() > 0 {
        return array.null_count() == array.len();
    }
    if let Some(strings) = array.as_string_opt::<i32>() {
        let first = strings.value(0);
        return strings.iter().all(|v| v == Some(first));
    }
    let values = to_f64(array);
    values.first().is_none_or(|first| values.iter().all(|v| v.to_bits() == first.to_bits()))
}

/// A key column's values as text: strings as they are, numbers without a fraction when whole.
fn key_texts(array: &ArrayRef) -> Vec<Option<String>> {
    if let Some(strings) = array.as_string_opt::<i32>() {
        return strings.iter().map(|v| v.map(str::to_owned)).collect();
    }
    if let Some(strings) = array.as_string_opt::<i64>() {
        return strings.iter().map(|v| v.map(str::to_owned)).collect();
    }
    // A run of equal numbers becomes one string: granule beams repeat their rgt and cycle on every row.
    let mut last: Option<(f64, String)> = None;
    to_f64(array)
        .into_iter()
        .map(|v| {
            if !v.is_finite() {
                return None;
            }
            if let Some((previous, text)) = &last
                && previous.to_bits() == v.to_bits()
            {
                return Some(text.clone());
            }
            let text = if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") };
            last = Some((v, text.clone()));
            Some(text)
        })
        .collect()
}

/// `rgt 1234 · cycle 12 · gt1l`: the key columns with their values (a beam name alone needs no column name).
fn track_label(names: &[String], values: &[Option<&str>]) -> String {
    names
        .iter()
        .zip(values)
        // A granule without orbit information has null rgt and cycle: they say nothing.
        .filter_map(|(name, value)| {
            let value = (*value)?;
            Some(if name == "gt" || name == "track_id" { value.to_owned() } else { format!("{name} {value}") })
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Converts batches with a fixed set of value columns. Cheap to clone and shared by the decoding workers:
/// the first valid value any worker sees fixes a column's reference for all of them.
#[derive(Clone, Debug)]
pub struct Ingest {
    columns: Arc<Vec<ValueColumn>>,
    references: Arc<Vec<OnceLock<f64>>>,
    track_key: Arc<TrackKey>,
    filters: Arc<Vec<crate::row_filter::RowFilter>>,
}

impl Ingest {
    pub fn new(columns: Vec<ValueColumn>, track_key: TrackKey, filters: Vec<crate::row_filter::RowFilter>) -> Self {
        let references = columns.iter().map(|_| OnceLock::new()).collect();
        Self {
            columns: Arc::new(columns),
            references: Arc::new(references),
            track_key: Arc::new(track_key),
            filters: Arc::new(filters),
        }
    }

    /// The columns with the references fixed so far.
    pub fn columns(&self) -> Vec<ValueColumn> {
        self.columns
            .iter()
            .zip(self.references.iter())
            .map(|(column, reference)| ValueColumn { reference: reference.get().copied(), ..column.clone() })
            .collect()
    }

    /// Chunks the batch's points (each chunk within one track: a batch holding several tracks is regrouped,
    /// track by track, rows in order within each) and converts the value columns.
    /// Rows that fail a filter are dropped first; a filter that cannot apply (a value of the wrong type) is the error.
    pub fn prepare(&self, batch: &PointBatch) -> Result<PreparedBatch, String> {
        if self.filters.is_empty() {
            return Ok(self.prepare_points(batch));
        }
        let kept = crate::row_filter::filter_points(&self.filters, batch).map_err(|e| format!("{e:#}"))?;
        Ok(self.prepare_points(&kept))
    }

    fn prepare_points(&self, batch: &PointBatch) -> PreparedBatch {
        let groups = self.track_key.groups(batch);
        // Rows in output order: a permutation only when the batch mixes tracks.
        let order: Option<Vec<usize>> = match &groups {
            Some(groups) if groups.len() > 1 => {
                Some(groups.iter().flat_map(|(_, rows)| rows.iter().copied()).collect())
            }
            _ => None,
        };
        let reorder = |values: Vec<f64>| match &order {
            Some(order) => order.iter().map(|&i| values.get(i).copied().unwrap_or(f64::NAN)).collect(),
            None => values,
        };
        let lon = batch.lon().values();
        let lat = batch.lat().values();
        let mut world: Vec<[f64; 2]> = lon.iter().zip(lat.iter()).map(|(&x, &y)| world_from_lonlat(x, y)).collect();
        if let Some(order) = &order {
            world = order.iter().filter_map(|&i| world.get(i).copied()).collect();
        }
        let mut chunked = Vec::new();
        let mut chunk_tracks = Vec::new();
        match &groups {
            Some(groups) => {
                let mut start = 0;
                for (label, rows) in groups {
                    let end = start + rows.len();
                    for (chunk, range) in chunk_world_points(world.get(start..end).unwrap_or(&[])) {
                        chunked.push((chunk, start + range.start..start + range.end));
                        chunk_tracks.push(Some(label.clone()));
                    }
                    start = end;
                }
            }
            None => {
                chunked = chunk_world_points(&world);
                chunk_tracks = vec![None; chunked.len()];
            }
        }
        let along_track = batch.column("x_atc").map(|array| reorder(to_f64(array))).unwrap_or_default();
        let rows = match (&batch.rows, &order) {
            (Some(rows), Some(order)) => rows.pick(order.iter().copied()),
            (Some(rows), None) => rows.clone(),
            (None, _) => floe_io::SourceRows::default(),
        };
        let mut values = Vec::with_capacity(self.columns.len());
        for (column, reference) in self.columns.iter().zip(self.references.iter()) {
            if let Some(direct) = batch.column(&column.name).and_then(|array| direct_f32(array, reference)) {
                values.push(match &order {
                    Some(order) => order.iter().map(|&i| direct.get(i).copied().unwrap_or(f32::NAN)).collect(),
                    None => direct,
                });
                continue;
            }
            let converted = match batch.column(&column.name) {
                Some(array) => reorder(to_f64(array)),
                None => vec![f64::NAN; batch.num_rows()],
            };
            let reference = match converted.iter().copied().find(|v| v.is_finite()) {
                Some(first) => *reference.get_or_init(|| reference_for(first)),
                // All null: the reference does not matter.
                None => reference.get().copied().unwrap_or(0.0),
            };
            values.push(converted.iter().map(|v| (v - reference) as f32).collect());
        }
        let (chunks, chunk_ranges) = chunked.into_iter().unzip();
        PreparedBatch {
            chunks,
            values,
            chunk_ranges,
            bbox: batch.bbox,
            skipped: batch.skipped,
            beam: beam_of(batch),
            chunk_tracks,
            along_track,
            rows,
            source: Some(Arc::clone(&batch.source)),
        }
    }
}

/// The beam of a batch whose `gt` and `beam_strength` columns each hold one value (granules and the scene are read
/// one beam per batch; GeoParquet tracks are the profile's business, not the beam toggles').
fn beam_of(batch: &PointBatch) -> Option<(String, String)> {
    let single = |name: &str| -> Option<String> {
        let column = batch.column(name)?.as_string_opt::<i32>()?;
        let first = column.iter().next().flatten()?;
        column.iter().all(|v| v == Some(first)).then(|| first.to_owned())
    };
    Some((single("gt")?, single("beam_strength")?))
}

/// Float32 columns with small values (most heights) go to the GPU as they are, nulls as NaN.
fn direct_f32(array: &ArrayRef, reference: &OnceLock<f64>) -> Option<Vec<f32>> {
    let floats = array.as_primitive_opt::<arrow_array::types::Float32Type>()?;
    let first = floats.iter().flatten().find(|v| v.is_finite())?;
    if *reference.get_or_init(|| reference_for(f64::from(first))) != 0.0 {
        return None;
    }
    Some(match floats.nulls() {
        None => floats.values().to_vec(),
        Some(_) => floats.iter().map(|v| v.unwrap_or(f32::NAN)).collect(),
    })
}

/// A round reference near `value`: small values keep 0 so the GPU sees them unchanged.
fn reference_for(value: f64) -> f64 {
    if value.abs() < 1e4 { 0.0 } else { value.trunc() }
}

/// Any numeric, boolean or timestamp array as f64 (timestamps in seconds since 1970; null → NaN).
pub fn to_f64(array: &ArrayRef) -> Vec<f64> {
    let values = match array.data_type() {
        DataType::Timestamp(unit, _) => timestamps_as_seconds(array, unit),
        _ => arrow_cast_f64(array),
    };
    values.unwrap_or_else(|| vec![f64::NAN; array.len()])
}

/// Seconds since 1970. Whole seconds and the fraction are converted apart so nanoseconds survive in f64.
fn timestamps_as_seconds(array: &ArrayRef, unit: &TimeUnit) -> Option<Vec<f64>> {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let ints = arrow_cast::cast(array, &DataType::Int64).ok()?;
    let ints = ints.as_primitive_opt::<Int64Type>()?;
    let seconds = |v: i64| v.div_euclid(per_second) as f64 + v.rem_euclid(per_second) as f64 / per_second as f64;
    Some(ints.iter().map(|v| v.map_or(f64::NAN, seconds)).collect())
}

fn arrow_cast_f64(array: &ArrayRef) -> Option<Vec<f64>> {
    let cast = arrow_cast::cast(array, &DataType::Float64).ok()?;
    let floats = cast.as_primitive_opt::<Float64Type>()?;
    Some(floats.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// The `lo`–`hi` percentiles (0–100) of the finite values, from at most ~1M samples.
pub fn percentile_range(values: &[f32], lo: f64, hi: f64) -> Option<(f32, f32)> {
    let step = (values.len() / 1_000_000).max(1);
    let mut finite: Vec<f32> = values.iter().step_by(step).copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    let last = finite.len() - 1;
    let index = |p: f64| ((p / 100.0) * last as f64).round() as usize;
    let (lo_index, hi_index) = (index(lo).min(last), index(hi).min(last));
    let lo_value = *finite.select_nth_unstable_by(lo_index, f32::total_cmp).1;
    let hi_value = *finite.select_nth_unstable_by(hi_index, f32::total_cmp).1;
    Some((lo_value, hi_value))
}

/// Seconds since 1970 as `YYYY-MM-DD hh:mm:ss` (UTC, whole seconds).
pub fn format_utc(seconds: f64) -> String {
    match arrow_array::temporal_conversions::timestamp_s_to_datetime(seconds.floor() as i64) {
        Some(time) => time.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{seconds} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_dates() {
        let values: Vec<f32> = (0..=100).map(|v| v as f32).chain([f32::NAN]).collect();
        assert_eq!(percentile_range(&values, 2.0, 98.0), Some((2.0, 98.0)));
        assert_eq!(percentile_range(&[f32::NAN], 2.0, 98.0), None);
        assert_eq!(format_utc(1_635_933_600.0), "2021-11-03 10:00:00");
        assert_eq!(format_utc(0.0), "1970-01-01 00:00:00");
    }

    #[test]
    fn references_keep_time_precision() {
        let column = ValueColumn {
            name: "time".into(),
            unit: None,
            is_time: true,
            reference: Some(reference_for(1_635_933_600.25)),
        };
        assert_eq!(column.reference, Some(1_635_933_600.0));
        assert_eq!(column.gpu_of(1_635_933_601.5), 1.5);
        assert_eq!(column.value_of(1.5), 1_635_933_601.5);
    }
}
