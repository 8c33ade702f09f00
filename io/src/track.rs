//! Along-track distance where a product stores none (ATL08, GeoParquet without an `x_atc` column): the geodesic
//! distance on WGS 84 (Karney's algorithm, through `geo`) summed point to point in the order given, which for a
//! track is time order. The profile view's fallback x axis.

use geo::{Distance as _, Geodesic, Point};

/// Cumulative geodesic distance in metres from the first point, one value per point. A point without valid
/// coordinates (NaN, out of range) gets `NaN` and does not break the sum: the next valid point continues from the
/// last valid one.
pub fn geodesic_along_track(lon: &[f64], lat: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(lon.len().min(lat.len()));
    let mut previous: Option<Point<f64>> = None;
    let mut total = 0.0;
    for (&x, &y) in lon.iter().zip(lat) {
        if !(x.is_finite() && y.is_finite() && x.abs() <= 360.0 && y.abs() <= 90.0) {
            out.push(f64::NAN);
            continue;
        }
        let point = Point::new(x, y);
        if let Some(previous) = previous {
            total += Geodesic.distance(previous, point);
        }
        previous = Some(point);
        out.push(total);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degree_of_the_equator_and_invalid_points() {
        // WGS 84: a degree of longitude on the equator is 2πa/360 = 111,319.4908 m.
        let along = geodesic_along_track(&[0.0, f64::NAN, 1.0], &[0.0, 0.0, 0.0]);
        assert_eq!(along[0], 0.0);
        assert!(along[1].is_nan());
        assert!((along[2] - 111_319.490_793).abs() < 1e-3, "{}", along[2]);
    }
}
