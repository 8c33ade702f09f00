//! GeoParquet (and plain Parquet with lon/lat columns) → `PointBatch` streams.
//!
//! Owns: finding the geometry (GeoParquet `geo` metadata, native point structs, or lon/lat columns), checking
//! the CRS, pruning row groups by a bbox (covering columns or column statistics), projecting only the needed
//! columns, and decoding geometry to lon/lat in parallel partitions of row groups.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Float64Array, LargeBinaryArray, RecordBatch,
    StructArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use futures::StreamExt;
use futures::stream::BoxStream;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::geoparquet::metadata::{CrsKind, Encoding, GeoMetadata, parse_geo_metadata};
use crate::geoparquet::wkb;
use crate::lonlat_box::LonLatBox;
use crate::progress::{CancelToken, Progress};
use crate::source::ByteSource;
use crate::source::parquet::ParquetSource;
use crate::source_rows::SourceRows;

/// Column pairs recognised as lon/lat when a file has no `geo` metadata, in order of preference.
pub const LONLAT_CANDIDATES: &[(&str, &str)] =
    &[("longitude", "latitude"), ("lon", "lat"), ("lon_ph", "lat_ph"), ("x", "y")];

/// Where a file keeps its coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeometrySource {
    Wkb { column: String },
    NativePoint { column: String },
    LonLatColumns { lon: String, lat: String },
}

impl GeometrySource {
    pub fn encoding_name(&self) -> &'static str {
        match self {
            GeometrySource::Wkb { .. } => "WKB",
            GeometrySource::NativePoint { .. } => "point",
            GeometrySource::LonLatColumns { .. } => "lon/lat columns",
        }
    }

    /// Top-level columns that hold geometry (never offered as values).
    pub fn columns(&self) -> Vec<&str> {
        match self {
            GeometrySource::Wkb { column } | GeometrySource::NativePoint { column } => vec![column],
            GeometrySource::LonLatColumns { lon, lat } => vec![lon, lat],
        }
    }
}

/// How to open a file.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Use these columns as lon/lat instead of guessing (files without `geo` metadata).
    pub lonlat_columns: Option<(String, String)>,
}

/// Which value columns to read besides the geometry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ColumnSelection {
    /// Every numeric, boolean or timestamp column (what the viewer offers to colour by).
    #[default]
    AllNumeric,
    /// Exactly these columns, in this order.
    Named(Vec<String>),
}

/// What to read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub columns: ColumnSelection,
    /// Keep only points inside this box (row groups outside it are never fetched).
    pub bbox: Option<LonLatBox>,
    /// Keep only points inside these polygons (exact test after pruning by `bbox`; see [`ReadOptions::with_aoi`]).
    pub aoi: Option<Arc<crate::aoi::Aoi>>,
    /// Granules: read only beams whose name (`gt1l`) or strength (`strong`) is listed; empty reads all.
    pub beams: Vec<String>,
    /// Rows per emitted batch.
    pub batch_rows: usize,
    /// Granules: a whole beam longer than this is read in windows of this many rows, each its own batch (what one
    /// step holds is bounded; a memory budget can stop a load mid-beam). A multiple of ATL03's 10,000-row chunks.
    pub beam_window_rows: u64,
    /// Only rows whose column values can lie in these ranges are wanted: a row group whose statistics say its
    /// values all lie outside one is never fetched. Pruning only: the rows read are not filtered here.
    pub value_ranges: Vec<ValueRange>,
    /// Only rows whose time can lie in these windows are wanted: Parquet row groups are pruned by the time column's
    /// statistics, granule beams read only the row range whose `delta_time` lies inside. Pruning only, as above.
    pub time_bounds: Vec<TimeBounds>,
}

/// A closed window of UTC nanoseconds on a time column (an open end is `i64::MIN` / `i64::MAX`).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeBounds {
    pub column: String,
    pub start_ns: i64,
    pub end_ns: i64,
}

/// A closed range of a numeric column's values (an open end is infinite), for pruning row groups.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRange {
    pub column: String,
    pub min: f64,
    pub max: f64,
}

impl ReadOptions {
    /// Restricts the read to an AOI: its bounding box prunes row groups and chunks, its polygons pick the rows.
    pub fn with_aoi(self, aoi: Arc<crate::aoi::Aoi>) -> Self {
        let bbox = match self.bbox {
            Some(b) => b.intersection(&aoi.bbox),
            None => aoi.bbox,
        };
        Self { bbox: Some(bbox), aoi: Some(aoi), ..self }
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: ColumnSelection::AllNumeric,
            bbox: None,
            aoi: None,
            beams: Vec::new(),
            batch_rows: 64 * 1024,
            beam_window_rows: 1_000_000,
            value_ranges: Vec::new(),
            time_bounds: Vec::new(),
        }
    }
}

/// The row groups and columns a read will touch.
#[derive(Clone, Debug)]
pub struct ReadPlan {
    pub row_groups: Vec<usize>,
    pub rows: u64,
    /// Compressed bytes of the projected column chunks.
    pub bytes: u64,
    pub value_columns: Vec<String>,
    projection_roots: Vec<usize>,
}

/// A 0-byte file is said to be empty, not reported as a failed range read.
pub(crate) fn check_not_empty(source: &dyn ByteSource) -> Result<()> {
    if source.size() == 0 {
        return Err(IoError::Format { location: source.location().to_owned(), message: "empty file (0 bytes)".into() });
    }
    Ok(())
}

/// What a file whose footer cannot be read is instead, when it does not start with Parquet's `PAR1` magic
/// (`None`: it does, so the Parquet error stands).
async fn not_parquet(location: &str, source: &dyn ByteSource) -> Option<IoError> {
    let head = source.fetch(0..32.min(source.size())).await.ok()?;
    if head.starts_with(b"PAR1") {
        return None;
    }
    let message = if crate::icesat2::is_hdf5(&head) {
        "an HDF5 file, not Parquet: open it as a granule (a file path or URL, not inside a dataset directory)"
            .to_owned()
    } else {
        let text = String::from_utf8_lossy(&head);
        if text.chars().all(|c| !c.is_control() || c.is_whitespace()) {
            let first_line = text.lines().next().unwrap_or_default();
            format!("neither an HDF5 granule nor a Parquet file: it is text starting `{first_line}`")
        } else {
            "neither an HDF5 granule nor a Parquet file (no HDF5 signature, no `PAR1` magic)".to_owned()
        }
    };
    Some(IoError::Format { location: location.to_owned(), message })
}

/// An open (Geo)Parquet file: footer read, geometry found, CRS checked.
#[derive(Clone, Debug)]
pub struct GeoParquetFile {
    pub location: Arc<str>,
    source: ParquetSource,
    metadata: ArrowReaderMetadata,
    pub geo: Option<GeoMetadata>,
    pub geometry: GeometrySource,
    pub crs: CrsKind,
}

impl GeoParquetFile {
    /// Requests and bytes fetched from the file so far.
    pub fn fetched(&self) -> (u64, u64) {
        let stats = self.source.source.stats();
        (stats.requests(), stats.bytes())
    }
    /// Reads the footer (one request for most files) and works out where the points are.
    pub async fn open(source: Arc<dyn ByteSource>, options: &OpenOptions) -> Result<Self> {
        let location: Arc<str> = source.location().into();
        check_not_empty(source.as_ref())?;
        let mut reader = ParquetSource::new(source);
        let metadata = match ArrowReaderMetadata::load_async(&mut reader, Default::default()).await {
            Ok(metadata) => metadata,
            // Only a file that fails is looked at again: good files cost no extra request.
            Err(e) => {
                return Err(not_parquet(&location, reader.source.as_ref())
                    .await
                    .unwrap_or(parquet_error(&location, e)));
            }
        };
        let geo_json = metadata
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|kv| kv.key == "geo"))
            .and_then(|kv| kv.value.clone());
        let geo = geo_json
            .map(|json| parse_geo_metadata(&json))
            .transpose()
            .map_err(|message| IoError::GeoMetadata { location: location.to_string(), message })?;
        let schema = metadata.schema();
        let (geometry, crs) = match (&geo, &options.lonlat_columns) {
            (_, Some((lon, lat))) => (lonlat_columns(&location, schema, lon, lat)?, CrsKind::DefaultCrs84),
            (Some(geo), None) => (geometry_from_geo(&location, schema, geo)?, geo.primary.crs.clone()),
            (None, None) => (guess_lonlat_columns(&location, schema)?, CrsKind::DefaultCrs84),
        };
        if let CrsKind::Unsupported(crs) = &crs {
            return Err(IoError::UnsupportedCrs {
                location: location.to_string(),
                column: geometry.columns().join(", "),
                crs: crs.clone(),
            });
        }
        let reader = reader
            .with_column_chunks(metadata.metadata())
            .map_err(|message| IoError::Format { location: location.to_string(), message })?;
        Ok(Self { location, source: reader, metadata, geo, geometry, crs })
    }

    /// The full extent of a WKB geometry column, every vertex of every line and polygon counted (the decoded
    /// batches hold only each geometry's centre). `None` for other encodings or when every geometry is empty.
    pub async fn geometry_extent(&self) -> Result<Option<LonLatBox>> {
        let GeometrySource::Wkb { column } = &self.geometry else { return Ok(None) };
        let Some(root) = self.metadata.schema().index_of(column).ok() else { return Ok(None) };
        let mask = ProjectionMask::roots(self.metadata.parquet_schema(), [root]);
        let stream = ParquetRecordBatchStreamBuilder::new_with_metadata(self.source.clone(), self.metadata.clone())
            .with_projection(mask)
            .build()
            .map_err(|e| parquet_error(&self.location, e))?;
        let mut stream = guard_panics(stream);
        let mut bbox = LonLatBox::EMPTY;
        let mut row = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| parquet_error(&self.location, e))?;
            let values = arrow_cast::cast(batch.column(0), &DataType::Binary).map_err(|e| IoError::Column {
                location: self.location.to_string(),
                column: column.clone(),
                message: format!("not WKB: {e}"),
                source: Some(Box::new(e)),
            })?;
            let Some(values) = values.as_any().downcast_ref::<BinaryArray>() else { return Ok(None) };
            for value in values.iter() {
                if let Some(bytes) = value {
                    let extent = crate::geoparquet::wkb::extent(bytes).map_err(|message| IoError::Geometry {
                        location: self.location.to_string(),
                        column: column.clone(),
                        row,
                        message,
                    })?;
                    if let Some([x0, y0, x1, y1]) = extent {
                        bbox = bbox.union(&LonLatBox::new(x0, y0, x1, y1));
                    }
                }
                row += 1;
            }
        }
        Ok((!bbox.is_empty()).then_some(bbox))
    }

    pub fn parquet_metadata(&self) -> &Arc<ParquetMetaData> {
        self.metadata.metadata()
    }

    pub fn schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }

    pub fn byte_source(&self) -> &Arc<dyn ByteSource> {
        &self.source.source
    }

    pub fn num_rows(&self) -> u64 {
        u64::try_from(self.parquet_metadata().file_metadata().num_rows()).unwrap_or(0)
    }

    /// Columns that are neither geometry nor the bbox covering.
    pub fn attribute_fields(&self) -> Vec<&Arc<Field>> {
        let geometry = self.geometry.columns();
        let covering_root = self.geo.as_ref().and_then(|g| g.primary.covering.as_ref()).map(|c| c.xmin[0].as_str());
        self.schema()
            .fields()
            .iter()
            .filter(|f| !geometry.contains(&f.name().as_str()) && Some(f.name().as_str()) != covering_root)
            .collect()
    }

    /// Every column of row `row` of the file (geometry excepted) as `(name, value)` text: what the viewer's
    /// *Point* window shows of a picked point's columns that were not loaded. Reads that row's pages only.
    pub async fn read_row(&self, row: u64) -> Result<Vec<(String, String)>> {
        use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
        let not_found = || IoError::Column {
            location: self.location.to_string(),
            column: format!("row {row}"),
            message: format!("no such row: the file has {} rows", self.num_rows()),
            source: None,
        };
        let mut start = 0u64;
        let mut found = None;
        for (index, group) in self.parquet_metadata().row_groups().iter().enumerate() {
            let rows = u64::try_from(group.num_rows()).unwrap_or(0);
            if row < start + rows {
                found = Some((index, row - start));
                break;
            }
            start += rows;
        }
        let (group, within) = found.ok_or_else(not_found)?;
        let skip = usize::try_from(within).map_err(|_| not_found())?;
        let selection = RowSelection::from(vec![RowSelector::skip(skip), RowSelector::select(1)]);
        let stream = ParquetRecordBatchStreamBuilder::new_with_metadata(self.source.clone(), self.metadata.clone())
            .with_row_groups(vec![group])
            .with_row_selection(selection)
            .with_batch_size(1)
            .build()
            .map_err(|e| parquet_error(&self.location, e))?;
        let mut stream = guard_panics(stream);
        let batch = match stream.next().await {
            Some(batch) => batch.map_err(|e| parquet_error(&self.location, e))?,
            None => return Err(not_found()),
        };
        let geometry = self.geometry.columns();
        let options = arrow_cast::display::FormatOptions::default().with_null("null");
        let mut values = Vec::new();
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if geometry.contains(&field.name().as_str()) {
                continue;
            }
            let text = arrow_cast::display::ArrayFormatter::try_new(array.as_ref(), &options)
                .map(|f| f.value(0).to_string())
                .unwrap_or_else(|e| format!("({e})"));
            values.push((field.name().clone(), text));
        }
        Ok(values)
    }

    /// The value columns the viewer can colour by.
    pub fn numeric_columns(&self) -> Vec<String> {
        self.attribute_fields().into_iter().filter(|f| is_colourable(f.data_type())).map(|f| f.name().clone()).collect()
    }

    /// The lon/lat box of one row group, from the covering column or coordinate column statistics.
    pub fn row_group_bbox(&self, row_group: usize) -> Option<LonLatBox> {
        let [xmin, ymin, xmax, ymax] = self.bbox_leaf_paths()?;
        let rg = self.parquet_metadata().row_groups().get(row_group)?;
        let descr = rg.schema_descr();
        let leaf = |path: &[String]| (0..descr.num_columns()).find(|&i| descr.column(i).path().parts() == path);
        let stat = |path: &[String], max: bool| -> Option<f64> {
            let stats = rg.column(leaf(path)?).statistics()?;
            match stats {
                Statistics::Double(s) => if max { s.max_opt() } else { s.min_opt() }.copied(),
                Statistics::Float(s) => if max { s.max_opt() } else { s.min_opt() }.map(|v| f64::from(*v)),
                _ => None,
            }
        };
        Some(LonLatBox::new(stat(&xmin, false)?, stat(&ymin, false)?, stat(&xmax, true)?, stat(&ymax, true)?))
    }

    /// The smallest and largest value of a top-level numeric column in one row group, from its statistics.
    fn row_group_value_bounds(&self, row_group: usize, column: &str) -> Option<(f64, f64)> {
        let rg = self.parquet_metadata().row_groups().get(row_group)?;
        let descr = rg.schema_descr();
        let leaf = (0..descr.num_columns()).find(|&i| descr.column(i).path().parts() == [column.to_owned()])?;
        // Unsigned integers are stored in signed physical types (their statistics ordered as unsigned).
        use parquet::basic::ConvertedType;
        let unsigned = matches!(
            descr.column(leaf).converted_type(),
            ConvertedType::UINT_8 | ConvertedType::UINT_16 | ConvertedType::UINT_32 | ConvertedType::UINT_64
        );
        match rg.column(leaf).statistics()? {
            Statistics::Double(s) => Some((*s.min_opt()?, *s.max_opt()?)),
            Statistics::Float(s) => Some((f64::from(*s.min_opt()?), f64::from(*s.max_opt()?))),
            Statistics::Int32(s) if unsigned => {
                Some((f64::from(*s.min_opt()? as u32), f64::from(*s.max_opt()? as u32)))
            }
            Statistics::Int32(s) => Some((f64::from(*s.min_opt()?), f64::from(*s.max_opt()?))),
            // Only where exact: beyond 2^53 a 64-bit integer may round.
            Statistics::Int64(s) if !unsigned => {
                let (lo, hi) = (*s.min_opt()?, *s.max_opt()?);
                (lo.unsigned_abs() < 1 << 53 && hi.unsigned_abs() < 1 << 53).then_some((lo as f64, hi as f64))
            }
            _ => None,
        }
    }

    /// The UTC nanoseconds a time column's statistics say a row group spans (timestamps stored as 64-bit integers in
    /// their unit); `None` when it is no such column or has no statistics.
    fn row_group_time_bounds(&self, row_group: usize, column: &str) -> Option<(i64, i64)> {
        let per_unit: i64 = match self.schema().field_with_name(column).ok()?.data_type() {
            arrow_schema::DataType::Timestamp(unit, _) => match unit {
                arrow_schema::TimeUnit::Second => 1_000_000_000,
                arrow_schema::TimeUnit::Millisecond => 1_000_000,
                arrow_schema::TimeUnit::Microsecond => 1_000,
                arrow_schema::TimeUnit::Nanosecond => 1,
            },
            _ => return None,
        };
        let rg = self.parquet_metadata().row_groups().get(row_group)?;
        let descr = rg.schema_descr();
        let leaf = (0..descr.num_columns()).find(|&i| descr.column(i).path().parts() == [column.to_owned()])?;
        match rg.column(leaf).statistics()? {
            Statistics::Int64(s) => Some((s.min_opt()?.checked_mul(per_unit)?, s.max_opt()?.checked_mul(per_unit)?)),
            _ => None,
        }
    }

    /// Leaf paths whose statistics bound the geometry: xmin, ymin, xmax, ymax.
    fn bbox_leaf_paths(&self) -> Option<[Vec<String>; 4]> {
        if let Some(c) = self.geo.as_ref().and_then(|g| g.primary.covering.as_ref()) {
            return Some([c.xmin.clone(), c.ymin.clone(), c.xmax.clone(), c.ymax.clone()]);
        }
        match &self.geometry {
            GeometrySource::LonLatColumns { lon, lat } => {
                Some([vec![lon.clone()], vec![lat.clone()], vec![lon.clone()], vec![lat.clone()]])
            }
            GeometrySource::NativePoint { column } => {
                let x = vec![column.clone(), "x".to_owned()];
                let y = vec![column.clone(), "y".to_owned()];
                Some([x.clone(), y.clone(), x, y])
            }
            GeometrySource::Wkb { .. } => None,
        }
    }

    /// Works out which row groups and columns a read touches.
    pub fn plan(&self, options: &ReadOptions) -> Result<ReadPlan> {
        let value_columns = match &options.columns {
            ColumnSelection::AllNumeric => self.numeric_columns(),
            ColumnSelection::Named(names) => names.clone(),
        };
        let schema = self.schema();
        let mut roots = Vec::new();
        for name in self.geometry.columns().into_iter().chain(value_columns.iter().map(String::as_str)) {
            let index = schema.index_of(name).map_err(|_| IoError::Column {
                location: self.location.to_string(),
                column: name.to_owned(),
                message: format!("no such column (columns: {})", column_list(schema)),
                source: None,
            })?;
            if !roots.contains(&index) {
                roots.push(index);
            }
        }
        let metadata = self.parquet_metadata();
        let descr = metadata.file_metadata().schema_descr();
        let row_groups: Vec<usize> = (0..metadata.num_row_groups())
            .filter(|&rg| match (options.bbox, self.row_group_bbox(rg)) {
                (Some(query), Some(rg_box)) => query.intersects(&rg_box),
                _ => true,
            })
            .filter(|&rg| {
                options.value_ranges.iter().all(|range| match self.row_group_value_bounds(rg, &range.column) {
                    Some((lo, hi)) => hi >= range.min && lo <= range.max,
                    None => true,
                })
            })
            .filter(|&rg| {
                options.time_bounds.iter().all(|window| match self.row_group_time_bounds(rg, &window.column) {
                    Some((lo, hi)) => hi >= window.start_ns && lo <= window.end_ns,
                    None => true,
                })
            })
            .collect();
        let mut rows = 0u64;
        let mut bytes = 0u64;
        for &rg in &row_groups {
            let Some(meta) = metadata.row_groups().get(rg) else { continue };
            rows += u64::try_from(meta.num_rows()).unwrap_or(0);
            for (leaf, column) in meta.columns().iter().enumerate() {
                if roots.contains(&descr.get_column_root_idx(leaf)) {
                    bytes += u64::try_from(column.compressed_size()).unwrap_or(0);
                }
            }
        }
        Ok(ReadPlan { row_groups, rows, bytes, value_columns, projection_roots: roots })
    }

    /// Splits a plan into up to `partitions` streams over contiguous row groups, to decode in parallel.
    pub fn partition_streams(
        &self,
        plan: &ReadPlan,
        options: &ReadOptions,
        partitions: usize,
        progress: Arc<Progress>,
        cancel: CancelToken,
    ) -> Vec<BoxStream<'static, Result<PointBatch>>> {
        let row_groups = self.parquet_metadata().row_groups();
        let mut row_starts = Vec::with_capacity(row_groups.len());
        let mut start = 0u64;
        for rg in row_groups {
            row_starts.push(start);
            start += u64::try_from(rg.num_rows()).unwrap_or(0);
        }
        let parts = split_balanced(&plan.row_groups, partitions.max(1), |rg| {
            row_groups.get(rg).map_or(0, |m| u64::try_from(m.num_rows()).unwrap_or(0))
        });
        let reported = Arc::new(AtomicU64::new(self.byte_source().stats().bytes()));
        parts
            .into_iter()
            .map(|rgs| {
                // The partition's row groups one after the other: (offset in the partition, first row in the file,
                // rows). Pruned row groups leave gaps in the file's numbering.
                let mut offset = 0;
                let segments = rgs
                    .iter()
                    .map(|&rg| {
                        let rows = row_groups.get(rg).map_or(0, |m| u64::try_from(m.num_rows()).unwrap_or(0));
                        let segment = (offset, row_starts.get(rg).copied().unwrap_or(0), rows);
                        offset += rows;
                        segment
                    })
                    .collect();
                let context = DecodeContext {
                    location: Arc::clone(&self.location),
                    geometry: self.geometry.clone(),
                    value_columns: plan.value_columns.clone(),
                    bbox: options.bbox,
                    aoi: options.aoi.clone(),
                    segments,
                    consumed: 0,
                };
                self.partition_stream(
                    plan,
                    options,
                    rgs,
                    context,
                    Arc::clone(&progress),
                    cancel.clone(),
                    Arc::clone(&reported),
                )
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn partition_stream(
        &self,
        plan: &ReadPlan,
        options: &ReadOptions,
        row_groups: Vec<usize>,
        mut context: DecodeContext,
        progress: Arc<Progress>,
        cancel: CancelToken,
        reported_bytes: Arc<AtomicU64>,
    ) -> BoxStream<'static, Result<PointBatch>> {
        let location = Arc::clone(&self.location);
        let stats = Arc::clone(self.byte_source().stats());
        let mask = ProjectionMask::roots(
            self.parquet_metadata().file_metadata().schema_descr(),
            plan.projection_roots.clone(),
        );
        let built = ParquetRecordBatchStreamBuilder::new_with_metadata(self.source.clone(), self.metadata.clone())
            .with_projection(mask)
            .with_row_groups(row_groups)
            .with_batch_size(options.batch_rows.max(1))
            .build();
        let stream = match built {
            Ok(stream) => guard_panics(stream),
            Err(e) => return futures::stream::once(std::future::ready(Err(parquet_error(&location, e)))).boxed(),
        };
        stream
            .map(move |batch| {
                if cancel.is_cancelled() {
                    return Err(IoError::Cancelled { location: location.to_string() });
                }
                let fetched = stats.bytes();
                let previous = reported_bytes.fetch_max(fetched, std::sync::atomic::Ordering::Relaxed);
                Progress::add(&progress.bytes_fetched, fetched.saturating_sub(previous));
                let batch = batch.map_err(|e| parquet_error(&location, e))?;
                let input_rows = batch.num_rows() as u64;
                let points = context.decode(&batch)?;
                context.consumed += input_rows;
                Progress::add(&progress.rows_loaded, points.num_rows() as u64);
                Progress::add(&progress.rows_skipped, points.skipped as u64);
                Progress::add(&progress.rows_filtered, input_rows - points.num_rows() as u64 - points.skipped as u64);
                Ok(points)
            })
            // Stop at the first error or cancellation: a half-read error stream is not useful.
            .scan(false, |failed, item| {
                if *failed {
                    return std::future::ready(None);
                }
                *failed = item.is_err();
                std::future::ready(Some(item))
            })
            .boxed()
    }
}

/// Splits `items` into at most `n` contiguous runs of roughly equal weight.
fn split_balanced(items: &[usize], n: usize, weight: impl Fn(usize) -> u64) -> Vec<Vec<usize>> {
    let total: u64 = items.iter().map(|&i| weight(i)).sum();
    let target = total.div_ceil(n as u64).max(1);
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    let mut current_weight = 0;
    for &item in items {
        current.push(item);
        current_weight += weight(item);
        if current_weight >= target && parts.len() + 1 < n {
            parts.push(std::mem::take(&mut current));
            current_weight = 0;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Everything needed to turn one Arrow batch of a file into a `PointBatch`.
struct DecodeContext {
    location: Arc<str>,
    geometry: GeometrySource,
    value_columns: Vec<String>,
    bbox: Option<LonLatBox>,
    aoi: Option<Arc<crate::aoi::Aoi>>,
    /// The partition's row groups: (offset in the partition, first row in the file, rows).
    segments: Vec<(u64, u64, u64)>,
    /// Rows of the partition decoded before the next batch.
    consumed: u64,
}

impl DecodeContext {
    /// The file rows of the `rows` rows of the batch being decoded: a run per row group it spans.
    fn file_rows(&self, rows: usize) -> SourceRows {
        let (start, end) = (self.consumed, self.consumed + rows as u64);
        let mut file_rows = SourceRows::default();
        let mut at = start;
        for &(first_at, first_row, len) in &self.segments {
            let (from, to) = (at.max(first_at), end.min(first_at + len));
            if from < to {
                // Rows outside every segment keep their offset in the partition.
                file_rows.push_run(at, from - at);
                file_rows.push_run(first_row + (from - first_at), to - from);
                at = to;
            }
        }
        file_rows.push_run(at, end - at);
        file_rows
    }

    /// The file row of row `row` of the batch being decoded (for error messages).
    fn file_row(&self, row: usize) -> u64 {
        self.file_rows(row + 1).get(row as u64).unwrap_or(self.consumed + row as u64)
    }

    fn decode(&self, batch: &RecordBatch) -> Result<PointBatch> {
        let rows = batch.num_rows();
        let column_error = |column: &str, message: String| IoError::Column {
            location: self.location.to_string(),
            column: column.to_owned(),
            message,
            source: None,
        };
        let mut points = Collector::new(rows, self.bbox);
        let mut push = |row: usize, point: Option<(f64, f64)>| -> Result<()> {
            if points.push(row, point) {
                return Ok(());
            }
            let (x, y) = point.unwrap_or_default();
            Err(IoError::Geometry {
                location: self.location.to_string(),
                column: self.geometry.columns().join(", "),
                row: usize::try_from(self.file_row(row)).unwrap_or(usize::MAX),
                message: format!("coordinate ({x}, {y}) is not a longitude/latitude in degrees: is the CRS projected?"),
            })
        };
        match &self.geometry {
            GeometrySource::Wkb { column } => {
                let array =
                    batch.column_by_name(column).ok_or_else(|| column_error(column, "missing from batch".into()))?;
                let decode_row = |row: usize, bytes: Option<&[u8]>| -> Result<Option<(f64, f64)>> {
                    let Some(bytes) = bytes else { return Ok(None) };
                    match wkb::decode(bytes) {
                        Ok(wkb::Decoded::LonLat(x, y)) => Ok(Some((x, y))),
                        Ok(wkb::Decoded::Empty) => Ok(None),
                        Err(message) => Err(IoError::Geometry {
                            location: self.location.to_string(),
                            column: column.clone(),
                            row: usize::try_from(self.file_row(row)).unwrap_or(usize::MAX),
                            message,
                        }),
                    }
                };
                if let Some(a) = array.as_any().downcast_ref::<BinaryArray>().filter(|a| a.null_count() == 0) {
                    // The hot path: no nulls, mostly 21-byte little-endian points read straight from the buffer.
                    let (offsets, data) = (a.value_offsets(), a.value_data());
                    for (row, bounds) in offsets.windows(2).enumerate() {
                        let bytes = data.get(bounds[0] as usize..bounds[1] as usize);
                        let point = match bytes.and_then(wkb::decode_le_point_2d) {
                            Some(wkb::Decoded::LonLat(x, y)) => Some((x, y)),
                            Some(wkb::Decoded::Empty) => None,
                            None => decode_row(row, bytes)?,
                        };
                        push(row, point)?;
                    }
                } else if let Some(a) = array.as_any().downcast_ref::<BinaryArray>() {
                    for (row, value) in a.iter().enumerate() {
                        push(row, decode_row(row, value)?)?;
                    }
                } else if let Some(a) = array.as_any().downcast_ref::<LargeBinaryArray>() {
                    for (row, value) in a.iter().enumerate() {
                        push(row, decode_row(row, value)?)?;
                    }
                } else if let Some(a) = array.as_any().downcast_ref::<BinaryViewArray>() {
                    for (row, value) in a.iter().enumerate() {
                        push(row, decode_row(row, value)?)?;
                    }
                } else {
                    return Err(column_error(
                        column,
                        format!("WKB column has type {}, expected binary", array.data_type()),
                    ));
                }
            }
            GeometrySource::NativePoint { column } => {
                let array =
                    batch.column_by_name(column).ok_or_else(|| column_error(column, "missing from batch".into()))?;
                let points = array
                    .as_any()
                    .downcast_ref::<StructArray>()
                    .ok_or_else(|| column_error(column, format!("point column has type {}", array.data_type())))?;
                let x = float_child(points, "x").ok_or_else(|| column_error(column, "no Float64 child `x`".into()))?;
                let y = float_child(points, "y").ok_or_else(|| column_error(column, "no Float64 child `y`".into()))?;
                for row in 0..rows {
                    let valid = points.is_valid(row) && x.is_valid(row) && y.is_valid(row);
                    push(row, valid.then(|| (x.value(row), y.value(row))))?;
                }
            }
            GeometrySource::LonLatColumns { lon: lon_name, lat: lat_name } => {
                let x = f64_column(batch, lon_name).map_err(|m| column_error(lon_name, m))?;
                let y = f64_column(batch, lat_name).map_err(|m| column_error(lat_name, m))?;
                for row in 0..rows {
                    let valid = x.is_valid(row) && y.is_valid(row);
                    push(row, valid.then(|| (x.value(row), y.value(row))))?;
                }
            }
        }
        let Collector { lon, lat, keep, skipped, .. } = points;
        let file_rows = self.file_rows(rows);
        let file_rows = match &keep {
            Some(keep) => file_rows.pick(keep.iter().enumerate().filter(|(_, k)| **k).map(|(row, _)| row)),
            None => file_rows,
        };
        let bbox = lonlat_bounds(&lon, &lat);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Float64Array::from(lon)), Arc::new(Float64Array::from(lat))];
        let mut fields = vec![Field::new("lon", DataType::Float64, false), Field::new("lat", DataType::Float64, false)];
        let filter = keep.map(BooleanArray::from);
        for name in &self.value_columns {
            let array = batch.column_by_name(name).ok_or_else(|| column_error(name, "missing from batch".into()))?;
            let array = match &filter {
                Some(filter) => {
                    arrow_select::filter::filter(array, filter).map_err(|e| column_error(name, e.to_string()))?
                }
                None => Arc::clone(array),
            };
            fields.push(Field::new(name, array.data_type().clone(), true));
            columns.push(array);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| column_error("lon/lat", e.to_string()))?;
        let batch = PointBatch { batch, bbox, source: Arc::clone(&self.location), skipped, rows: Some(file_rows) };
        match &self.aoi {
            Some(aoi) => aoi.filter(batch),
            None => Ok(batch),
        }
    }
}

/// Gathers the drawable points of a batch. `keep` is only built once a row is dropped: the common case
/// (every row drawable, no bbox) never pays for it.
struct Collector {
    lon: Vec<f64>,
    lat: Vec<f64>,
    keep: Option<Vec<bool>>,
    skipped: usize,
    filter: Option<LonLatBox>,
}

impl Collector {
    fn new(rows: usize, filter: Option<LonLatBox>) -> Self {
        Self { lon: Vec::with_capacity(rows), lat: Vec::with_capacity(rows), keep: None, skipped: 0, filter }
    }

    /// Takes row `row`'s point; false when the coordinate cannot be a lon/lat in degrees.
    #[inline]
    fn push(&mut self, row: usize, point: Option<(f64, f64)>) -> bool {
        match point {
            Some((x, y)) if x.is_finite() && y.is_finite() => {
                if !((-360.0..=360.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
                    return false;
                }
                if self.filter.is_none_or(|b| b.contains(x, y)) {
                    self.lon.push(x);
                    self.lat.push(y);
                    if let Some(keep) = &mut self.keep {
                        keep.push(true);
                    }
                } else {
                    self.drop_row(row);
                }
            }
            _ => {
                self.skipped += 1;
                self.drop_row(row);
            }
        }
        true
    }

    fn drop_row(&mut self, row: usize) {
        self.keep.get_or_insert_with(|| vec![true; row]).push(false);
    }
}

fn lonlat_bounds(lon: &[f64], lat: &[f64]) -> LonLatBox {
    let (west, east) = lon.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (south, north) = lat.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    LonLatBox { west, south, east, north }
}

fn float_child<'a>(points: &'a StructArray, name: &str) -> Option<&'a Float64Array> {
    points.column_by_name(name)?.as_any().downcast_ref::<Float64Array>()
}

fn f64_column(batch: &RecordBatch, name: &str) -> std::result::Result<Float64Array, String> {
    let array = batch.column_by_name(name).ok_or("missing from batch")?;
    let cast = arrow_cast::cast(array, &DataType::Float64).map_err(|e| format!("cannot read as numbers: {e}"))?;
    cast.as_any().downcast_ref::<Float64Array>().cloned().ok_or_else(|| "cannot read as numbers".to_owned())
}

/// The parquet crate panics on some malformed files (found by fuzzing: a dictionary-encoded page without its
/// dictionary, a column chunk at a negative offset): each decode step runs under `catch_unwind`, so such a file ends
/// in an error naming it instead of taking the process down. (In the browser a panic aborts and cannot be caught.)
fn guard_panics<S>(stream: S) -> impl futures::Stream<Item = parquet::errors::Result<RecordBatch>> + Send + Unpin
where
    S: futures::Stream<Item = parquet::errors::Result<RecordBatch>> + Send + Unpin,
{
    /// Polls the decoder marked as caught (the CLI's panic hook stays quiet about its panics).
    struct Catching<S>(S);
    impl<S: futures::Stream + Unpin> futures::Stream for Catching<S> {
        type Item = S::Item;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<S::Item>> {
            crate::error::catching(|| self.0.poll_next_unpin(cx))
        }
    }
    std::panic::AssertUnwindSafe(Catching(stream)).catch_unwind().map(|item| match item {
        Ok(item) => item,
        Err(panic) => Err(ParquetError::General(format!(
            "the Parquet decoder failed on malformed data: {}",
            crate::error::panic_message(panic.as_ref())
        ))),
    })
}

/// Types the viewer can map to colour.
pub fn is_colourable(data_type: &DataType) -> bool {
    data_type.is_numeric()
        || matches!(data_type, DataType::Boolean | DataType::Timestamp(..) | DataType::Date32 | DataType::Date64)
}

fn column_list(schema: &Schema) -> String {
    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
}

/// Maps a Parquet error to ours, unwrapping source errors that travelled through parquet untouched.
fn parquet_error(location: &str, error: ParquetError) -> IoError {
    match error {
        ParquetError::External(inner) => match inner.downcast::<IoError>() {
            Ok(io) => *io,
            Err(other) => IoError::Parquet { location: location.to_owned(), message: other.to_string(), source: other },
        },
        other => {
            IoError::Parquet { location: location.to_owned(), message: other.to_string(), source: Box::new(other) }
        }
    }
}

fn geometry_from_geo(location: &str, schema: &Schema, geo: &GeoMetadata) -> Result<GeometrySource> {
    let name = &geo.primary.name;
    let field = schema.field_with_name(name).map_err(|_| IoError::GeoMetadata {
        location: location.to_owned(),
        message: format!("primary column `{name}` is not a column of the file (columns: {})", column_list(schema)),
    })?;
    let bad_type = |expected: &str| IoError::Column {
        location: location.to_owned(),
        column: name.clone(),
        message: format!(
            "{} geometry stored as {}, expected {expected}",
            geo.primary.encoding.name(),
            field.data_type()
        ),
        source: None,
    };
    match &geo.primary.encoding {
        Encoding::Wkb => match field.data_type() {
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
                Ok(GeometrySource::Wkb { column: name.clone() })
            }
            _ => Err(bad_type("binary")),
        },
        Encoding::Native(kind) if kind == "point" => match field.data_type() {
            DataType::Struct(children)
                if ["x", "y"]
                    .iter()
                    .all(|c| children.iter().any(|f| f.name() == c && f.data_type() == &DataType::Float64)) =>
            {
                Ok(GeometrySource::NativePoint { column: name.clone() })
            }
            _ => Err(bad_type("struct<x: double, y: double>")),
        },
        Encoding::Native(kind) => Err(IoError::Column {
            location: location.to_owned(),
            column: name.clone(),
            message: format!("native `{kind}` geometry is not supported (Floe reads WKB and native points)"),
            source: None,
        }),
    }
}

fn lonlat_columns(location: &str, schema: &Schema, lon: &str, lat: &str) -> Result<GeometrySource> {
    for name in [lon, lat] {
        let field = schema.field_with_name(name).map_err(|_| IoError::Column {
            location: location.to_owned(),
            column: name.to_owned(),
            message: format!("no such column (columns: {})", column_list(schema)),
            source: None,
        })?;
        if !field.data_type().is_numeric() {
            return Err(IoError::Column {
                location: location.to_owned(),
                column: name.to_owned(),
                message: format!("coordinates must be numbers, found {}", field.data_type()),
                source: None,
            });
        }
    }
    Ok(GeometrySource::LonLatColumns { lon: lon.to_owned(), lat: lat.to_owned() })
}

fn guess_lonlat_columns(location: &str, schema: &Schema) -> Result<GeometrySource> {
    let find = |wanted: &str| {
        schema
            .fields()
            .iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted) && f.data_type().is_numeric())
            .map(|f| f.name().clone())
    };
    LONLAT_CANDIDATES
        .iter()
        .find_map(|(lon, lat)| Some(GeometrySource::LonLatColumns { lon: find(lon)?, lat: find(lat)? }))
        .ok_or_else(|| IoError::MissingGeometry { location: location.to_owned(), columns: column_list(schema) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_parquet_decoder_becomes_an_error() {
        // As the parquet crate panics on some malformed pages ("Decoder for dict should have been set").
        let panicking = futures::stream::once(async { panic!("Decoder for dict should have been set") }).boxed();
        let items: Vec<_> = futures::executor::block_on(guard_panics(panicking).collect());
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].as_ref().unwrap_err().to_string(),
            "Parquet error: the Parquet decoder failed on malformed data: Decoder for dict should have been set"
        );
    }

    #[test]
    fn balanced_split_keeps_order_and_covers_everything() {
        let parts = split_balanced(&[0, 1, 2, 3, 4], 2, |_| 10);
        assert_eq!(parts, vec![vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(split_balanced(&[7], 4, |_| 1), vec![vec![7]]);
        assert!(split_balanced(&[], 2, |_| 1).is_empty());
    }
}
