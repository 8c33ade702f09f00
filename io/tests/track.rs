//! The along-track fallback against pyproj: cumulative WGS 84 geodesic distance along the real ATL06 subset's
//! gt1l track (`scripts/projection_oracle.py` writes `geodesic_oracle.json`).

mod common;

#[test]
fn geodesic_along_track_matches_pyproj() {
    let text = std::fs::read_to_string(common::fixtures().join("geodesic_oracle.json")).unwrap();
    let oracle: serde_json::Value = serde_json::from_str(&text).unwrap();
    let numbers =
        |key: &str| -> Vec<f64> { oracle[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
    let (lon, lat, want) = (numbers("lon"), numbers("lat"), numbers("along"));
    assert_eq!(lon.len(), 986, "h5py: 986 gt1l segments");
    let along = floe_io::geodesic_along_track(&lon, &lat);
    let worst = along.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-3, "differs from pyproj by up to {worst} m");
    // Along the ground track it nearly equals the product's own x_atc span (h5py: 7,252,700.84 − 7,224,054.71 =
    // 28,646 m; the geodesic through the points is a little longer, as the points wander off the reference track).
    let total = *along.last().unwrap();
    assert!((total - 28_646.13).abs() < 0.005 * 28_646.13, "{total}");
}
