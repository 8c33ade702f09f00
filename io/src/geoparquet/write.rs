//! Writing GeoParquet 1.1 point files: WKB points from `longitude`/`latitude`, a `bbox` covering column, PROJJSON
//! CRS84, zstd, row groups sized for range reads, and an atomic file write (temp file, then rename).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BinaryArray, Float64Array, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{IoError, Result};
use crate::lonlat_box::LonLatBox;

/// Rows per row group: a few MB per column chunk, so a bbox read fetches little beyond what it needs.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// OGC:CRS84 (WGS 84, lon/lat) as PROJJSON, what GeoParquet means when `crs` is absent, written out explicitly.
pub const CRS84_PROJJSON: &str = r#"{"$schema":"https://proj.org/schemas/v0.7/projjson.schema.json","type":"GeographicCRS","name":"WGS 84 (CRS84)","datum":{"type":"GeodeticReferenceFrame","name":"World Geodetic System 1984","ellipsoid":{"name":"WGS 84","semi_major_axis":6378137,"inverse_flattening":298.257223563}},"coordinate_system":{"subtype":"ellipsoidal","axis":[{"name":"Geodetic longitude","abbreviation":"Lon","direction":"east","unit":"degree"},{"name":"Geodetic latitude","abbreviation":"Lat","direction":"north","unit":"degree"}]},"id":{"authority":"OGC","code":"CRS84"}}"#;

/// What was written.
#[derive(Clone, Debug)]
pub struct WriteSummary {
    pub rows: u64,
    pub row_groups: usize,
    pub bytes: u64,
    pub bbox: LonLatBox,
}

fn error(location: &str, message: String) -> IoError {
    IoError::Write { location: location.to_owned(), message, source: None }
}

/// A parquet error while writing, kept as the source.
fn parquet_error(location: &str, context: &str, e: parquet::errors::ParquetError) -> IoError {
    IoError::Write { location: location.to_owned(), message: format!("{context}{e}"), source: Some(Box::new(e)) }
}

/// Adds `geometry` (WKB points) and `bbox` (xmin, ymin, xmax, ymax) to `batch`, built from its `longitude` and
/// `latitude` columns.
fn with_geometry(batch: &RecordBatch, location: &str, bounds: &mut LonLatBox) -> Result<RecordBatch> {
    let coordinate = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
            .filter(|c| c.null_count() == 0)
            .ok_or_else(|| error(location, format!("the rows to write have no non-null Float64 `{name}` column")))
    };
    let (lon, lat) = (coordinate("longitude")?, coordinate("latitude")?);
    for name in ["geometry", "bbox"] {
        if batch.column_by_name(name).is_some() {
            return Err(error(
                location,
                format!(
                    "the rows to write already have a `{name}` column, the name of the column GeoParquet output \
                     adds; leave it out (--columns) or rename it"
                ),
            ));
        }
    }
    let mut wkb = Vec::with_capacity(lon.len() * 21);
    let mut offsets = Vec::with_capacity(lon.len() + 1);
    offsets.push(0i32);
    for (x, y) in lon.values().iter().zip(lat.values().iter()) {
        wkb.push(1u8);
        wkb.extend_from_slice(&1u32.to_le_bytes());
        wkb.extend_from_slice(&x.to_le_bytes());
        wkb.extend_from_slice(&y.to_le_bytes());
        let end = i32::try_from(wkb.len()).map_err(|_| error(location, "more than 2 GB of WKB in one batch".into()))?;
        offsets.push(end);
        bounds.extend(*x, *y);
    }
    let geometry = BinaryArray::new(
        arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(offsets)),
        arrow_buffer::Buffer::from_vec(wkb),
        None,
    );
    let corner = |name: &str| Arc::new(Field::new(name, DataType::Float64, false));
    let bbox_fields = Fields::from(vec![corner("xmin"), corner("ymin"), corner("xmax"), corner("ymax")]);
    let (xs, ys): (ArrayRef, ArrayRef) = (Arc::new(lon.clone()), Arc::new(lat.clone()));
    let bbox = StructArray::new(bbox_fields.clone(), vec![Arc::clone(&xs), Arc::clone(&ys), xs, ys], None);
    let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new("geometry", DataType::Binary, false)));
    fields.push(Arc::new(Field::new("bbox", DataType::Struct(bbox_fields), false)));
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(geometry));
    columns.push(Arc::new(bbox));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| error(location, e.to_string()))
}

/// The GeoParquet `geo` metadata for a point file with a bbox covering.
pub fn geo_metadata(bbox: LonLatBox) -> String {
    geo_metadata_of("Point", bbox)
}

/// The GeoParquet `geo` metadata for a `geometry` column of one type, with a `bbox` covering column.
pub fn geo_metadata_of(geometry_type: &str, bbox: LonLatBox) -> String {
    let crs: serde_json::Value = serde_json::from_str(CRS84_PROJJSON).unwrap_or(serde_json::Value::Null);
    let corner = |name: &str| serde_json::json!(["bbox", name]);
    serde_json::json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB",
            "geometry_types": [geometry_type],
            "crs": crs,
            "bbox": if bbox.is_empty() { serde_json::json!([]) } else { serde_json::json!(bbox.to_array()) },
            "covering": {"bbox": {"xmin": corner("xmin"), "ymin": corner("ymin"), "xmax": corner("xmax"), "ymax": corner("ymax")}},
        }},
    })
    .to_string()
}

/// Writes `batches` (one schema, with `longitude` and `latitude`) as GeoParquet to `out` (pass `&mut writer` to
/// keep it). `location` names the destination in messages.
pub fn write_geoparquet<W: std::io::Write + Send>(
    out: W,
    location: &str,
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
) -> Result<WriteSummary> {
    let mut bounds = LonLatBox::EMPTY;
    let mut full = Vec::with_capacity(batches.len());
    for batch in batches {
        full.push(with_geometry(batch, location, &mut bounds)?);
    }
    let empty = RecordBatch::new_empty(Arc::clone(schema));
    let full_schema = match full.first() {
        Some(batch) => batch.schema(),
        None => with_geometry(&empty, location, &mut bounds)?.schema(),
    };
    // The `geo` key goes into the Arrow schema too (as pyarrow writes it), so that readers that look only at the
    // embedded Arrow schema (`pyarrow.parquet.read_table(…).schema.metadata`, geoarrow, lonboard) see it.
    let mut schema_metadata = full_schema.metadata().clone();
    schema_metadata.insert("geo".to_owned(), geo_metadata(bounds));
    let full_schema = Arc::new(full_schema.as_ref().clone().with_metadata(schema_metadata));
    let full: Vec<RecordBatch> = full
        .into_iter()
        .map(|batch| batch.with_schema(Arc::clone(&full_schema)))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| error(location, e.to_string()))?;
    let zstd = ZstdLevel::try_new(3).map_err(|e| error(location, e.to_string()))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(zstd))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut writer = ArrowWriter::try_new(out, full_schema, Some(properties))
        .map_err(|e| parquet_error(location, "cannot start writing: ", e))?;
    let mut rows = 0;
    for batch in &full {
        writer.write(batch).map_err(|e| parquet_error(location, "", e))?;
        rows += batch.num_rows() as u64;
    }
    // And in the Parquet key-value metadata, where the GeoParquet specification puts it.
    writer.append_key_value_metadata(parquet::file::metadata::KeyValue::new("geo".into(), geo_metadata(bounds)));
    let metadata = writer.close().map_err(|e| parquet_error(location, "", e))?;
    Ok(WriteSummary { rows, row_groups: metadata.num_row_groups(), bytes: 0, bbox: bounds })
}

/// [`write_geoparquet`] to a file, atomically (see [`crate::write_file_atomically`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn write_geoparquet_file(
    path: &std::path::Path,
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
) -> Result<WriteSummary> {
    let location = path.display().to_string();
    let (mut summary, bytes) =
        crate::atomic_file::write_file_atomically(path, |out| write_geoparquet(out, &location, schema, batches))?;
    summary.bytes = bytes;
    Ok(summary)
}
