//! Cutting an area of interest (and beams, a time range) out of granules and GeoParquet inputs into one table,
//! rows ordered by track and time: what `floe subset` writes and the viewer's "Export selection…" saves.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use floe_io::PointSource;
use floe_io::aoi::Aoi;
use floe_io::icesat2::Surface;
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
    /// Only the rows of a rectangle brushed in the profile.
    pub brush: Option<Brush>,
    /// Only the rows every `--filter` keeps (applied to the inputs' own column names, before renaming).
    pub filters: Vec<crate::row_filter::RowFilter>,
    /// The viewer's filters on the map, each for every input or the input of that index: as on the map, one applies
    /// only where the input has its column.
    pub map_filters: Vec<(crate::row_filter::RowFilter, Option<usize>)>,
}

/// A rectangle brushed in the profile, as a row filter: rows of one track whose x and y values lie in the ranges
/// (edges included). Applied to the inputs' own values, so that an export holds exactly the rows a filter on the
/// file finds.
#[derive(Clone, Debug)]
pub struct Brush {
    /// The track's label (`rgt 1234 · cycle 12 · gt1l`), made from `track_key`'s columns as the viewer made it.
    pub track: String,
    pub track_key: crate::points::TrackKey,
    /// `x_atc`, `time` (seconds since 1970) or `lat`.
    pub x_column: String,
    pub x: (f64, f64),
    /// The y column; `None`: each input's height (see [`crate::profile::default_y_column`]).
    pub y_column: Option<String>,
    pub y: (f64, f64),
    /// A lasso drawn in the profile: the closed ring, in the x and y columns' units, inside the box above.
    pub ring: Option<Vec<[f64; 2]>>,
}

impl Brush {
    /// The rows of `batch` inside the brush.
    fn mask(&self, batch: &PointBatch) -> BooleanArray {
        let n = batch.num_rows();
        let mut keep = vec![false; n];
        if let Some(groups) = self.track_key.groups(batch) {
            for (label, rows) in groups {
                if label == self.track {
                    for row in rows {
                        if let Some(k) = keep.get_mut(row) {
                            *k = true;
                        }
                    }
                }
            }
        }
        let x: Vec<f64> = match self.x_column.as_str() {
            "lat" => batch.lat().values().to_vec(),
            name => batch.column(name).map_or_else(|| vec![f64::NAN; n], crate::points::to_f64),
        };
        let names: Vec<String> = batch.batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        let y_name = self.y_column.clone().or_else(|| crate::profile::default_y_name(&names).map(str::to_owned));
        let y: Vec<f64> = match y_name.and_then(|name| batch.column(&name).cloned()) {
            Some(array) => crate::points::to_f64(&array),
            None => vec![f64::NAN; n],
        };
        let inside = |v: Option<&f64>, (lo, hi): (f64, f64)| v.is_some_and(|v| (lo..=hi).contains(v));
        let in_lasso = |i: usize| match (&self.ring, x.get(i), y.get(i)) {
            (Some(ring), Some(x), Some(y)) => crate::profile::in_ring(ring, [*x, *y]),
            (Some(_), _, _) => false,
            (None, _, _) => true,
        };
        (0..n).map(|i| Some(keep[i] && inside(x.get(i), self.x) && inside(y.get(i), self.y) && in_lasso(i))).collect()
    }
}

/// The rows cut out, and what reading them cost.
pub struct Subset {
    pub batch: RecordBatch,
    /// Bytes and requests of every read: the inputs' metadata and data, and the chunk index's.
    pub bytes_read: u64,
    pub requests: u64,
    /// Rows inside the AOI (or all rows without one), before the time, beam and null filters.
    pub rows_in_aoi: u64,
    /// The UTC nanosecond span of those rows' `time`, when a `--time` window was asked for (to say where it
    /// missed).
    pub time_span: Option<(i64, i64)>,
}

/// Reads every input through the request's filters. `on_input` is told when an input starts (with its progress)
/// and returns what to call when it is done (a terminal progress bar's finish, for example).
pub async fn run(
    request: &Request,
    mut on_input: impl FnMut(&str, Arc<Progress>) -> Box<dyn FnOnce() + Send>,
) -> anyhow::Result<Subset> {
    let mut parts = Vec::new();
    // A given index was read before (its requests count here); one found beside a granule counts with it.
    let (mut requests, mut bytes_read) = request.dataset.index.as_ref().map_or((0, 0), |index| index.fetched);
    let mut rows_in_aoi = 0;
    let mut time_span = None;
    for (input_index, input) in request.inputs.iter().enumerate() {
        let name = input.name();
        // A granule the index places outside the AOI is never opened.
        if let (Some(index), Some(aoi)) = (&request.dataset.index, &request.aoi)
            && index.granule(&name).is_some_and(|chunks| !chunks.bbox.intersects(&aoi.bbox))
        {
            continue;
        }
        let layer = input.open(&request.dataset).await?;
        let input = name.as_str();
        let columns = match &layer {
            PointSource::Granule { .. } | PointSource::Scene(_) | PointSource::FlatGeobuf(_) => {
                ColumnSelection::AllNumeric
            }
            PointSource::GeoParquet(dataset) => {
                refuse_non_points(dataset)?;
                // Every file's columns, then the hive partition keys (`year=2021/` → a `year` column).
                let mut names: Vec<String> = Vec::new();
                let file_columns = dataset.files.iter().flat_map(|f| {
                    f.file
                        .attribute_fields()
                        .into_iter()
                        .filter(|f| !is_undeclared_covering(f))
                        .map(|f| f.name().clone())
                        .collect::<Vec<_>>()
                });
                let partition_keys = dataset.partition_columns().into_iter().map(|(key, _)| key);
                for name in file_columns.chain(partition_keys) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                ColumnSelection::Named(names)
            }
        };
        let mut read = ReadOptions {
            columns,
            // Beam filters pick the granule beams read, unless --beam names them.
            beams: if request.beams.is_empty() {
                crate::row_filter::beam_selection(&request.filters)
            } else {
                request.beams.clone()
            },
            // Numeric and time filters prune row groups by their statistics (and a granule beam's rows by time);
            // the rows read are filtered below.
            value_ranges: crate::row_filter::value_ranges(&request.filters),
            time_bounds: crate::row_filter::time_bounds(&request.filters),
            ..ReadOptions::default()
        };
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
        let surface = match &layer {
            PointSource::Granule { surface, .. } => Some(*surface),
            PointSource::GeoParquet(_) | PointSource::Scene(_) | PointSource::FlatGeobuf(_) => None,
        };
        for batch in batches? {
            let batch = match &request.brush {
                Some(brush) => {
                    let kept = arrow_select::filter::filter_record_batch(&batch.batch, &brush.mask(&batch))
                        .context("selecting the brushed rows")?;
                    PointBatch { batch: kept, rows: None, ..batch }
                }
                None => batch,
            };
            // Rows inside the AOI are counted before the filters (to say what the filters left).
            rows_in_aoi += batch.num_rows() as u64;
            let batch = crate::row_filter::apply(&request.filters, &batch.batch, input)?;
            let on_map: Vec<crate::row_filter::RowFilter> = request
                .map_filters
                .iter()
                .filter(|(f, scope)| {
                    scope.is_none_or(|s| s == input_index) && batch.schema().field_with_name(&f.column).is_ok()
                })
                .map(|(f, _)| f.clone())
                .collect();
            let batch = crate::row_filter::apply(&on_map, &batch, input)?;
            let batch = output_columns(&batch, surface).with_context(|| input.to_owned())?;
            // Only a --time window needs the span (to say where it missed): no extra pass over the rows otherwise.
            if request.time.is_some()
                && let Some((first, last)) = time_bounds(&batch)?
            {
                time_span = Some(time_span.map_or((first, last), |(a, b): (i64, i64)| (a.min(first), b.max(last))));
            }
            let batch = filter_rows(&batch, request.time.as_ref(), &request.drop_null, &request.beams)
                .with_context(|| input.to_owned())?;
            parts.push(batch);
        }
        let (input_requests, input_bytes) = layer.fetched();
        requests += input_requests;
        bytes_read += input_bytes;
    }
    let schema = unified_schema(&parts)?;
    let mut batches = Vec::with_capacity(parts.len());
    for part in &parts {
        batches.push(conform(part, &schema)?);
    }
    let all = arrow_select::concat::concat_batches(&schema, &batches).context("joining the inputs' rows")?;
    let sorted = sort_by_track_and_time(&all)?;
    Ok(Subset { batch: select_columns(&sorted, &request.columns)?, bytes_read, requests, rows_in_aoi, time_span })
}

/// The output holds points (a WKB point and its bbox per row): a file of lines or polygons would come out as
/// their centres, which is not a subset of it.
fn refuse_non_points(dataset: &floe_io::HiveDataset) -> anyhow::Result<()> {
    for file in &dataset.files {
        let Some(geo) = &file.file.geo else { continue };
        let others: Vec<&str> = geo
            .primary
            .geometry_types
            .iter()
            .map(String::as_str)
            .filter(|t| t.trim_end_matches(" Z") != "Point")
            .collect();
        anyhow::ensure!(
            others.is_empty(),
            "{}: holds {} geometries; floe subset writes points only and would turn each into its centre: cut \
             files of lines or polygons with a GIS tool (e.g. geopandas.clip)",
            file.file.location,
            others.join(", "),
        );
    }
    Ok(())
}

/// A `bbox` struct of xmin/ymin/xmax/ymax that the file's metadata does not declare as its covering (older
/// Overture releases): the output writes its own, so this one is left out rather than written twice.
fn is_undeclared_covering(field: &Field) -> bool {
    match field.data_type() {
        DataType::Struct(children) if field.name() == "bbox" => {
            let names: Vec<&str> = children.iter().map(|c| c.name().as_str()).collect();
            ["xmin", "ymin", "xmax", "ymax"].iter().all(|n| names.contains(n))
        }
        _ => false,
    }
}

/// Where the inputs' points lie, every row of the requested beams read (coordinates only; granules apply the
/// beams, GeoParquet inputs are not filtered by them): what an empty result is explained with.
pub async fn data_extent(request: &Request) -> anyhow::Result<floe_io::LonLatBox> {
    let mut extent = floe_io::LonLatBox::EMPTY;
    for input in &request.inputs {
        let layer = input.open(&request.dataset).await?;
        let read = ReadOptions {
            columns: ColumnSelection::Named(Vec::new()),
            beams: request.beams.clone(),
            ..ReadOptions::default()
        };
        let mut stream = layer.stream(&read, parallelism(), Arc::new(Progress::default()), CancelToken::default())?;
        while let Some(batch) = stream.try_next().await? {
            extent = extent.union(&batch.bbox);
        }
    }
    Ok(extent)
}

/// Renames the reader's columns to the output names and puts latitude, longitude first (and, for granules, the
/// track columns last). A granule's `signal_conf_ph` records the surface type it is for (what `floe qa`
/// compares it with).
fn output_columns(batch: &RecordBatch, surface: Option<Surface>) -> anyhow::Result<RecordBatch> {
    let is_granule = surface.is_some();
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
    let fields: Vec<Field> = named
        .iter()
        .map(|(name, column)| {
            let field = Field::new(name, column.data_type().clone(), true);
            match surface {
                Some(surface) if name == "signal_conf_ph" => field.with_metadata(std::collections::HashMap::from([(
                    floe_io::qa::SURFACE_KEY.to_owned(),
                    surface.name().to_owned(),
                )])),
                _ => field,
            }
        })
        .collect();
    let columns = named.into_iter().map(|(_, column)| column).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// The first and last UTC nanosecond of a batch's `time` column.
fn time_bounds(batch: &RecordBatch) -> anyhow::Result<Option<(i64, i64)>> {
    let Some(column) = batch.column_by_name("time") else { return Ok(None) };
    let Ok(ns) = arrow_cast::cast(column, &DataType::Timestamp(TimeUnit::Nanosecond, None)) else { return Ok(None) };
    let ns = ns.as_any().downcast_ref::<arrow_array::TimestampNanosecondArray>().context("time as nanoseconds")?;
    Ok(ns.iter().flatten().fold(None, |span, t| match span {
        None => Some((t, t)),
        Some((a, b)) => Some((t.min(a), t.max(b))),
    }))
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
        let wants_names = beams.iter().any(|b| b != "strong" && b != "weak");
        let wants_strengths = beams.iter().any(|b| b == "strong" || b == "weak");
        let names = beam_names(batch)?;
        let strengths = beam_strengths(batch)?;
        anyhow::ensure!(
            !wants_names || names.is_some(),
            "--beams: the input has no beam column (`gt` or `track_id`) to select beams by name"
        );
        anyhow::ensure!(
            !wants_strengths || strengths.is_some(),
            "--beams: the input has no `beam_strength` or `spot` column to select strong or weak beams by"
        );
        for (row, keep) in keep.iter_mut().enumerate() {
            let name = names.as_ref().and_then(|n| n.get(row).copied().flatten());
            let strength = strengths.as_ref().and_then(|s| s.get(row).copied().flatten());
            *keep &= beams.iter().any(|b| Some(b.as_str()) == name || Some(b.as_str()) == strength);
        }
    }
    if keep.iter().all(|k| *k) {
        return Ok(batch.clone());
    }
    Ok(arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))?)
}

/// Each row's beam name from `track_id` (granules: `gt1l`; SlideRule: the `gt` code 10…60, renamed).
fn beam_names(batch: &RecordBatch) -> anyhow::Result<Option<Vec<Option<&'static str>>>> {
    let Some(column) = batch.column_by_name("track_id") else { return Ok(None) };
    if column.data_type().is_integer() {
        let codes = arrow_cast::cast(column, &DataType::Int64)?;
        let codes = codes.as_any().downcast_ref::<arrow_array::Int64Array>().context("beam codes")?;
        return Ok(Some(codes.iter().map(|c| c.and_then(floe_io::icesat2::beam_name_of_code)).collect()));
    }
    let text = arrow_cast::cast(column, &DataType::Utf8)?;
    let text = text.as_any().downcast_ref::<StringArray>().context("beam names")?;
    let known = |name: &str| floe_io::icesat2::BEAMS.iter().find(|b| b.eq_ignore_ascii_case(name)).copied();
    Ok(Some(text.iter().map(|name| name.and_then(known)).collect()))
}

/// Each row's beam strength from `beam_strength` (granules) or `spot` (1, 3, 5 strong).
fn beam_strengths(batch: &RecordBatch) -> anyhow::Result<Option<Vec<Option<&'static str>>>> {
    if let Some(column) = batch.column_by_name("beam_strength") {
        let text = arrow_cast::cast(column, &DataType::Utf8)?;
        let text = text.as_any().downcast_ref::<StringArray>().context("beam strengths")?;
        let strength = |s: &str| ["strong", "weak"].into_iter().find(|k| k.eq_ignore_ascii_case(s));
        return Ok(Some(text.iter().map(|s| s.and_then(strength)).collect()));
    }
    let Some(column) = batch.column_by_name("spot").filter(|c| c.data_type().is_integer()) else { return Ok(None) };
    let spots = arrow_cast::cast(column, &DataType::Int64)?;
    let spots = spots.as_any().downcast_ref::<arrow_array::Int64Array>().context("spots")?;
    Ok(Some(spots.iter().map(|s| s.and_then(floe_io::icesat2::spot_strength)).collect()))
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
                None => fields.push(field.as_ref().clone().with_nullable(true)),
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
    let mut keys: Vec<arrow_ord::sort::SortColumn> = ["track_id", "time"]
        .iter()
        .filter_map(|name| batch.column_by_name(name))
        .map(|column| arrow_ord::sort::SortColumn { values: Arc::clone(column), options: None })
        .collect();
    if keys.is_empty() || batch.num_rows() == 0 {
        return Ok(batch.clone());
    }
    // The input order breaks ties (the sort is not stable): the photons of one ATL03 pulse share their time and
    // keep the granule's order, which is how `floe qa` matches them with the source.
    let rows = u64::try_from(batch.num_rows()).context("too many rows")?;
    keys.push(arrow_ord::sort::SortColumn {
        values: Arc::new(arrow_array::UInt64Array::from_iter_values(0..rows)),
        options: None,
    });
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

/// "gt1l 512, gt1r 498, …" from the `track_id` column (beam names, or SlideRule's `gt` codes).
pub fn rows_per_track(batch: &RecordBatch) -> String {
    let Ok(Some(names)) = beam_names(batch).map(|n| n.filter(|_| batch.num_rows() > 0)) else {
        return format!("rows: {}", batch.num_rows());
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names {
        *counts.entry(name.unwrap_or("(none)")).or_default() += 1;
    }
    let listed: Vec<String> = counts.iter().map(|(track, n)| format!("{track} {n}")).collect();
    format!("rows per track: {}", listed.join(", "))
}
