//! The embedded default scene: one synthetic ICESat-2-like pass over interior Alaska (boreal forest rising into
//! bare mountains, 63.6°N to 65.2°N), generated in memory at start, deterministically. `scene` holds ATL03-like
//! photons on six beams (ground and canopy returns, background noise, `signal_conf_ph`, `quality_ph` and an
//! ATL08-like photon class), `scene:atl06` ATL06-like 20 m segments of the same beams. `scene-small` and
//! `scene-small:atl06` are the first 5 km of the same pass, for tests. Nothing here is real data.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int8Array, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray,
    UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use crate::batch::PointBatch;
use crate::icesat2::BEAMS;
use crate::lonlat_box::LonLatBox;

/// The scene's input names: photons and segments, full pass and its first 5 km.
pub const SCENE: &str = "scene";
pub const SCENE_ATL06: &str = "scene:atl06";
pub const SCENE_SMALL: &str = "scene-small";
pub const SCENE_SMALL_ATL06: &str = "scene-small:atl06";

/// Reference ground track and cycle of the pass (made up).
pub const RGT: i64 = 245;
pub const CYCLE: i64 = 14;
/// Length of the full pass and of the small one, in metres along the track.
const FULL_LENGTH_M: f64 = 180_000.0;
const SMALL_LENGTH_M: f64 = 5_000.0;
/// Shots are 0.7 m apart along the track (10 kHz at ~7 km/s).
const SHOT_SPACING_M: f64 = 0.7;
const GROUND_SPEED_M_S: f64 = 6_900.0;
/// Where the pass starts: lon, lat, its heading (degrees from north) and its x_atc there.
const START: (f64, f64) = (-148.9, 63.6);
const HEADING_DEG: f64 = -12.0;
const X_ATC_START_M: f64 = 7_090_000.0;
/// 2023-07-14T21:37:05Z: a summer night pass.
const T0_NS: i64 = 1_689_370_625_000_000_000;
const METRES_PER_DEG_LAT: f64 = 111_132.0;

/// What `scene…` input names hold: points and their description.
#[derive(Debug)]
pub struct ScenePoints {
    /// The name layers show.
    pub name: &'static str,
    /// One batch per beam.
    pub batches: Vec<PointBatch>,
    pub units: HashMap<String, String>,
}

impl ScenePoints {
    pub fn num_rows(&self) -> u64 {
        self.batches.iter().map(|b| b.num_rows() as u64).sum()
    }
}

/// Whether `input` names the scene (any variant).
pub fn is_scene(input: &str) -> bool {
    [SCENE, SCENE_ATL06, SCENE_SMALL, SCENE_SMALL_ATL06].contains(&input)
}

/// The name layers of a scene input show (without generating it).
pub fn display_name(input: &str) -> Option<&'static str> {
    match input {
        SCENE | SCENE_SMALL => Some(PHOTONS_NAME),
        SCENE_ATL06 | SCENE_SMALL_ATL06 => Some(SEGMENTS_NAME),
        _ => None,
    }
}

const PHOTONS_NAME: &str = "synthetic ATL03 photons";
const SEGMENTS_NAME: &str = "synthetic ATL06 segments";

/// The scene points an input name stands for, generated on first use and shared after.
pub fn scene(input: &str) -> Option<Arc<ScenePoints>> {
    static CACHE: [OnceLock<Arc<ScenePoints>>; 4] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (slot, length, segments) = match input {
        SCENE => (0, FULL_LENGTH_M, false),
        SCENE_ATL06 => (1, FULL_LENGTH_M, true),
        SCENE_SMALL => (2, SMALL_LENGTH_M, false),
        SCENE_SMALL_ATL06 => (3, SMALL_LENGTH_M, true),
        _ => return None,
    };
    let cell = CACHE.get(slot)?;
    Some(Arc::clone(cell.get_or_init(|| Arc::new(if segments { segments_of(length) } else { photons_of(length) }))))
}

/// A small deterministic PRNG (SplitMix64): the scene must be identical on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal value (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let u = self.next_f64().max(1e-12);
        let v = self.next_f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A beam: its name, strength, spot and offset across the track (m, right positive).
struct BeamGeometry {
    name: &'static str,
    strong: bool,
    spot: u8,
    cross_m: f64,
}

fn beams() -> Vec<BeamGeometry> {
    // Forward orientation: the right beam of each pair is the strong one; pairs 3.3 km apart, beams 90 m apart.
    BEAMS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let pair = (i / 2) as f64 - 1.0;
            let right = i % 2 == 1;
            let spot = match (i / 2, right) {
                (0, true) => 1,
                (0, false) => 2,
                (1, true) => 3,
                (1, false) => 4,
                (2, true) => 5,
                _ => 6,
            };
            BeamGeometry { name, strong: right, spot, cross_m: pair * 3300.0 + if right { 45.0 } else { -45.0 } }
        })
        .collect()
}

/// Ground height (m) at `s` metres along the track and `c` across: lowland rising into mountains.
fn ground(s: f64, c: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let rise = 500.0 * (1.0 + ((s - 120_000.0) / 25_000.0).tanh());
    180.0
        + rise
        + 140.0 * (tau * s / 37_000.0).sin()
        + 60.0 * (tau * s / 9_100.0 + c / 2_000.0).sin()
        + 18.0 * (tau * s / 2_300.0 + c / 700.0).sin()
        + 4.0 * (tau * s / 410.0 + c / 150.0).sin()
}

/// Canopy height (m): boreal forest below about 750 m, in stands with clearings; none above the tree line.
fn canopy(s: f64, c: f64, ground: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    let treeline = ((780.0 - ground) / 60.0).clamp(0.0, 1.0);
    let stand = (tau * s / 1_700.0 + c / 900.0).sin() + 0.6 * (tau * s / 530.0).sin();
    if stand < -0.5 { 0.0 } else { treeline * (11.0 + 6.0 * (tau * s / 3_100.0 + c / 1_300.0).sin()) }
}

/// Lon/lat of a place `s` metres along the track and `c` across.
fn lonlat(s: f64, c: f64) -> (f64, f64) {
    let heading = HEADING_DEG.to_radians();
    let east = s * heading.sin() + c * heading.cos();
    let north = s * heading.cos() - c * heading.sin();
    let lat = START.1 + north / METRES_PER_DEG_LAT;
    let lon = START.0 + east / (METRES_PER_DEG_LAT * lat.to_radians().cos());
    (lon, lat)
}

fn time_ns(s: f64) -> i64 {
    T0_NS + (s / GROUND_SPEED_M_S * 1e9).round() as i64
}

/// The columns every scene batch shares after its own: x_atc, gt, beam_strength, spot, rgt, cycle.
fn track_columns(fields: &mut Vec<Field>, columns: &mut Vec<ArrayRef>, x_atc: Vec<f64>, beam: &BeamGeometry) {
    let n = x_atc.len();
    fields.push(Field::new("x_atc", DataType::Float64, true));
    columns.push(Arc::new(Float64Array::from(x_atc)));
    fields.push(Field::new("gt", DataType::Utf8, false));
    columns.push(Arc::new(StringArray::from(vec![beam.name; n])));
    fields.push(Field::new("beam_strength", DataType::Utf8, false));
    columns.push(Arc::new(StringArray::from(vec![if beam.strong { "strong" } else { "weak" }; n])));
    fields.push(Field::new("spot", DataType::UInt8, true));
    columns.push(Arc::new(UInt8Array::from(vec![beam.spot; n])));
    fields.push(Field::new("rgt", DataType::Int64, true));
    columns.push(Arc::new(Int64Array::from(vec![RGT; n])));
    fields.push(Field::new("cycle", DataType::Int64, true));
    columns.push(Arc::new(Int64Array::from(vec![CYCLE; n])));
}

fn point_batch(fields: Vec<Field>, columns: Vec<ArrayRef>, lon: &[f64], lat: &[f64], name: &str) -> PointBatch {
    let mut bbox = LonLatBox::EMPTY;
    for (x, y) in lon.iter().zip(lat) {
        bbox.extend(*x, *y);
    }
    // The schema is built here from arrays of the declared types and lengths: a failure would be a bug in this file.
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("scene columns match their schema");
    let rows = crate::SourceRows::consecutive(0, lon.len() as u64);
    PointBatch { batch, bbox, source: Arc::from(name), skipped: 0, rows: Some(rows) }
}

fn time_field() -> Field {
    Field::new("time", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), false)
}

/// ATL03-like photons along `length` metres of the pass, the beams generated side by side where there are threads.
fn photons_of(length: f64) -> ScenePoints {
    let beams = beams();
    #[cfg(not(target_arch = "wasm32"))]
    let batches: Vec<PointBatch> = std::thread::scope(|scope| {
        let workers: Vec<_> =
            beams.iter().enumerate().map(|(i, beam)| scope.spawn(move || beam_photons(length, i, beam))).collect();
        // A worker has no way to panic short of a bug here; its beam is then missing, not the scene.
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    #[cfg(target_arch = "wasm32")]
    let batches: Vec<PointBatch> = beams.iter().enumerate().map(|(i, beam)| beam_photons(length, i, beam)).collect();
    let units = [("h_ph", "m"), ("x_atc", "m")].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    ScenePoints { name: PHOTONS_NAME, batches, units }
}

/// One beam's photons.
fn beam_photons(length: f64, index: usize, beam: &BeamGeometry) -> PointBatch {
    let shots = (length / SHOT_SPACING_M) as usize;
    let mut rng = SplitMix(0x1CE5_A703 + index as u64);
    let capacity = if beam.strong { shots * 5 / 2 } else { shots * 6 / 5 };
    let mut lon = Vec::with_capacity(capacity);
    let mut lat = Vec::with_capacity(capacity);
    let mut time = Vec::with_capacity(capacity);
    let mut h = Vec::with_capacity(capacity);
    let mut conf = Vec::with_capacity(capacity);
    let mut quality = Vec::with_capacity(capacity);
    let mut class = Vec::with_capacity(capacity);
    let mut x_atc = Vec::with_capacity(capacity);
    // Mean photons per shot: weak beams return about a quarter of the strong beams' signal.
    let (ground_p, canopy_mean, noise_p): (f64, f64, f64) =
        if beam.strong { (0.75, 1.1, 0.9) } else { (0.2, 0.28, 0.7) };
    for shot in 0..shots {
        let s = shot as f64 * SHOT_SPACING_M;
        let (x, y) = lonlat(s, beam.cross_m);
        let t = time_ns(s);
        let g = ground(s, beam.cross_m);
        let top = canopy(s, beam.cross_m, g);
        let mut emit = |height: f64, c: i8, q: i8, k: u8| {
            lon.push(x);
            lat.push(y);
            time.push(t);
            h.push(height as f32);
            conf.push(c);
            quality.push(q);
            class.push(k);
            x_atc.push(X_ATC_START_M + s);
        };
        // Ground: dimmer under a canopy.
        let under = if top > 0.0 { 0.55 } else { 1.0 };
        if rng.next_f64() < ground_p * under {
            emit(g + 0.3 * rng.normal(), 4, 0, 1);
        }
        if top > 0.0 {
            let mut canopy_p = canopy_mean;
            while canopy_p > 0.0 {
                if rng.next_f64() < canopy_p.min(1.0) {
                    let depth = rng.next_f64();
                    let height = g + 2.0 + (top - 2.0) * depth.sqrt();
                    let is_top = depth > 0.93;
                    emit(height, if is_top { 4 } else { 3 }, 0, if is_top { 3 } else { 2 });
                }
                canopy_p -= 1.0;
            }
        }
        // Background (solar) photons over the telemetry window, a few flagged near the surface.
        if rng.next_f64() < noise_p {
            let height = g - 60.0 + 150.0 * rng.next_f64();
            let near = (height - g).abs() < 3.0 || (top > 0.0 && height > g && height < g + top);
            emit(height, if near { 1 } else { 0 }, 0, 0);
        }
        // Now and then an afterpulse a few metres under the ground.
        if beam.strong && rng.next_f64() < 0.004 {
            emit(g - 0.5 - 4.0 * rng.next_f64(), 2, 1, 0);
        }
    }
    let mut fields = vec![
        Field::new("lon", DataType::Float64, false),
        Field::new("lat", DataType::Float64, false),
        time_field(),
        Field::new("h_ph", DataType::Float32, false),
        Field::new("signal_conf_ph", DataType::Int8, false),
        Field::new("quality_ph", DataType::Int8, false),
        Field::new("atl08_class", DataType::UInt8, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(lon.clone())),
        Arc::new(Float64Array::from(lat.clone())),
        Arc::new(TimestampNanosecondArray::from(time).with_timezone("UTC")),
        Arc::new(Float32Array::from(h)),
        Arc::new(Int8Array::from(conf)),
        Arc::new(Int8Array::from(quality)),
        Arc::new(UInt8Array::from(class)),
    ];
    track_columns(&mut fields, &mut columns, x_atc, beam);
    point_batch(fields, columns, &lon, &lat, "scene: synthetic ATL03 photons")
}

/// ATL06-like segments every 20 m along `length` metres of the pass: the ground's height with a little noise.
fn segments_of(length: f64) -> ScenePoints {
    let mut batches = Vec::new();
    let segments = (length / 20.0) as usize;
    for (index, beam) in beams().iter().enumerate() {
        let mut rng = SplitMix(0x05E6_A706 + index as u64);
        let (mut lon, mut lat, mut time, mut h, mut sigma, mut quality, mut x_atc) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for segment in 0..segments {
            let s = 10.0 + segment as f64 * 20.0;
            let g = ground(s, beam.cross_m);
            let forest = canopy(s, beam.cross_m, g) > 0.0;
            let spread = if beam.strong { 0.05 } else { 0.12 } * if forest { 4.0 } else { 1.0 };
            let (x, y) = lonlat(s, beam.cross_m);
            lon.push(x);
            lat.push(y);
            time.push(time_ns(s));
            h.push((g + spread * rng.normal()) as f32);
            sigma.push(spread as f32);
            quality.push(i8::from(forest && !beam.strong));
            x_atc.push(X_ATC_START_M + s);
        }
        let mut fields = vec![
            Field::new("lon", DataType::Float64, false),
            Field::new("lat", DataType::Float64, false),
            time_field(),
            Field::new("h_li", DataType::Float32, false),
            Field::new("h_li_sigma", DataType::Float32, false),
            Field::new("atl06_quality_summary", DataType::Int8, false),
        ];
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(lon.clone())),
            Arc::new(Float64Array::from(lat.clone())),
            Arc::new(TimestampNanosecondArray::from(time).with_timezone("UTC")),
            Arc::new(Float32Array::from(h)),
            Arc::new(Float32Array::from(sigma)),
            Arc::new(Int8Array::from(quality)),
        ];
        track_columns(&mut fields, &mut columns, x_atc, beam);
        batches.push(point_batch(fields, columns, &lon, &lat, "scene: synthetic ATL06 segments"));
    }
    let units = [("h_li", "m"), ("h_li_sigma", "m"), ("x_atc", "m")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    ScenePoints { name: SEGMENTS_NAME, batches, units }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_scene_is_deterministic_and_physical() {
        let photons = photons_of(SMALL_LENGTH_M);
        let again = photons_of(SMALL_LENGTH_M);
        assert_eq!(photons.num_rows(), again.num_rows());
        assert_eq!(photons.batches.len(), 6);
        let first = &photons.batches[1].batch;
        assert_eq!(first.schema().field(3).name(), "h_ph");
        let gt = first.column_by_name("gt").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(gt.value(0), "gt1r");
        // Ground photons (class 1) lie within a metre and a half of the ground model at their place.
        let class = first.column_by_name("atl08_class").unwrap().as_any().downcast_ref::<UInt8Array>().unwrap();
        let h = first.column_by_name("h_ph").unwrap().as_any().downcast_ref::<Float32Array>().unwrap();
        let x = first.column_by_name("x_atc").unwrap().as_any().downcast_ref::<Float64Array>().unwrap();
        let mut grounds = 0;
        for i in 0..first.num_rows() {
            if class.value(i) == 1 {
                let s = x.value(i) - X_ATC_START_M;
                assert!((f64::from(h.value(i)) - ground(s, 45.0 - 3300.0)).abs() < 1.5, "photon {i}");
                grounds += 1;
            }
        }
        assert!(grounds > 1000, "{grounds}");
        // Strong beams return about four times the weak beams' signal.
        let strong = photons.batches[1].num_rows() as f64;
        let weak = photons.batches[0].num_rows() as f64;
        assert!(strong > 1.8 * weak, "{strong} vs {weak}");
        let segments = segments_of(SMALL_LENGTH_M);
        assert_eq!(segments.num_rows(), 6 * 250);
    }

    #[test]
    fn the_full_scene_has_millions_of_photons_over_alaska() {
        let photons = photons_of(FULL_LENGTH_M);
        let rows = photons.num_rows();
        assert!((2_000_000..=3_000_000).contains(&rows), "{rows}");
        let bbox = photons.batches.iter().fold(LonLatBox::EMPTY, |acc, b| acc.union(&b.bbox));
        assert!(bbox.south > 63.5 && bbox.north < 65.3 && bbox.west > -150.0 && bbox.east < -148.0, "{bbox:?}");
    }
}
