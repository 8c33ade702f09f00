//! The embedded sample: a small ATL08-like GeoParquet generated deterministically in memory, so the first
//! start works offline. Six beams in three pairs (strong/weak, 90 m apart; pairs 3.3 km apart) along a
//! descending ground track over the Oregon Cascades, one 100 m segment per row, `h_canopy` in metres.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BinaryArray, Float32Array, Float64Array, RecordBatch, StringArray, StructArray, TimestampNanosecondArray,
    UInt8Array, UInt16Array,
};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Segments per beam (100 m each: a 160 km pass).
pub const SEGMENTS_PER_BEAM: usize = 1600;
pub use crate::icesat2::BEAMS;
/// The file name the sample shows under.
pub const SAMPLE_NAME: &str = "sample: ATL08 h_canopy (synthetic)";

/// Start of the ground track (lon, lat) and its heading: south-south-west, as a descending pass.
const TRACK_START: (f64, f64) = (-121.75, 45.60);
const METRES_PER_DEG_LAT: f64 = 111_132.0;

/// A small deterministic PRNG (SplitMix64): the sample must be identical on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The sample's points as one Arrow batch (WKB geometry plus a bbox covering column).
pub fn sample_batch() -> RecordBatch {
    let mut rng = SplitMix(20_180_915);
    let rows = SEGMENTS_PER_BEAM * BEAMS.len();
    let mut wkb = Vec::with_capacity(rows);
    let (mut lon, mut lat) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (mut h_canopy, mut h_te, mut openness) = (Vec::new(), Vec::new(), Vec::new());
    let (mut gt, mut spot, mut strength, mut time) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // 2021-11-03T10:00:00Z, a plausible cycle-13 pass.
    let t0_ns: i64 = 1_635_933_600_000_000_000;
    let heading = (-168.0f64).to_radians();
    let metres_per_deg_lon = METRES_PER_DEG_LAT * TRACK_START.1.to_radians().cos();
    for (beam_index, beam) in BEAMS.iter().enumerate() {
        let pair = (beam_index / 2) as f64 - 1.0;
        let right = beam_index % 2 == 1;
        let cross_m = pair * 3300.0 + if right { 45.0 } else { -45.0 };
        for segment in 0..SEGMENTS_PER_BEAM {
            let along_m = segment as f64 * 100.0;
            let east_m = along_m * heading.sin() + cross_m * heading.cos();
            let north_m = along_m * heading.cos() - cross_m * heading.sin();
            let x = TRACK_START.0 + east_m / metres_per_deg_lon;
            let y = TRACK_START.1 + north_m / METRES_PER_DEG_LAT;
            let mut point = vec![1u8, 1, 0, 0, 0];
            point.extend(x.to_le_bytes());
            point.extend(y.to_le_bytes());
            wkb.push(point);
            lon.push(x);
            lat.push(y);
            // Forest that thickens towards the mountains, clearings, and a river valley with no canopy.
            let s = along_m / 1000.0;
            let forest = 22.0 + 14.0 * (s / 17.0).sin() + 6.0 * ((s + cross_m / 900.0) / 5.3).cos();
            let valley = (-((s - 96.0) / 6.0).powi(2)).exp();
            let canopy = (forest * (1.0 - valley) + 4.0 * (rng.next_f64() - 0.5)).max(0.0);
            // Some segments have too few canopy photons: ATL08 writes a fill value; here it is already null.
            h_canopy.push((rng.next_f64() > 0.04).then_some(canopy as f32));
            h_te.push((420.0 + 900.0 * (s / 160.0) + 80.0 * (s / 11.0).sin() - 300.0 * valley) as f32);
            openness.push((2.0 + 6.0 * rng.next_f64()) as f32);
            gt.push(*beam);
            spot.push(if right { 6 - (beam_index as u8 / 2) * 2 - 1 } else { 6 - (beam_index as u8 / 2) * 2 });
            strength.push(if right { "weak" } else { "strong" });
            time.push(t0_ns + (along_m / 7000.0 * 1e9) as i64);
        }
    }
    let unit = |u: &str| HashMap::from([("unit".to_owned(), u.to_owned())]);
    let bbox_fields = Fields::from(vec![
        Field::new("xmin", DataType::Float64, false),
        Field::new("ymin", DataType::Float64, false),
        Field::new("xmax", DataType::Float64, false),
        Field::new("ymax", DataType::Float64, false),
    ]);
    let bbox = StructArray::new(
        bbox_fields.clone(),
        vec![
            Arc::new(Float64Array::from(lon.clone())) as ArrayRef,
            Arc::new(Float64Array::from(lat.clone())),
            Arc::new(Float64Array::from(lon)),
            Arc::new(Float64Array::from(lat)),
        ],
        None,
    );
    let schema = Schema::new(vec![
        Field::new("geometry", DataType::Binary, false),
        Field::new("bbox", DataType::Struct(bbox_fields), false),
        Field::new("h_canopy", DataType::Float32, true).with_metadata(unit("m")),
        Field::new("h_te_best_fit", DataType::Float32, false).with_metadata(unit("m")),
        Field::new("canopy_openness", DataType::Float32, false).with_metadata(unit("m")),
        Field::new("gt", DataType::Utf8, false),
        Field::new("spot", DataType::UInt8, false),
        Field::new("beam_strength", DataType::Utf8, false),
        Field::new("rgt", DataType::UInt16, false),
        Field::new("cycle", DataType::UInt8, false),
        Field::new("time", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(BinaryArray::from_iter_values(wkb)),
        Arc::new(bbox),
        Arc::new(Float32Array::from(h_canopy)),
        Arc::new(Float32Array::from(h_te)),
        Arc::new(Float32Array::from(openness)),
        Arc::new(StringArray::from(gt)),
        Arc::new(UInt8Array::from(spot)),
        Arc::new(StringArray::from(strength)),
        Arc::new(UInt16Array::from(vec![1234u16; rows])),
        Arc::new(UInt8Array::from(vec![13u8; rows])),
        Arc::new(TimestampNanosecondArray::from(time).with_timezone("UTC")),
    ];
    // The schema and columns above are built together: a mismatch is a bug in this function.
    RecordBatch::try_new(Arc::new(schema), columns).expect("sample schema matches its columns")
}

/// The sample as GeoParquet bytes: one row group per beam, snappy (decodable everywhere, wasm included).
pub fn sample_geoparquet() -> Vec<u8> {
    let batch = sample_batch();
    let mut bbox = crate::lonlat_box::LonLatBox::EMPTY;
    if let Some(Some(points)) = batch.column_by_name("bbox").map(|c| c.as_any().downcast_ref::<StructArray>().cloned())
    {
        let get = |i: usize| points.column(i).as_any().downcast_ref::<Float64Array>().cloned();
        if let (Some(x), Some(y)) = (get(0), get(1)) {
            for (x, y) in x.values().iter().zip(y.values()) {
                bbox.extend(*x, *y);
            }
        }
    }
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(SEGMENTS_PER_BEAM))
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            "geo".to_owned(),
            crate::geoparquet::write::geo_metadata(bbox),
        )]))
        .build();
    let mut bytes = Vec::new();
    // Writing a well-formed in-memory batch to a Vec cannot fail short of a bug in this function.
    let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(properties)).expect("sample writer");
    writer.write(&batch).expect("sample rows");
    writer.close().expect("sample footer");
    bytes
}
