//! The spatial chunk index of a granule (`floe index`): one row per stored chunk of every along-track dataset of
//! each beam's product group, with the chunk's rows, its bytes in the file, its filter mask, and the extent and
//! time span of the points in those rows. HDF5 has no spatial index and kerchunk/dmrpp manifests carry no spatial
//! information; with this one a client learns which chunks an area needs without reading a coordinate array.
//!
//! Written as GeoParquet 1.1 (a polygon per chunk plus a `bbox` covering column). Each granule's dataset
//! descriptions (type, shape, chunk shape, filters, fill value) and its rgt, cycle and beams travel in the file's
//! key-value metadata, so chunks can be fetched and decoded without walking the HDF5 metadata.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder, StructBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use serde::Serialize;

use super::described::IndexedChunk;
use super::{Granule, Product};
use crate::error::{IoError, Result};
use crate::hdf5::NodeKind;
use crate::lonlat_box::LonLatBox;

/// The extent and time span (UTC ns) of a range of rows' valid points.
type RowsSpan = (Option<LonLatBox>, Option<(i64, i64)>);

/// One stored chunk of one dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexRow {
    pub beam: String,
    /// Full path, with a leading slash.
    pub dataset: String,
    pub row_start: u64,
    /// Exclusive.
    pub row_end: u64,
    pub byte_offset: u64,
    pub byte_length: u64,
    pub filter_mask: u32,
    /// UTC nanoseconds of the first and last valid `delta_time` in the rows.
    pub time: Option<(i64, i64)>,
    /// The extent of the valid coordinates in the rows.
    pub bbox: Option<LonLatBox>,
}

/// How to read a dataset's chunks without its HDF5 metadata.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DatasetDescription {
    pub path: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub chunk_shape: Option<Vec<u64>>,
    pub filters: Vec<String>,
    /// The fill value's bytes as stored (little- or big-endian as `dtype` says), hex.
    pub fill_value: Option<String>,
    /// `_FillValue` and `units`, which reads need.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// One granule's index.
#[derive(Clone, Debug)]
pub struct GranuleIndex {
    pub granule: String,
    pub product: Product,
    pub rows: Vec<IndexRow>,
    pub datasets: Vec<DatasetDescription>,
    /// rgt, cycle, release and beams (name, strength, spot, rows) as JSON.
    pub granule_metadata: serde_json::Value,
}

impl Granule {
    /// The groups of a beam the index covers, each with its coordinate datasets and row count: the product group,
    /// and for ATL03 the 20 m geolocation segments too (a photon's along-track distance needs them).
    pub(super) async fn indexed_groups(&self, beam: &super::Beam) -> Vec<(String, &'static str, &'static str, u64)> {
        let (lon, lat) = self.product.coordinates();
        let mut groups = vec![(format!("/{}/{}", beam.name, self.product.group()), lon, lat, beam.rows)];
        if self.product == Product::Atl03 {
            let group = format!("/{}/geolocation", beam.name);
            if let Ok(info) = self.file.dataset(&format!("{group}/reference_photon_lat")).await {
                let rows = info.shape.first().copied().unwrap_or(0);
                groups.push((group, "reference_photon_lon", "reference_photon_lat", rows));
            }
        }
        groups
    }

    /// Builds the index: reads every beam's coordinates and `delta_time` (to know each chunk's extent and times)
    /// and the chunk indexes of the indexed groups' datasets; no other data.
    pub async fn chunk_index(&self) -> Result<GranuleIndex> {
        let mut rows = Vec::new();
        let mut datasets = Vec::new();
        for beam in &self.beams {
            for (group, lon_name, lat_name, group_rows) in self.indexed_groups(beam).await {
                let lon = self.read_f64(&format!("{group}/{lon_name}"), None).await?;
                let lat = self.read_f64(&format!("{group}/{lat_name}"), None).await?;
                // Without `delta_time` (some subsets), chunks have no time span.
                let delta = match self.read_f64(&format!("{group}/delta_time"), None).await {
                    Err(IoError::NotFound { .. }) => Vec::new(),
                    other => other?,
                };
                // Extents and time spans by row range: datasets chunked alike share them.
                let mut spans: HashMap<(u64, u64), RowsSpan> = HashMap::new();
                let mut span_of = |start: u64, end: u64| {
                    *spans.entry((start, end)).or_insert_with(|| self.rows_span(&lon, &lat, &delta, start, end))
                };
                let nodes = self.file.walk_under(&group).await?;
                for node in nodes.iter().filter(|n| n.kind == NodeKind::Dataset) {
                    let info = self.file.dataset(&node.path).await?;
                    // Along-track datasets only: their first dimension is the group's rows.
                    if info.shape.first() != Some(&group_rows) {
                        continue;
                    }
                    let chunk_rows = info.chunk_shape().and_then(|c| c.first().copied()).unwrap_or(group_rows);
                    for chunk in info.stored_chunks(&self.file).await? {
                        let row_start = chunk.offset.first().copied().unwrap_or(0);
                        let row_end = row_start.saturating_add(chunk_rows).min(group_rows);
                        let (bbox, time) = span_of(row_start, row_end);
                        rows.push(IndexRow {
                            beam: beam.name.clone(),
                            dataset: node.path.clone(),
                            row_start,
                            row_end,
                            byte_offset: chunk.address,
                            byte_length: chunk.size,
                            filter_mask: chunk.filter_mask,
                            time,
                            bbox,
                        });
                    }
                    let attributes = self.file.attributes(&node.path).await.unwrap_or_default();
                    datasets.push(DatasetDescription {
                        path: node.path.clone(),
                        dtype: info.dtype.name(),
                        shape: info.shape.clone(),
                        chunk_shape: info.chunk_shape().map(<[u64]>::to_vec),
                        filters: info.filters.iter().map(|f| f.label()).collect(),
                        fill_value: info
                            .fill_bytes()
                            .filter(|b| !b.is_empty())
                            .map(|b| b.iter().map(|v| format!("{v:02x}")).collect()),
                        attributes: super::described::attributes_json(&attributes),
                    });
                }
            }
        }
        let granule_metadata = serde_json::json!({
            "product": self.product.name(),
            "release": self.release,
            "rgt": self.rgt,
            "cycle": self.cycle,
            "sdp_epoch": self.sdp_epoch,
            "beams": self.beams,
        });
        Ok(GranuleIndex {
            granule: self.location().to_owned(),
            product: self.product,
            rows,
            datasets,
            granule_metadata,
        })
    }

    /// The extent and time span of rows `start..end` of a group's coordinates.
    fn rows_span(&self, lon: &[f64], lat: &[f64], delta: &[f64], start: u64, end: u64) -> RowsSpan {
        let range = usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(usize::MAX);
        let mut bbox = LonLatBox::EMPTY;
        for (x, y) in lon.get(range.clone()).unwrap_or(&[]).iter().zip(lat.get(range.clone()).unwrap_or(&[])) {
            if x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0 {
                bbox.extend(*x, *y);
            }
        }
        let times = delta.get(range).unwrap_or(&[]).iter().filter_map(|d| self.time_ns(*d));
        let time =
            times.fold(None, |acc: Option<(i64, i64)>, t| Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t)))));
        ((!bbox.is_empty()).then_some(bbox), time)
    }
}

/// The index's Arrow schema: the columns `floe index` writes, in order.
pub fn index_schema() -> Arc<Schema> {
    let time = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
    let corners: Fields =
        ["xmin", "ymin", "xmax", "ymax"].iter().map(|n| Field::new(*n, DataType::Float64, false)).collect();
    Arc::new(Schema::new(vec![
        Field::new("granule", DataType::Utf8, false),
        Field::new("product", DataType::Utf8, false),
        Field::new("beam", DataType::Utf8, false),
        Field::new("dataset", DataType::Utf8, false),
        Field::new("row_start", DataType::UInt64, false),
        Field::new("row_end", DataType::UInt64, false),
        Field::new("byte_offset", DataType::UInt64, false),
        Field::new("byte_length", DataType::UInt64, false),
        Field::new("filter_mask", DataType::UInt32, false),
        Field::new("time_start", time.clone(), true),
        Field::new("time_end", time, true),
        Field::new("geometry", DataType::Binary, true),
        Field::new("bbox", DataType::Struct(corners), true),
    ]))
}

impl GranuleIndex {
    /// The rows as one batch of [`index_schema`].
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let n = self.rows.len();
        let strings = |values: Vec<&str>| {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            for value in values {
                b.append_value(value);
            }
            Arc::new(b.finish()) as ArrayRef
        };
        let granule = strings(vec![self.granule.as_str(); n]);
        let product = strings(vec![self.product.name(); n]);
        let beam = strings(self.rows.iter().map(|r| r.beam.as_str()).collect());
        let dataset = strings(self.rows.iter().map(|r| r.dataset.as_str()).collect());
        let u64s = |f: &dyn Fn(&IndexRow) -> u64| {
            let mut b = UInt64Builder::with_capacity(n);
            for row in &self.rows {
                b.append_value(f(row));
            }
            Arc::new(b.finish()) as ArrayRef
        };
        let mut mask = UInt32Builder::with_capacity(n);
        let mut geometry = BinaryBuilder::new();
        let fields = match index_schema().field_with_name("bbox").map(|f| f.data_type().clone()) {
            Ok(DataType::Struct(fields)) => fields,
            _ => Fields::empty(),
        };
        let mut bbox = StructBuilder::from_fields(fields, n);
        for row in &self.rows {
            mask.append_value(row.filter_mask);
            match row.bbox {
                Some(b) => {
                    geometry.append_value(wkb_rectangle(b));
                    for (i, v) in [b.west, b.south, b.east, b.north].into_iter().enumerate() {
                        if let Some(field) = bbox.field_builder::<Float64Builder>(i) {
                            field.append_value(v);
                        }
                    }
                    bbox.append(true);
                }
                None => {
                    geometry.append_null();
                    for i in 0..4 {
                        if let Some(field) = bbox.field_builder::<Float64Builder>(i) {
                            field.append_value(0.0);
                        }
                    }
                    bbox.append(false);
                }
            }
        }
        let times = |pick: fn((i64, i64)) -> i64| {
            Arc::new(
                TimestampNanosecondArray::from(self.rows.iter().map(|r| r.time.map(pick)).collect::<Vec<_>>())
                    .with_timezone("UTC"),
            ) as ArrayRef
        };
        let columns: Vec<ArrayRef> = vec![
            granule,
            product,
            beam,
            dataset,
            u64s(&|r| r.row_start),
            u64s(&|r| r.row_end),
            u64s(&|r| r.byte_offset),
            u64s(&|r| r.byte_length),
            Arc::new(mask.finish()),
            times(|t| t.0),
            times(|t| t.1),
            Arc::new(geometry.finish()),
            Arc::new(bbox.finish()),
        ];
        RecordBatch::try_new(index_schema(), columns).map_err(|e| IoError::Column {
            location: self.granule.clone(),
            column: "index".into(),
            message: e.to_string(),
            source: Some(Box::new(e)),
        })
    }

    /// The extent of every chunk with points.
    pub fn bbox(&self) -> LonLatBox {
        self.rows.iter().filter_map(|r| r.bbox).fold(LonLatBox::EMPTY, |acc, b| acc.union(&b))
    }
}

/// A closed WKB polygon (little-endian) around a box.
fn wkb_rectangle(b: LonLatBox) -> Vec<u8> {
    let ring = [(b.west, b.south), (b.east, b.south), (b.east, b.north), (b.west, b.north), (b.west, b.south)];
    let mut out = Vec::with_capacity(9 + 4 + ring.len() * 16);
    out.push(1);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(ring.len() as u32).to_le_bytes());
    for (x, y) in ring {
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
    }
    out
}

/// Writes the indexes of several granules to one GeoParquet file (a row group per granule), atomically. The
/// key-value metadata `floe:granules` holds, per granule, its dataset descriptions and metadata.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_index_file(
    path: &std::path::Path,
    indexes: &[GranuleIndex],
) -> Result<crate::geoparquet::write::WriteSummary> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let location = path.display().to_string();
    let failed =
        |e: &dyn std::fmt::Display| IoError::Write { location: location.clone(), message: e.to_string(), source: None };
    let bbox = indexes.iter().fold(LonLatBox::EMPTY, |acc, i| acc.union(&i.bbox()));
    let geo = crate::geoparquet::write::geo_metadata_of("Polygon", bbox);
    let granules: serde_json::Value = indexes
        .iter()
        .map(|i| serde_json::json!({"granule": i.granule, "metadata": i.granule_metadata, "datasets": i.datasets}))
        .collect();
    let mut metadata = std::collections::HashMap::new();
    metadata.insert("geo".to_owned(), geo.clone());
    let schema = Arc::new(index_schema().as_ref().clone().with_metadata(metadata));
    let batches: Vec<RecordBatch> = indexes
        .iter()
        .map(|i| i.to_record_batch()?.with_schema(Arc::clone(&schema)).map_err(|e| failed(&e)))
        .collect::<Result<_>>()?;
    let zstd = ZstdLevel::try_new(3).map_err(|e| failed(&e))?;
    // Whole granule names in the statistics: a reader tells a row group's granule from them without reading it.
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(zstd))
        .set_statistics_truncate_length(None)
        .build();
    let ((rows, row_groups), bytes) = crate::write_file_atomically(path, |out| {
        let mut writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties)).map_err(|e| failed(&e))?;
        let mut rows = 0u64;
        for batch in &batches {
            writer.write(batch).map_err(|e| failed(&e))?;
            // A row group per granule: a catalog reader fetches only the granules it needs.
            writer.flush().map_err(|e| failed(&e))?;
            rows += batch.num_rows() as u64;
        }
        writer.append_key_value_metadata(parquet::file::metadata::KeyValue::new("geo".into(), geo.clone()));
        writer.append_key_value_metadata(parquet::file::metadata::KeyValue::new(
            "floe:granules".into(),
            granules.to_string(),
        ));
        let metadata = writer.close().map_err(|e| failed(&e))?;
        Ok((rows, metadata.num_row_groups()))
    })?;
    Ok(crate::geoparquet::write::WriteSummary { rows, row_groups, bytes, bbox })
}

/// What reads take from an index: for each granule, the extent of all its points and, per beam, the row range and
/// extent of each chunk of its latitude dataset.
#[derive(Clone, Debug, Default)]
pub struct IndexLookup {
    /// By the granule's location as indexed, and by its file name (an index made from one copy serves another).
    granules: HashMap<String, Arc<GranuleChunks>>,
    /// Requests and bytes fetched reading the index files.
    pub fetched: (u64, u64),
}

/// One granule's coordinate chunks.
#[derive(Clone, Debug, Default)]
pub struct GranuleChunks {
    pub bbox: LonLatBox,
    /// Per beam: (row_start, row_end, extent) of each chunk with points.
    pub beams: HashMap<String, Vec<(u64, u64, LonLatBox)>>,
    /// The granule's objects as the index describes them, to open it without its HDF5 metadata.
    pub described: Option<Arc<super::Described>>,
}

impl GranuleChunks {
    /// The rows of `beam` that can hold points inside `bbox`: from the first to the last row of the chunks whose
    /// extent meets it (an empty range when none does); `None` when the index does not know the beam.
    pub fn rows_in(&self, beam: &str, bbox: LonLatBox) -> Option<std::ops::Range<u64>> {
        let chunks = self.beams.get(beam)?;
        let meeting = chunks.iter().filter(|(_, _, extent)| extent.intersects(&bbox));
        let span = meeting.fold(None, |acc: Option<(u64, u64)>, (start, end, _)| {
            Some(acc.map_or((*start, *end), |(a, b)| (a.min(*start), b.max(*end))))
        });
        Some(span.map_or(0..0, |(start, end)| start..end))
    }
}

impl IndexLookup {
    /// From the rows of index files (any number of batches of [`index_schema`]) and the `floe:granules` metadata
    /// (each granule's description), when there is one.
    pub fn from_batches(location: &str, batches: &[RecordBatch], granules_metadata: Option<&str>) -> Result<Self> {
        use arrow_array::Array as _;
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, UInt64Type};
        let bad = |what: &str| IoError::Format {
            location: location.to_owned(),
            message: format!("not a Floe index: {what}"),
        };
        let mut granules: HashMap<String, GranuleChunks> = HashMap::new();
        // Per granule, per dataset: each chunk's first row, bytes and filter mask.
        let mut stored: HashMap<String, HashMap<String, Vec<IndexedChunk>>> = HashMap::new();
        for batch in batches {
            let text =
                |name: &str| batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| bad(name));
            let int = |name: &str| {
                batch.column_by_name(name).and_then(|c| c.as_primitive_opt::<UInt64Type>()).ok_or_else(|| bad(name))
            };
            let (granule, product, beam, dataset) =
                (text("granule")?, text("product")?, text("beam")?, text("dataset")?);
            let (row_start, row_end) = (int("row_start")?, int("row_end")?);
            let (byte_offset, byte_length) = (int("byte_offset")?, int("byte_length")?);
            let mask = batch
                .column_by_name("filter_mask")
                .and_then(|c| c.as_primitive_opt::<arrow_array::types::UInt32Type>())
                .ok_or_else(|| bad("filter_mask"))?;
            let bbox = batch.column_by_name("bbox").and_then(|c| c.as_struct_opt()).ok_or_else(|| bad("bbox"))?;
            let corner = |i: usize| bbox.column(i).as_primitive_opt::<Float64Type>().ok_or_else(|| bad("bbox"));
            let (xmin, ymin, xmax, ymax) = (corner(0)?, corner(1)?, corner(2)?, corner(3)?);
            for row in 0..batch.num_rows() {
                stored
                    .entry(granule.value(row).to_owned())
                    .or_default()
                    .entry(dataset.value(row).to_owned())
                    .or_default()
                    .push(IndexedChunk {
                        row_start: row_start.value(row),
                        address: byte_offset.value(row),
                        size: byte_length.value(row),
                        filter_mask: mask.value(row),
                    });
                let Some(product) = Product::from_name(product.value(row)) else { continue };
                let latitude = format!("/{}/{}", product.group(), product.coordinates().1);
                if !dataset.value(row).ends_with(&latitude) || bbox.is_null(row) {
                    continue;
                }
                let extent = LonLatBox::new(xmin.value(row), ymin.value(row), xmax.value(row), ymax.value(row));
                let entry = granules.entry(granule.value(row).to_owned()).or_default();
                entry.bbox = entry.bbox.union(&extent);
                entry.beams.entry(beam.value(row).to_owned()).or_default().push((
                    row_start.value(row),
                    row_end.value(row),
                    extent,
                ));
            }
        }
        let entries: Vec<serde_json::Value> = match granules_metadata {
            Some(text) => serde_json::from_str(text).map_err(|e| bad(&format!("floe:granules ({e})")))?,
            None => Vec::new(),
        };
        for entry in &entries {
            let Some(name) = entry.get("granule").and_then(|g| g.as_str()) else { continue };
            // A granule whose rows were not read (its row group lies outside the area) is not described: a
            // description without its chunks would read as fill values.
            let Some(chunks) = stored.remove(name) else { continue };
            let described = super::Described::from_index(location, entry, chunks)?;
            granules.entry(name.to_owned()).or_default().described = Some(Arc::new(described));
        }
        let mut lookup = HashMap::new();
        for (location, chunks) in granules {
            let chunks = Arc::new(chunks);
            for key in granule_keys(&location) {
                lookup.insert(key, Arc::clone(&chunks));
            }
        }
        Ok(Self { granules: lookup, fetched: (0, 0) })
    }

    /// Reads an index file (every row: an index is small next to its granules).
    pub async fn read(source: Arc<dyn crate::source::ByteSource>) -> Result<Self> {
        Self::read_for(source, None).await
    }

    /// Reads an index file's footer, then only the row groups (granules) whose extent meets `area` (all without
    /// one). A granule left out is still known, by the extent its row group's statistics give: a read of `area`
    /// never opens it.
    pub async fn read_for(source: Arc<dyn crate::source::ByteSource>, area: Option<LonLatBox>) -> Result<Self> {
        use futures::TryStreamExt as _;
        let location = source.location().to_owned();
        let reader = crate::source::parquet::ParquetSource::new(Arc::clone(&source));
        let parquet_error =
            |e: parquet::errors::ParquetError| IoError::Format { location: location.clone(), message: e.to_string() };
        let builder = parquet::arrow::ParquetRecordBatchStreamBuilder::new(reader).await.map_err(parquet_error)?;
        let mut pruned = HashMap::new();
        let builder = match area {
            None => builder,
            Some(area) => {
                let mut kept = Vec::new();
                for (i, group) in builder.metadata().row_groups().iter().enumerate() {
                    match row_group_extent(group) {
                        Some((granule, extent)) if !extent.intersects(&area) => {
                            pruned
                                .insert(granule, Arc::new(GranuleChunks { bbox: extent, ..GranuleChunks::default() }));
                        }
                        _ => kept.push(i),
                    }
                }
                builder.with_row_groups(kept)
            }
        };
        let granules = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|kv| kv.key == "floe:granules"))
            .and_then(|kv| kv.value.clone());
        let batches: Vec<RecordBatch> =
            builder.build().map_err(parquet_error)?.try_collect().await.map_err(parquet_error)?;
        let mut lookup = Self::from_batches(&location, &batches, granules.as_deref())?;
        for (granule, chunks) in pruned {
            for key in granule_keys(&granule) {
                lookup.granules.entry(key).or_insert_with(|| Arc::clone(&chunks));
            }
        }
        lookup.fetched = (source.stats().requests(), source.stats().bytes());
        Ok(lookup)
    }

    /// Adds another index's granules (the parts of a catalog partitioned by product).
    pub fn extend(&mut self, other: IndexLookup) {
        self.granules.extend(other.granules);
        self.fetched = (self.fetched.0 + other.fetched.0, self.fetched.1 + other.fetched.1);
    }

    /// The chunks of a granule, by its location or file name.
    pub fn granule(&self, location: &str) -> Option<Arc<GranuleChunks>> {
        self.granules
            .get(location)
            .or_else(|| location.rsplit('/').next().and_then(|name| self.granules.get(name)))
            .cloned()
    }
}

/// The keys a granule is found by: its file name, and its location as indexed (an index made from one copy serves
/// another).
fn granule_keys(location: &str) -> impl Iterator<Item = String> + '_ {
    location.rsplit('/').next().into_iter().chain([location]).map(str::to_owned)
}

/// The granule of a row group of one granule (its `granule` column's minimum equals its maximum) and the extent of
/// its chunks, from the column statistics; `None` when the statistics cannot tell.
fn row_group_extent(group: &parquet::file::metadata::RowGroupMetaData) -> Option<(String, LonLatBox)> {
    use parquet::file::statistics::Statistics;
    let column = |path: &str| group.columns().iter().find(|c| c.column_path().string() == path)?.statistics();
    let granule = column("granule")?;
    let (min, max) = (granule.min_bytes_opt()?, granule.max_bytes_opt()?);
    if min != max {
        return None;
    }
    let double = |path: &str, max: bool| match column(path)? {
        Statistics::Double(s) => if max { s.max_opt() } else { s.min_opt() }.copied(),
        _ => None,
    };
    let extent = LonLatBox::new(
        double("bbox.xmin", false)?,
        double("bbox.ymin", false)?,
        double("bbox.xmax", true)?,
        double("bbox.ymax", true)?,
    );
    Some((String::from_utf8(min.to_vec()).ok()?, extent))
}
