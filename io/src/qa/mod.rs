//! Quality checks of GeoParquet files, for people checking conversion outputs (HDF5 granule → GeoParquet):
//! is the metadata valid GeoParquet, is the file laid out for range reads, do the values look right, and — given
//! the source granules — did the conversion lose or change rows. One line per check: pass, warn or fail.

use std::collections::{BTreeMap, HashMap, HashSet};

use arrow_array::cast::AsArray as _;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use serde_json::Value;

use crate::geoparquet::metadata::{CrsKind, GeoColumnKey, GeoKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
}

/// One beam of a source granule, as the conversion should have carried it.
#[derive(Clone, Debug, Default)]
pub struct SourceTrack {
    /// UTC nanoseconds of each row (the key rows are matched by).
    pub times: Vec<i64>,
    /// Numeric variables by output column name; `None` where the granule has a fill value.
    pub variables: BTreeMap<String, Vec<Option<f64>>>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub file: String,
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check { name: name.to_owned(), status, detail: detail.into() });
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }
}

/// The field-metadata key under which `floe subset` records which surface type's `signal_conf_ph` an ATL03
/// output holds.
pub const SURFACE_KEY: &str = "surface";

/// The surface type an output's `signal_conf_ph` column was made for, as recorded by `floe subset`.
pub fn recorded_surface(data: &Bytes) -> Option<crate::icesat2::Surface> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(data.clone()).ok()?;
    let field = builder.schema().field_with_name("signal_conf_ph").ok()?.clone();
    crate::icesat2::Surface::parse(field.metadata().get(SURFACE_KEY)?)
}

/// Float values at or beyond this are fill values (3.4028235e38, 1.797e308) that were never turned into nulls.
const FILL_THRESHOLD: f64 = 1e30;

/// Columns read per row for the data checks.
struct Rows {
    x: Vec<f64>,
    y: Vec<f64>,
    types: HashSet<&'static str>,
    ewkb: usize,
    bad_wkb: usize,
    covering_mismatch: usize,
    row_group_boxes: Vec<[f64; 4]>,
}

/// Runs every check on a GeoParquet file held in memory. `sources` maps track names (gt1l…) to the source
/// granules' rows; empty skips the comparison.
///
/// The parquet crate panics on some malformed pages (found by fuzzing): such a file fails the `parquet` check
/// instead of ending the run.
pub fn check_file(name: &str, data: Bytes, sources: &BTreeMap<String, SourceTrack>) -> Report {
    let checked = || crate::error::catching(|| check_file_unguarded(name, data, sources));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(checked)).unwrap_or_else(|panic| {
        let mut report = Report { file: name.to_owned(), checks: Vec::new() };
        let message = crate::error::panic_message(panic.as_ref());
        report.push("parquet", Status::Fail, format!("the Parquet decoder failed on malformed data: {message}"));
        report
    })
}

fn check_file_unguarded(name: &str, data: Bytes, sources: &BTreeMap<String, SourceTrack>) -> Report {
    let mut report = Report { file: name.to_owned(), checks: Vec::new() };
    if crate::icesat2::is_hdf5(&data) {
        let detail = "an HDF5 file (an ICESat-2 granule?), not Parquet: QA checks conversion outputs; give the \
                      granule as --source to compare an output with it";
        report.push("parquet", Status::Fail, detail);
        return report;
    }
    let builder = match ParquetRecordBatchReaderBuilder::try_new(data.clone()) {
        Ok(builder) => builder,
        Err(e) => {
            report.push("parquet", Status::Fail, format!("not a readable Parquet file: {e}"));
            return report;
        }
    };
    let metadata = builder.metadata().clone();
    let schema = builder.schema().clone();
    check_column_names(&mut report, &schema);
    let geo_text = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == "geo"))
        .and_then(|kv| kv.value.clone());
    let geo: Option<GeoKey> = match geo_text {
        None => {
            report.push("geo metadata", Status::Fail, "no `geo` key in the Parquet footer: not GeoParquet");
            None
        }
        Some(text) => match serde_json::from_str::<Value>(&text) {
            Ok(value) if value.is_object() => match serde_json::from_value::<GeoKey>(value) {
                Ok(geo) => {
                    report.push("geo metadata", Status::Pass, "present, valid JSON");
                    Some(geo)
                }
                Err(e) => {
                    report.push(
                        "geo metadata",
                        Status::Fail,
                        format!("`geo` does not follow the GeoParquet schema: {e}"),
                    );
                    None
                }
            },
            Ok(_) => {
                report.push("geo metadata", Status::Fail, "`geo` is JSON but not an object");
                None
            }
            Err(e) => {
                report.push("geo metadata", Status::Fail, format!("`geo` is not valid JSON: {e}"));
                None
            }
        },
    };
    let mut primary: Option<(String, GeoColumnKey)> = None;
    if let Some(geo) = &geo {
        match geo.version.as_deref() {
            Some(v @ ("1.0.0" | "1.1.0")) => report.push("version", Status::Pass, v),
            Some(v @ "1.0.0-beta.1") => {
                report.push("version", Status::Warn, format!("{v} is a pre-release; strict readers refuse it"))
            }
            Some(v) => report.push("version", Status::Fail, format!("\"{v}\" is not a GeoParquet version")),
            None => report.push("version", Status::Fail, "no \"version\""),
        }
        let name = geo.primary_column.as_deref().unwrap_or_default();
        match geo.columns.as_ref().and_then(|columns| columns.get(name)) {
            Some(column) if schema.field_with_name(name).is_ok() => {
                report.push("primary column", Status::Pass, name);
                primary = Some((name.to_owned(), column.clone()));
            }
            Some(_) => report.push("primary column", Status::Fail, format!("`{name}` is not a column of the file")),
            None => report.push("primary column", Status::Fail, format!("\"{name}\" is not a key of \"columns\"")),
        }
    }
    if let Some((_, column)) = &primary {
        match column.encoding.as_deref() {
            Some(_) if column.is_wkb() => report.push("encoding", Status::Pass, "WKB"),
            Some(e) => report.push("encoding", Status::Warn, format!("{e}: native encoding, WKB checks skipped")),
            None => report.push("encoding", Status::Fail, "no \"encoding\""),
        }
        check_crs(&mut report, column.crs.as_ref());
    }

    let is_wkb = primary.as_ref().is_some_and(|(_, c)| c.is_wkb());
    // The covering's root column and its four children by name (files may store them in any order).
    let covering: Option<(String, [String; 4])> =
        primary.as_ref().and_then(|(_, c)| c.covering.as_ref()?.bbox.as_ref()).and_then(|b| b.paths().ok()).and_then(
            |paths| {
                let child = |path: &[String]| path.get(1).cloned();
                let root = paths.xmin.first()?.clone();
                Some((root, [child(&paths.xmin)?, child(&paths.ymin)?, child(&paths.xmax)?, child(&paths.ymax)?]))
            },
        );
    let covering_root = covering.as_ref().map(|(root, _)| root.clone());
    let covering_children = covering.as_ref().map(|(_, children)| children.clone());
    let mut rows = Rows {
        x: Vec::new(),
        y: Vec::new(),
        types: HashSet::new(),
        ewkb: 0,
        bad_wkb: 0,
        covering_mismatch: 0,
        row_group_boxes: Vec::new(),
    };
    let mut batches: Vec<RecordBatch> = Vec::new();
    for row_group in 0..metadata.num_row_groups() {
        let reader = ParquetRecordBatchReaderBuilder::try_new(data.clone())
            .and_then(|b| b.with_row_groups(vec![row_group]).with_batch_size(64 * 1024).build());
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => {
                report.push("data", Status::Fail, format!("row group {row_group} cannot be read: {e}"));
                return report;
            }
        };
        let start = rows.x.len();
        for batch in reader {
            let batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    report.push("data", Status::Fail, format!("row group {row_group} cannot be decoded: {e}"));
                    return report;
                }
            };
            if let (true, Some((name, _))) = (is_wkb, &primary) {
                let covering = covering_root.as_deref().zip(covering_children.as_ref());
                read_geometry(&batch, name, covering, &mut rows);
            }
            batches.push(batch);
        }
        let mut bounds = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for (x, y) in rows.x[start..].iter().zip(&rows.y[start..]) {
            bounds = [bounds[0].min(*x), bounds[1].min(*y), bounds[2].max(*x), bounds[3].max(*y)];
        }
        rows.row_group_boxes.push(bounds);
    }

    if let (true, Some((_, column))) = (is_wkb, &primary) {
        check_geometry(&mut report, column, &rows, covering.is_some());
    }
    check_layout(&mut report, &metadata, covering.is_some(), &rows);
    let all = match batches.first() {
        Some(first) => arrow_select::concat::concat_batches(&first.schema(), &batches).ok(),
        None => None,
    };
    if let Some(all) = &all {
        check_values(&mut report, all, &rows, primary.as_ref().map(|(n, _)| n.as_str()), covering_root.as_deref());
        if !sources.is_empty() {
            check_against_sources(&mut report, all, sources);
        }
    }
    report
}

/// Two columns with one name make the file unreadable for pyarrow ("Multiple matches for FieldRef.Name") and
/// ambiguous for every other reader.
fn check_column_names(report: &mut Report, schema: &arrow_schema::Schema) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for field in schema.fields() {
        *counts.entry(field.name().as_str()).or_default() += 1;
    }
    let repeated: Vec<String> =
        counts.iter().filter(|(_, n)| **n > 1).map(|(name, n)| format!("`{name}` ({n} times)")).collect();
    if repeated.is_empty() {
        report.push("column names", Status::Pass, format!("{} columns, all names unique", schema.fields().len()));
    } else {
        report.push("column names", Status::Fail, format!("repeated: {}", repeated.join(", ")));
    }
}

fn check_crs(report: &mut Report, crs: Option<&Value>) {
    match crs {
        None => report.push("crs", Status::Pass, "absent: OGC:CRS84"),
        Some(Value::Null) => report.push("crs", Status::Warn, "null: the CRS is unknown"),
        Some(crs @ Value::Object(object)) => {
            let kind = object.get("type").and_then(Value::as_str).unwrap_or("?");
            // The reader's classification; a geographic CRS it does not know by code is still lon/lat.
            match crate::geoparquet::metadata::classify_crs(crs) {
                CrsKind::LonLat(name) => report.push("crs", Status::Pass, format!("PROJJSON {name}")),
                CrsKind::Unsupported(name) if kind.starts_with("Geographic") => {
                    report.push("crs", Status::Pass, format!("PROJJSON {kind} {name}"))
                }
                other => {
                    report.push("crs", Status::Warn, format!("PROJJSON {kind} {}: not lon/lat", other.display_name()))
                }
            }
        }
        Some(other) => report.push("crs", Status::Fail, format!("must be a PROJJSON object, not {other}")),
    }
}

fn read_geometry(batch: &RecordBatch, name: &str, covering: Option<(&str, &[String; 4])>, rows: &mut Rows) {
    let Some(column) = batch.column_by_name(name) else { return };
    let Some(values) = column.as_binary_opt::<i32>() else { return };
    let boxes = covering.and_then(|(root, _)| batch.column_by_name(root)).and_then(|c| c.as_struct_opt().cloned());
    let corner = |i: usize| {
        let child = covering.and_then(|(_, children)| children.get(i))?;
        let column = boxes.as_ref()?.column_by_name(child)?;
        arrow_cast::cast(column, &DataType::Float64)
            .ok()?
            .as_primitive_opt::<arrow_array::types::Float64Type>()
            .cloned()
    };
    let corners = [corner(0), corner(1), corner(2), corner(3)];
    for (row, value) in values.iter().enumerate() {
        let Some(bytes) = value else { continue };
        let (Some(&order), Some(code)) = (bytes.first(), bytes.get(1..5)) else {
            rows.bad_wkb += 1;
            continue;
        };
        let code: [u8; 4] = code.try_into().unwrap_or_default();
        let code = if order == 1 { u32::from_le_bytes(code) } else { u32::from_be_bytes(code) };
        if code & 0xE000_0000 != 0 {
            rows.ewkb += 1;
        }
        rows.types.insert(match (code & 0x0FFF_FFFF) % 1000 {
            1 => "Point",
            2 => "LineString",
            3 => "Polygon",
            4 => "MultiPoint",
            5 => "MultiLineString",
            6 => "MultiPolygon",
            7 => "GeometryCollection",
            _ => "Unknown",
        });
        match crate::geoparquet::wkb::decode(bytes) {
            Ok(crate::geoparquet::wkb::Decoded::LonLat(x, y)) => {
                rows.x.push(x);
                rows.y.push(y);
                if let [Some(xmin), Some(ymin), Some(xmax), Some(ymax)] = &corners {
                    let inside =
                        xmin.value(row) <= x && x <= xmax.value(row) && ymin.value(row) <= y && y <= ymax.value(row);
                    rows.covering_mismatch += usize::from(!inside);
                }
            }
            Ok(crate::geoparquet::wkb::Decoded::Empty) => {}
            Err(_) => rows.bad_wkb += 1,
        }
    }
}

fn check_geometry(report: &mut Report, column: &GeoColumnKey, rows: &Rows, has_covering: bool) {
    let declared: Vec<String> = column.geometry_types.iter().map(|s| s.trim_end_matches(" Z").to_owned()).collect();
    let mut found: Vec<&str> = rows.types.iter().copied().collect();
    found.sort_unstable();
    let undeclared: Vec<&str> = found.iter().copied().filter(|t| !declared.iter().any(|d| d == t)).collect();
    if declared.is_empty() || undeclared.is_empty() {
        report.push("geometry_types", Status::Pass, format!("declared {declared:?}, data has {found:?}"));
    } else {
        report.push("geometry_types", Status::Fail, format!("declared {declared:?}, but the data has {found:?}"));
    }
    if rows.ewkb > 0 {
        report.push(
            "WKB",
            Status::Fail,
            format!("{} geometries are EWKB (SRID/Z/M flag bits), not ISO WKB", rows.ewkb),
        );
    } else if rows.bad_wkb > 0 {
        report.push("WKB", Status::Fail, format!("{} geometries are not valid WKB", rows.bad_wkb));
    } else {
        report.push("WKB", Status::Pass, "ISO WKB");
    }
    let data = bounds(&rows.x, &rows.y);
    match column.bbox.clone() {
        None => report.push("bbox", Status::Warn, "no \"bbox\": readers must scan to learn the extent"),
        Some(declared) if declared.len() == 4 || declared.len() == 6 => {
            let declared = if declared.len() == 6 {
                [declared[0], declared[1], declared[3], declared[4]]
            } else {
                [declared[0], declared[1], declared[2], declared[3]]
            };
            match data {
                None => report.push("bbox", Status::Pass, "no points to compare"),
                Some(data) => {
                    let outside = data[0] < declared[0] - 1e-9
                        || data[1] < declared[1] - 1e-9
                        || data[2] > declared[2] + 1e-9
                        || data[3] > declared[3] + 1e-9;
                    let loose = (0..4).any(|i| (data[i] - declared[i]).abs() > 1e-6);
                    let detail = format!("declared {declared:?}, data {data:?}");
                    let status = if outside {
                        Status::Fail
                    } else if loose {
                        Status::Warn
                    } else {
                        Status::Pass
                    };
                    report.push("bbox", status, detail);
                }
            }
        }
        Some(other) => report.push("bbox", Status::Fail, format!("{other:?} is not [xmin, ymin, xmax, ymax]")),
    }
    if has_covering {
        if rows.covering_mismatch > 0 {
            report.push(
                "covering",
                Status::Fail,
                format!("{} rows lie outside their own bbox", rows.covering_mismatch),
            );
        } else {
            report.push("covering", Status::Pass, "bbox covering present and consistent with every row");
        }
    }
}

fn bounds(x: &[f64], y: &[f64]) -> Option<[f64; 4]> {
    if x.is_empty() {
        return None;
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some([min(x), min(y), max(x), max(y)])
}

fn check_layout(report: &mut Report, metadata: &parquet::file::metadata::ParquetMetaData, covering: bool, rows: &Rows) {
    let groups = metadata.row_groups();
    if covering {
        report.push("row-group pruning", Status::Pass, "bbox covering column");
    } else {
        report.push("row-group pruning", Status::Warn, "no bbox covering column: a bbox read fetches every row group");
    }
    let boxes: Vec<&[f64; 4]> = rows.row_group_boxes.iter().filter(|b| b[0] <= b[2]).collect();
    let mut pairs = 0;
    let mut overlapping = 0;
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            pairs += 1;
            overlapping += usize::from(a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]);
        }
    }
    if pairs == 0 {
        report.push("spatial order", Status::Pass, format!("{} row group(s)", groups.len()));
    } else {
        let share = overlapping as f64 / pairs as f64;
        let status = if share > 0.5 && boxes.len() >= 4 { Status::Warn } else { Status::Pass };
        report.push("spatial order", status, format!("{:.0} % of row-group bbox pairs overlap", share * 100.0));
    }
    let mut codecs: Vec<String> =
        groups.iter().flat_map(|g| g.columns().iter().map(|c| format!("{:?}", c.compression()))).collect();
    codecs.sort();
    codecs.dedup();
    let uncompressed = codecs.iter().any(|c| c == "UNCOMPRESSED");
    report.push("compression", if uncompressed { Status::Warn } else { Status::Pass }, codecs.join(", "));
    let sizes: Vec<i64> = groups.iter().map(|g| g.num_rows()).collect();
    let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
    let status = if max > 1 << 20 || (sizes.len() > 4 && min < 1000) { Status::Warn } else { Status::Pass };
    report.push("row groups", status, format!("{} row groups of {min}–{max} rows", sizes.len()));
}

fn check_values(report: &mut Report, all: &RecordBatch, rows: &Rows, primary: Option<&str>, covering: Option<&str>) {
    let schema = all.schema();
    let mut fills = Vec::new();
    let mut missing = Vec::new();
    for (field, column) in schema.fields().iter().zip(all.columns()) {
        if Some(field.name().as_str()) == primary || Some(field.name().as_str()) == covering {
            continue;
        }
        let values = match field.data_type() {
            DataType::Float32 | DataType::Float64 => arrow_cast::cast(column, &DataType::Float64).ok(),
            _ => None,
        };
        let nans = values.as_ref().map_or(0, |v| {
            v.as_primitive::<arrow_array::types::Float64Type>().iter().flatten().filter(|v| v.is_nan()).count()
        });
        if let Some(values) = &values {
            let values = values.as_primitive::<arrow_array::types::Float64Type>();
            let filled: Vec<f64> = values.iter().flatten().filter(|v| v.abs() >= FILL_THRESHOLD).collect();
            if let Some(first) = filled.first() {
                fills.push(format!("{}: {} values are {first:e}", field.name(), filled.len()));
            }
        }
        if column.null_count() > 0 || nans > 0 {
            missing.push(format!("{} {} null, {} NaN", field.name(), column.null_count(), nans));
        }
    }
    if fills.is_empty() {
        report.push("fill values", Status::Pass, "none left as numbers");
    } else {
        report.push(
            "fill values",
            Status::Fail,
            format!("{} (fill values left as numbers, not nulls)", fills.join("; ")),
        );
    }
    report.push("nulls", Status::Pass, if missing.is_empty() { "none".to_owned() } else { missing.join("; ") });

    let out_of_range =
        rows.x.iter().zip(&rows.y).filter(|(x, y)| !(-180.0..=360.0).contains(*x) || y.abs() > 90.0).count();
    let column = |names: [&str; 2]| {
        names.iter().find_map(|n| all.column_by_name(n)).and_then(|c| arrow_cast::cast(c, &DataType::Float64).ok())
    };
    let swapped = match (column(["latitude", "lat"]), column(["longitude", "lon"])) {
        (Some(lat), Some(lon)) if lat.len() == rows.x.len() && !rows.x.is_empty() => {
            let (lat, lon) = (
                lat.as_primitive::<arrow_array::types::Float64Type>(),
                lon.as_primitive::<arrow_array::types::Float64Type>(),
            );
            let matches =
                |a: &arrow_array::Float64Array, b: &[f64]| a.iter().zip(b).filter(|(v, w)| *v == Some(**w)).count();
            let straight = matches(lon, &rows.x) + matches(lat, &rows.y);
            let crossed = matches(lat, &rows.x) + matches(lon, &rows.y);
            crossed > straight
        }
        _ => false,
    };
    if out_of_range > 0 {
        report.push("lon/lat", Status::Fail, format!("{out_of_range} points outside lon -180..360, lat -90..90"));
    } else if swapped {
        report.push("lon/lat", Status::Fail, "the geometry holds (latitude, longitude): x and y are swapped");
    } else {
        report.push("lon/lat", Status::Pass, "in range, x = longitude");
    }

    let time = time_ns(all);
    let mut seen = HashSet::with_capacity(rows.x.len());
    let duplicates = (0..rows.x.len().min(all.num_rows()))
        .filter(|&i| !seen.insert((rows.x[i].to_bits(), rows.y[i].to_bits(), time.as_ref().and_then(|t| t[i]))))
        .count();
    report.push(
        "duplicates",
        if duplicates > 0 { Status::Warn } else { Status::Pass },
        format!("{duplicates} duplicate rows"),
    );

    if let Some(time) = &time {
        let passes = pass_keys(all);
        let mut last: HashMap<String, i64> = HashMap::new();
        let mut backwards = 0;
        for (row, t) in time.iter().enumerate() {
            let Some(t) = t else { continue };
            let pass = passes.as_ref().and_then(|k| k.get(row).cloned()).unwrap_or_default();
            if last.insert(pass, *t).is_some_and(|previous| previous > *t) {
                backwards += 1;
            }
        }
        let window = match (time.iter().flatten().min(), time.iter().flatten().max()) {
            (Some(first), Some(end)) => format!("{} to {}", utc(*first), utc(*end)),
            _ => "no times".to_owned(),
        };
        let detail = format!("{window}; {backwards} steps back in time within a track (one beam of one rgt/cycle)");
        report.push("time", if backwards > 0 { Status::Warn } else { Status::Pass }, detail);
    }
}

/// A time as UTC, to the nanosecond.
fn utc(ns: i64) -> String {
    crate::time::utc_text(ns)
}

/// Each row's pass: its beam (`track_id`, `gt` or `spot`) with `rgt` and `cycle` where the file has them. A
/// SlideRule file holds several passes per beam, each in time order of its own.
fn pass_keys(all: &RecordBatch) -> Option<Vec<String>> {
    let text = |names: &[&str]| {
        let column = names.iter().find_map(|n| all.column_by_name(n))?;
        let text = arrow_cast::cast(column, &DataType::Utf8).ok()?;
        Some(text.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect::<Vec<_>>())
    };
    let parts: Vec<Vec<String>> =
        [&["track_id", "gt", "spot"][..], &["rgt"], &["cycle"]].iter().filter_map(|names| text(names)).collect();
    if parts.is_empty() {
        return None;
    }
    Some((0..all.num_rows()).map(|row| parts.iter().map(|p| p[row].as_str()).collect::<Vec<_>>().join("/")).collect())
}

fn time_ns(all: &RecordBatch) -> Option<Vec<Option<i64>>> {
    let column = ["time", "time_ns", "delta_time"].iter().find_map(|n| all.column_by_name(n))?;
    let ns = arrow_cast::cast(column, &DataType::Timestamp(arrow_schema::TimeUnit::Nanosecond, None)).ok()?;
    Some(ns.as_primitive::<arrow_array::types::TimestampNanosecondType>().iter().collect())
}

fn track_ids(all: &RecordBatch) -> Option<Vec<String>> {
    let column = ["track_id", "gt"].iter().find_map(|n| all.column_by_name(n))?;
    let text = arrow_cast::cast(column, &DataType::Utf8).ok()?;
    Some(text.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect())
}

/// A row's identity within a track: its time and its order among the rows of that time. Every photon of one
/// ATL03 laser pulse shares the pulse's `delta_time`, so time alone would match the wrong photons; segment
/// products have one row per time and get order 0.
type RowKey = (i64, u32);

/// The [`RowKey`]s of `times`, in their order.
fn row_keys(times: impl IntoIterator<Item = i64>) -> Vec<RowKey> {
    let mut seen: HashMap<i64, u32> = HashMap::new();
    times
        .into_iter()
        .map(|t| {
            let order = seen.entry(t).or_insert(0);
            let key = (t, *order);
            *order += 1;
            key
        })
        .collect()
}

/// Per track: rows missing or extra against the source (matched by [`RowKey`], within the output's time window
/// of that track, so an AOI subset is not blamed for what lies outside it), and the statistics of shared
/// columns over the matched rows.
fn check_against_sources(report: &mut Report, all: &RecordBatch, sources: &BTreeMap<String, SourceTrack>) {
    let (Some(time), Some(tracks)) = (time_ns(all), track_ids(all)) else {
        report.push("source rows", Status::Fail, "the file has no time and track_id (gt) columns to match rows by");
        return;
    };
    for (track, source) in sources {
        // Rows with a time, in file order (the order of photons within a pulse is the granule's).
        let rows: Vec<usize> = (0..all.num_rows()).filter(|&i| tracks[i] == *track && time[i].is_some()).collect();
        let file_keys = row_keys(rows.iter().filter_map(|&i| time[i]));
        let (Some(start), Some(end)) = (file_keys.iter().map(|k| k.0).min(), file_keys.iter().map(|k| k.0).max())
        else {
            let status = if source.times.is_empty() { Status::Pass } else { Status::Warn };
            report.push(
                &format!("{track} rows"),
                status,
                format!("none in the file, {} in the source", source.times.len()),
            );
            continue;
        };
        let source_keys = row_keys(source.times.iter().copied());
        let window: Vec<usize> =
            (0..source_keys.len()).filter(|&i| (start..=end).contains(&source_keys[i].0)).collect();
        let position: HashMap<RowKey, usize> = window.iter().map(|&i| (source_keys[i], i)).collect();
        let in_file: HashSet<RowKey> = file_keys.iter().copied().collect();
        let missing: Vec<i64> =
            window.iter().map(|&i| source_keys[i]).filter(|k| !in_file.contains(k)).map(|k| k.0).collect();
        let extra: Vec<i64> = file_keys.iter().filter(|k| !position.contains_key(k)).map(|k| k.0).collect();
        let mut detail = format!(
            "{} rows; source {} in the same time window; {} missing, {} extra",
            rows.len(),
            window.len(),
            missing.len(),
            extra.len()
        );
        for (what, list) in [("missing", &missing), ("extra", &extra)] {
            if !list.is_empty() {
                detail.push_str(&format!("; {what} at {}", utc_times(list)));
            }
        }
        let (missing, extra) = (missing.len(), extra.len());
        report.push(&format!("{track} rows"), if missing + extra > 0 { Status::Fail } else { Status::Pass }, detail);
        for (name, values) in &source.variables {
            let Some(column) = all.column_by_name(name).and_then(|c| arrow_cast::cast(c, &DataType::Float64).ok())
            else {
                continue;
            };
            let column = column.as_primitive::<arrow_array::types::Float64Type>();
            let mut file_values = Vec::new();
            let mut source_values = Vec::new();
            for (&row, key) in rows.iter().zip(&file_keys) {
                let Some(&i) = position.get(key) else { continue };
                file_values.extend(column.is_valid(row).then(|| column.value(row)));
                source_values.extend(values.get(i).copied().flatten());
            }
            let (a, b) = (stats(&file_values), stats(&source_values));
            let same = a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && (a.3 - b.3).abs() <= 1e-9 * b.3.abs().max(1.0);
            let detail = format!("n/min/max/mean file {a:?}, source {b:?}");
            report.push(&format!("{track} {name}"), if same { Status::Pass } else { Status::Fail }, detail);
        }
        let source_window = match (source.times.iter().min(), source.times.iter().max()) {
            (Some(a), Some(b)) => format!("{} to {}", utc(*a), utc(*b)),
            _ => "no times".to_owned(),
        };
        report.push(
            &format!("{track} time"),
            Status::Pass,
            format!("file {} to {}, source {source_window}", utc(start), utc(end)),
        );
    }
}

/// Rows named by their time, which is what identifies a row of a track in both the granule and the output:
/// the first few, in time order, as UTC.
fn utc_times(times: &[i64]) -> String {
    const SHOWN: usize = 5;
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mut text: Vec<String> = sorted.iter().take(SHOWN).map(|&t| utc(t)).collect();
    if sorted.len() > SHOWN {
        text.push(format!("… ({} more)", sorted.len() - SHOWN));
    }
    text.join(", ")
}

/// (count, min, max, mean), comparing f32-stored values at f32 precision.
fn stats(values: &[f64]) -> (usize, f32, f32, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min) as f32;
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32;
    let mean = values.iter().map(|v| f64::from(*v as f32)).sum::<f64>() / values.len().max(1) as f64;
    (values.len(), min, max, mean)
}
