//! FlatGeobuf point files (`.fgb`): the header, a bbox query through the file's packed Hilbert R-tree level by level
//! with range requests (only the index nodes and features an area needs are fetched), and the features' points and
//! properties as `PointBatch`es. The `flatgeobuf` crate provides the flatbuffer schemas; the fetching is Floe's own
//! (its HTTP reader brings its own client, while Floe reads through `ByteSource`s: local, HTTP, S3, browser).

use std::ops::Range;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float32Builder, Float64Builder, StringBuilder, TimestampNanosecondBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use flatgeobuf::ColumnType;

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::lonlat_box::LonLatBox;
use crate::source::{ByteSource, fetch_ranges};

/// `fgb` and the major version 3.
const MAGIC: [u8; 4] = *b"fgb\x03";
/// Bytes of one R-tree node: min x, min y, max x, max y (f64) and an offset (u64).
const NODE_BYTES: usize = 40;
/// A header larger than this is refused (real headers are kilobytes).
const MAX_HEADER: u64 = 16 << 20;

/// Whether bytes start a FlatGeobuf file.
pub fn is_flatgeobuf(head: &[u8]) -> bool {
    head.get(..4) == Some(&MAGIC[..])
}

/// A column of the file: its name and type.
#[derive(Clone, Debug)]
struct Column {
    name: String,
    kind: ColumnType,
}

/// An opened FlatGeobuf file.
pub struct FgbFile {
    source: Arc<dyn ByteSource>,
    columns: Vec<Column>,
    features: u64,
    node_size: u16,
    /// Where the index starts (after magic and header) and where the features start.
    index_start: u64,
    features_start: u64,
}

impl FgbFile {
    /// Requests and bytes fetched from the file so far.
    pub fn fetched(&self) -> (u64, u64) {
        (self.source.stats().requests(), self.source.stats().bytes())
    }

    pub async fn open(source: Arc<dyn ByteSource>) -> Result<Self> {
        let location = source.location().to_owned();
        let bad = |message: String| IoError::Format { location: location.clone(), message };
        let head = source.fetch(0..12.min(source.size())).await?;
        if !is_flatgeobuf(&head) {
            return Err(bad("not a FlatGeobuf file (no `fgb` signature)".into()));
        }
        let header_len = u64::from(u32::from_le_bytes(
            head.get(8..12).and_then(|b| b.try_into().ok()).ok_or_else(|| bad("truncated header".into()))?,
        ));
        if header_len > MAX_HEADER || 12 + header_len > source.size() {
            return Err(bad(format!("header of {header_len} bytes does not fit the file")));
        }
        // With its size prefix: the flatbuffer's alignment counts from there.
        let bytes = source.fetch(8..12 + header_len).await?;
        let header = flatgeobuf::size_prefixed_root_as_header(&bytes).map_err(|e| bad(format!("bad header: {e}")))?;
        match header.geometry_type() {
            flatgeobuf::GeometryType::Point | flatgeobuf::GeometryType::Unknown => {}
            other => return Err(bad(format!("geometry type {other:?}: Floe reads FlatGeobuf points"))),
        }
        let columns = header
            .columns()
            .map(|columns| columns.iter().map(|c| Column { name: c.name().to_owned(), kind: c.type_() }).collect())
            .unwrap_or_default();
        let features = header.features_count();
        let node_size = header.index_node_size();
        let index_start = 12 + header_len;
        let index_bytes = match (node_size, usize::try_from(features)) {
            (0, _) | (_, Ok(0)) => 0,
            (size, Ok(n)) => flatgeobuf::packed_r_tree::PackedRTree::index_size(n, size) as u64,
            (_, Err(_)) => return Err(bad(format!("{features} features"))),
        };
        let features_start = index_start.saturating_add(index_bytes);
        if features_start > source.size() {
            return Err(bad(format!("an index of {index_bytes} bytes does not fit the file")));
        }
        Ok(Self { source, columns, features, node_size, index_start, features_start })
    }

    pub fn location(&self) -> &str {
        self.source.location()
    }

    pub fn num_rows(&self) -> u64 {
        self.features
    }

    /// The columns that become value columns (numbers, booleans, date-times).
    pub fn numeric_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| !matches!(c.kind, ColumnType::String | ColumnType::Json | ColumnType::Binary))
            .map(|c| c.name.clone())
            .collect()
    }

    /// Every column's name, in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Whether the file has a spatial index (bbox queries read only the features they need).
    pub fn has_index(&self) -> bool {
        self.node_size >= 2 && self.features > 0
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }

    pub fn is_time(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name && c.kind == ColumnType::DateTime)
    }

    /// The byte ranges (within the features section) of the features that can lie in `bbox`: through the R-tree when
    /// the file has one, else every feature.
    async fn candidates(&self, bbox: Option<LonLatBox>) -> Result<Option<Vec<u64>>> {
        let (Some(bbox), n) = (bbox, usize::try_from(self.features).unwrap_or(0)) else { return Ok(None) };
        if self.node_size < 2 || n == 0 {
            return Ok(None);
        }
        let location = self.location().to_owned();
        let bad =
            |message: &str| IoError::Format { location: location.clone(), message: format!("bad index: {message}") };
        let levels = level_bounds(n, self.node_size);
        let mut offsets = Vec::new();
        // Node ranges to visit on the current level, top (the root) first.
        let mut level = levels.len() - 1;
        // The root: node 0.
        let mut visit: Vec<Range<usize>> = std::iter::once(0..1).collect();
        loop {
            let byte_ranges: Vec<Range<u64>> = visit
                .iter()
                .map(|r| {
                    self.index_start + (r.start * NODE_BYTES) as u64..self.index_start + (r.end * NODE_BYTES) as u64
                })
                .collect();
            let fetched = fetch_ranges(self.source.as_ref(), &byte_ranges).await?;
            let mut next = Vec::new();
            for bytes in &fetched {
                for node in bytes.chunks_exact(NODE_BYTES) {
                    let f =
                        |i: usize| node.get(i * 8..i * 8 + 8).and_then(|b| b.try_into().ok()).map(f64::from_le_bytes);
                    let (Some(x0), Some(y0), Some(x1), Some(y1)) = (f(0), f(1), f(2), f(3)) else { continue };
                    let offset = node.get(32..40).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0);
                    if x1 < bbox.west || x0 > bbox.east || y1 < bbox.south || y0 > bbox.north {
                        continue;
                    }
                    if level == 0 {
                        offsets.push(offset);
                    } else {
                        let children = levels.get(level - 1).ok_or_else(|| bad("levels"))?;
                        let start = usize::try_from(offset).map_err(|_| bad("child offset"))?;
                        if !children.contains(&start) {
                            return Err(bad("a child outside its level"));
                        }
                        next.push(start..(start + usize::from(self.node_size)).min(children.end));
                    }
                }
            }
            if level == 0 || next.is_empty() {
                break;
            }
            visit = next;
            level -= 1;
        }
        offsets.sort_unstable();
        Ok(Some(offsets))
    }

    /// Reads the points (inside `bbox` and `aoi` when given) as one batch.
    pub async fn read(&self, bbox: Option<LonLatBox>, aoi: Option<&crate::aoi::Aoi>) -> Result<PointBatch> {
        let bbox = match (bbox, aoi) {
            (Some(b), Some(a)) => Some(b.intersection(&a.bbox)),
            (b, a) => b.or(a.map(|a| a.bbox)),
        };
        let section = self.features_start..self.source.size();
        let truncated = |what: String| IoError::Format {
            location: self.location().to_owned(),
            message: format!("truncated: {what} (the file has {} bytes)", section.end),
        };
        // The features' bytes: each selected one (its size prefix fetched first), or the whole section.
        let blobs: Vec<bytes::Bytes> = match self.candidates(bbox).await? {
            Some(offsets) => {
                let starts: Vec<u64> = offsets.iter().map(|o| section.start.saturating_add(*o)).collect();
                if let Some(beyond) = starts.iter().find(|s| s.saturating_add(4) > section.end) {
                    return Err(truncated(format!("the index points at a feature at byte {beyond}")));
                }
                let prefix_ranges: Vec<Range<u64>> = starts.iter().map(|s| *s..*s + 4).collect();
                let prefixes = fetch_ranges(self.source.as_ref(), &prefix_ranges).await?;
                let mut bodies = Vec::with_capacity(prefixes.len());
                for (range, prefix) in prefix_ranges.iter().zip(&prefixes) {
                    let len = prefix.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
                    let end = range.start + 4 + u64::from(len);
                    if end > section.end {
                        return Err(truncated(format!("the feature at byte {} ends at byte {end}", range.start)));
                    }
                    bodies.push(range.start..end);
                }
                fetch_ranges(self.source.as_ref(), &bodies).await?
            }
            None => {
                let all = self.source.fetch(section.clone()).await?;
                let mut out = Vec::new();
                let mut at = 0usize;
                while let Some(len) = all.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) {
                    let end = at + 4 + len as usize;
                    if end > all.len() {
                        return Err(truncated(format!(
                            "feature {} ends at byte {}",
                            out.len(),
                            section.start as usize + end
                        )));
                    }
                    out.push(all.slice(at..end));
                    at = end;
                }
                if at != all.len() || (self.features > 0 && out.len() as u64 != self.features) {
                    return Err(truncated(format!("{} of {} features", out.len(), self.features)));
                }
                out
            }
        };
        let mut points = Points::new(&self.columns);
        for blob in &blobs {
            let feature = flatgeobuf::size_prefixed_root_as_feature(blob).map_err(|e| IoError::Format {
                location: self.location().to_owned(),
                message: format!("bad feature: {e}"),
            })?;
            let Some(xy) = feature.geometry().and_then(|g| g.xy()) else {
                points.skipped += 1;
                continue;
            };
            let (x, y) = (xy.get(0), xy.get(1));
            if xy.len() < 2 || !x.is_finite() || !y.is_finite() {
                points.skipped += 1;
                continue;
            }
            if bbox.is_some_and(|b| !b.contains(x, y)) || aoi.is_some_and(|a| !a.contains(x, y)) {
                continue;
            }
            points.push(x, y, feature.properties().map(|p| p.bytes()).unwrap_or(&[]));
        }
        points.finish(self.location())
    }
}

/// The node ranges of each level of a packed R-tree of `n` items, leaves (level 0) first; stored root first.
fn level_bounds(n: usize, node_size: u16) -> Vec<Range<usize>> {
    let size = usize::from(node_size.max(2));
    let mut counts = vec![n];
    let mut count = n;
    while count > 1 {
        count = count.div_ceil(size);
        counts.push(count);
    }
    let total: usize = counts.iter().sum();
    let mut end = total;
    counts
        .iter()
        .map(|c| {
            let range = end - c..end;
            end -= c;
            range
        })
        .collect()
}

/// Points and their properties, gathered column by column.
struct Points {
    lon: Vec<f64>,
    lat: Vec<f64>,
    /// Every column of the file, in order: property indexes refer to them.
    all: Vec<Column>,
    /// The builder slot of each column (`None`: JSON and binary columns, left out).
    slot_of: Vec<Option<usize>>,
    columns: Vec<(Column, ColumnBuilder)>,
    skipped: usize,
}

enum ColumnBuilder {
    Float(Float32Builder),
    Double(Float64Builder),
    Bool(BooleanBuilder),
    Text(StringBuilder),
    Time(TimestampNanosecondBuilder),
}

impl Points {
    fn new(all: &[Column]) -> Self {
        let columns: Vec<(Column, ColumnBuilder)> = all
            .iter()
            .filter_map(|c| {
                let builder = match c.kind {
                    ColumnType::Float => ColumnBuilder::Float(Float32Builder::new()),
                    ColumnType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
                    ColumnType::String => ColumnBuilder::Text(StringBuilder::new()),
                    ColumnType::DateTime => ColumnBuilder::Time(TimestampNanosecondBuilder::new().with_timezone("UTC")),
                    ColumnType::Json | ColumnType::Binary => return None,
                    _ => ColumnBuilder::Double(Float64Builder::new()),
                };
                Some((c.clone(), builder))
            })
            .collect();
        let slot_of = all.iter().map(|c| columns.iter().position(|(kept, _)| kept.name == c.name)).collect();
        Self { lon: Vec::new(), lat: Vec::new(), all: all.to_vec(), slot_of, columns, skipped: 0 }
    }

    /// Adds a point and its properties (`u16` column index, then the value; absent columns are null).
    fn push(&mut self, x: f64, y: f64, properties: &[u8]) {
        let mut values: Vec<Option<Value>> = vec![None; self.columns.len()];
        let mut at = 0usize;
        let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
            let bytes = properties.get(*at..*at + n)?;
            *at += n;
            Some(bytes)
        };
        while let Some(index) = take(&mut at, 2).map(|b| u16::from_le_bytes([b[0], b[1]])) {
            let Some(kind) = self.all.get(usize::from(index)).map(|c| c.kind) else { break };
            let value = match kind {
                ColumnType::Byte => take(&mut at, 1).map(|b| Value::Number(f64::from(b[0] as i8))),
                ColumnType::UByte => take(&mut at, 1).map(|b| Value::Number(f64::from(b[0]))),
                ColumnType::Bool => take(&mut at, 1).map(|b| Value::Bool(b[0] != 0)),
                ColumnType::Short => {
                    take(&mut at, 2).map(|b| Value::Number(f64::from(i16::from_le_bytes([b[0], b[1]]))))
                }
                ColumnType::UShort => {
                    take(&mut at, 2).map(|b| Value::Number(f64::from(u16::from_le_bytes([b[0], b[1]]))))
                }
                ColumnType::Int => take(&mut at, 4)
                    .and_then(|b| b.try_into().ok())
                    .map(|b| Value::Number(f64::from(i32::from_le_bytes(b)))),
                ColumnType::UInt => take(&mut at, 4)
                    .and_then(|b| b.try_into().ok())
                    .map(|b| Value::Number(f64::from(u32::from_le_bytes(b)))),
                ColumnType::Long => take(&mut at, 8)
                    .and_then(|b| b.try_into().ok())
                    .map(|b| Value::Number(i64::from_le_bytes(b) as f64)),
                ColumnType::ULong => take(&mut at, 8)
                    .and_then(|b| b.try_into().ok())
                    .map(|b| Value::Number(u64::from_le_bytes(b) as f64)),
                ColumnType::Float => take(&mut at, 4)
                    .and_then(|b| b.try_into().ok())
                    .map(|b| Value::Number(f64::from(f32::from_le_bytes(b)))),
                ColumnType::Double => {
                    take(&mut at, 8).and_then(|b| b.try_into().ok()).map(|b| Value::Number(f64::from_le_bytes(b)))
                }
                _ => {
                    let len = take(&mut at, 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
                    len.and_then(|len| take(&mut at, len as usize))
                        .map(|b| Value::Text(String::from_utf8_lossy(b).into_owned()))
                }
            };
            let Some(value) = value else { break };
            // Columns left out (JSON, binary) have no slot: their value is skipped.
            if let Some(v) = self.slot_of.get(usize::from(index)).copied().flatten().and_then(|s| values.get_mut(s)) {
                *v = Some(value);
            }
        }
        self.lon.push(x);
        self.lat.push(y);
        for ((_, builder), value) in self.columns.iter_mut().zip(values) {
            match (builder, value) {
                (ColumnBuilder::Float(b), Some(Value::Number(v))) => b.append_value(v as f32),
                (ColumnBuilder::Double(b), Some(Value::Number(v))) => b.append_value(v),
                (ColumnBuilder::Bool(b), Some(Value::Bool(v))) => b.append_value(v),
                (ColumnBuilder::Text(b), Some(Value::Text(v))) => b.append_value(v),
                (ColumnBuilder::Time(b), Some(Value::Text(v))) => {
                    b.append_option(arrow_cast::parse::string_to_timestamp_nanos(&v).ok())
                }
                (ColumnBuilder::Float(b), _) => b.append_null(),
                (ColumnBuilder::Double(b), _) => b.append_null(),
                (ColumnBuilder::Bool(b), _) => b.append_null(),
                (ColumnBuilder::Text(b), _) => b.append_null(),
                (ColumnBuilder::Time(b), _) => b.append_null(),
            }
        }
    }

    fn finish(self, location: &str) -> Result<PointBatch> {
        let mut fields = vec![Field::new("lon", DataType::Float64, false), Field::new("lat", DataType::Float64, false)];
        let mut bbox = LonLatBox::EMPTY;
        for (x, y) in self.lon.iter().zip(&self.lat) {
            bbox.extend(*x, *y);
        }
        let mut arrays: Vec<ArrayRef> =
            vec![Arc::new(Float64Array::from(self.lon)), Arc::new(Float64Array::from(self.lat))];
        for (column, builder) in self.columns {
            let array: ArrayRef = match builder {
                ColumnBuilder::Float(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Double(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Bool(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Text(mut b) => Arc::new(b.finish()),
                ColumnBuilder::Time(mut b) => Arc::new(b.finish()),
            };
            fields.push(Field::new(&column.name, array.data_type().clone(), true));
            arrays.push(array);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| IoError::Column {
            location: location.to_owned(),
            column: "properties".into(),
            message: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        // A feature's place in the file is not known from the R-tree (only its byte offset): no source rows.
        Ok(PointBatch { batch, bbox, source: Arc::from(location), skipped: self.skipped, rows: None })
    }
}

#[derive(Clone, Debug)]
enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
}
