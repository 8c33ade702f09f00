//! Areas of interest: polygons in lon/lat (read from and written to GeoJSON in `geojson.rs`), and the exact
//! point-in-polygon filter readers apply after pruning by the AOI's bounding box (row groups, hive
//! partitions, HDF5 chunks).

mod geojson;

pub use geojson::{MAX_AOI_BYTES, check_size};

use std::sync::Arc;

use arrow_array::BooleanArray;
use geo::{
    BooleanOps as _, BoundingRect as _, Contains as _, LineString, MapCoords as _, MultiPolygon, Point, Polygon,
};

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::lonlat_box::LonLatBox;

/// One or more polygons (with holes) in lon/lat degrees.
#[derive(Clone, Debug)]
pub struct Aoi {
    /// Where it came from, for messages and the UI.
    pub name: String,
    polygons: MultiPolygon<f64>,
    pub bbox: LonLatBox,
}

impl Aoi {
    /// A rectangle (`--bbox W,S,E,N`, or a rectangle drawn on the map).
    pub fn from_bbox(bbox: LonLatBox) -> Self {
        let ring = vec![
            (bbox.west, bbox.south),
            (bbox.east, bbox.south),
            (bbox.east, bbox.north),
            (bbox.west, bbox.north),
            (bbox.west, bbox.south),
        ];
        Self::from_rings("bbox", vec![ring])
    }

    /// Boxes as one AOI (a `--bbox` across the antimeridian is two).
    pub fn from_boxes(boxes: &[LonLatBox]) -> Self {
        if let [bbox] = boxes {
            return Self::from_bbox(*bbox);
        }
        let rings = boxes
            .iter()
            .map(|b| {
                vec![(b.west, b.south), (b.east, b.south), (b.east, b.north), (b.west, b.north), (b.west, b.south)]
            })
            .collect();
        Self::from_rings("bbox", rings)
    }

    /// A polygon from its outer ring (lon, lat), closed or not (a polygon drawn on the map).
    pub fn from_rings(name: &str, outer_rings: Vec<Vec<(f64, f64)>>) -> Self {
        let polygons = outer_rings.into_iter().map(|ring| Polygon::new(LineString::from(ring), vec![])).collect();
        Self::new(name, MultiPolygon(polygons))
    }

    /// The area a closed lon/lat ring encloses when the ring winds once around a pole (a shape drawn around the
    /// pole on a polar map): its longitudes are unwrapped along the ring, the ring is closed over the pole along the
    /// pole's latitude, and the cap is cut back into [−180°, 180°]. `north` names the pole inside.
    pub fn around_pole(name: &str, ring: &[(f64, f64)], north: bool) -> Self {
        let pole_lat = if north { 90.0 } else { -90.0 };
        let mut unwrapped: Vec<(f64, f64)> = Vec::with_capacity(ring.len() + 3);
        for &(lon, lat) in ring {
            let lon = match unwrapped.last() {
                // The shorter way round from the previous vertex.
                Some(&(previous, _)) => previous + (lon - previous + 180.0).rem_euclid(360.0) - 180.0,
                None => lon,
            };
            unwrapped.push((lon, lat));
        }
        let (Some(&first), Some(&last)) = (unwrapped.first(), unwrapped.last()) else {
            return Self::new(name, MultiPolygon(Vec::new()));
        };
        unwrapped.push((last.0, pole_lat));
        unwrapped.push((first.0, pole_lat));
        unwrapped.push(first);
        let cap = Polygon::new(LineString::from(unwrapped), vec![]);
        let world = geo::Rect::new(geo::coord! { x: -180.0, y: -90.0 }, geo::coord! { x: 180.0, y: 90.0 }).to_polygon();
        let mut parts: Vec<Polygon<f64>> = Vec::new();
        // The unwrapped cap spans 360° from wherever the ring began: two or three copies 360° apart cover
        // [−180°, 180°] once.
        for shift in [-720.0, -360.0, 0.0, 360.0, 720.0] {
            let shifted = cap.map_coords(|c| geo::coord! { x: c.x + shift, y: c.y });
            parts.extend(shifted.intersection(&world).0);
        }
        Self::new(name, MultiPolygon(parts))
    }

    pub(crate) fn new(name: &str, polygons: MultiPolygon<f64>) -> Self {
        let bbox = polygons
            .bounding_rect()
            .map_or(LonLatBox::EMPTY, |r| LonLatBox::new(r.min().x, r.min().y, r.max().x, r.max().y));
        Self { name: name.to_owned(), polygons, bbox }
    }

    pub fn polygons(&self) -> &MultiPolygon<f64> {
        &self.polygons
    }

    /// Vertices of every ring (what sizes the AOI's GeoJSON).
    pub fn num_vertices(&self) -> usize {
        use geo::CoordsIter as _;
        self.polygons.coords_count()
    }

    /// Strictly inside (a point on the boundary is outside, as in shapely's `contains`).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.bbox.contains(lon, lat) && self.polygons.contains(&Point::new(lon, lat))
    }

    /// Keeps the rows of `batch` inside the AOI.
    pub fn filter(&self, batch: PointBatch) -> Result<PointBatch> {
        let (lon, lat) = (batch.lon(), batch.lat());
        let mut bounds = LonLatBox::EMPTY;
        let keep: BooleanArray = lon
            .values()
            .iter()
            .zip(lat.values().iter())
            .map(|(&x, &y)| {
                let inside = self.contains(x, y);
                if inside {
                    bounds.extend(x, y);
                }
                Some(inside)
            })
            .collect();
        if keep.true_count() == batch.num_rows() {
            return Ok(batch);
        }
        let filtered = arrow_select::filter::filter_record_batch(&batch.batch, &keep).map_err(|e| IoError::Column {
            location: batch.source.to_string(),
            column: "geometry".into(),
            message: format!("cannot apply the AOI: {e}"),
            source: Some(Box::new(e)),
        })?;
        let rows = batch
            .rows
            .as_ref()
            .map(|rows| rows.pick(keep.iter().enumerate().filter(|(_, k)| *k == Some(true)).map(|(i, _)| i)));
        Ok(PointBatch {
            batch: filtered,
            bbox: bounds,
            source: Arc::clone(&batch.source),
            skipped: batch.skipped,
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SQUARE_WITH_HOLE: &str = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
        "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]}}"#;

    #[test]
    fn a_ring_around_the_north_pole_holds_the_cap_inside_it() {
        // A square around the pole in EPSG:3413-like fashion: its corners at 80°N, 90° of longitude apart, with
        // the antimeridian crossed on the way.
        let corners = [(-135.0, 80.0), (-45.0, 80.0), (45.0, 80.0), (135.0, 80.0)];
        let mut ring: Vec<(f64, f64)> = Vec::new();
        for i in 0..4 {
            let (a, b) = (corners[i], corners[(i + 1) % 4]);
            for step in 0..10 {
                let f = f64::from(step) / 10.0;
                let lon = a.0 + ((b.0 - a.0 + 180.0f64).rem_euclid(360.0) - 180.0) * f;
                ring.push((((lon + 180.0).rem_euclid(360.0)) - 180.0, 80.0));
            }
        }
        ring.push(ring[0]);
        let aoi = Aoi::around_pole("drawn polygon", &ring, true);
        for lon in [-179.9, -90.0, 0.0, 90.0, 179.9] {
            assert!(aoi.contains(lon, 85.0), "{lon}, 85");
            assert!(aoi.contains(lon, 89.99), "{lon}, 89.99");
            assert!(!aoi.contains(lon, 75.0), "{lon}, 75");
        }
        assert_eq!(aoi.bbox, LonLatBox::new(-180.0, 80.0, 180.0, 90.0));
        // Saved and read back, it is still the cap (every coordinate inside ±180°).
        let back = Aoi::from_geojson("cap.geojson", aoi.to_geojson().as_bytes()).unwrap();
        assert!(back.contains(170.0, 88.0) && !back.contains(170.0, 79.0));
    }

    #[test]
    fn polygons_with_holes_contain_exactly_their_area() {
        let aoi = Aoi::from_geojson("square.geojson", SQUARE_WITH_HOLE.as_bytes()).unwrap();
        assert_eq!(aoi.bbox, LonLatBox::new(0.0, 0.0, 10.0, 10.0));
        assert!(aoi.contains(1.0, 1.0));
        assert!(!aoi.contains(5.0, 5.0), "in the hole");
        assert!(!aoi.contains(11.0, 5.0));
        assert!(!aoi.contains(0.0, 5.0), "on the boundary");
    }

    #[test]
    fn geojson_written_reads_back_as_the_same_area() {
        let aoi = Aoi::from_geojson("square.geojson", SQUARE_WITH_HOLE.as_bytes()).unwrap();
        let text = aoi.to_geojson();
        let expected = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": "square.geojson"}, "geometry": {"type": "MultiPolygon", "coordinates": [[
                [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
                [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]]]}}]});
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
        let back = Aoi::from_geojson("back.geojson", text.as_bytes()).unwrap();
        assert_eq!(back.polygons(), aoi.polygons());
        // A drawn rectangle's ring is closed and its corners are the box's.
        let drawn = Aoi::from_bbox(LonLatBox::new(-1.5, 2.0, 3.0, 4.25));
        let back = Aoi::from_geojson("drawn.geojson", drawn.to_geojson().as_bytes()).unwrap();
        assert_eq!(back.bbox, LonLatBox::new(-1.5, 2.0, 3.0, 4.25));
        assert!(back.contains(0.0, 3.0) && !back.contains(3.5, 3.0));
    }

    #[test]
    fn bad_aois_are_refused_with_the_reason() {
        let cases = [
            (
                "[1, 2",
                "a.geojson: not a usable area of interest: not JSON: EOF while parsing a list at line 1 column 5",
            ),
            (
                r#"{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}"#,
                "a.geojson: not a usable area of interest: a LineString has no area: an AOI needs Polygon or \
                 MultiPolygon geometries",
            ),
            (
                r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}"#,
                "a.geojson: not a usable area of interest: a ring of 3 positions (a closed ring needs at least 4)",
            ),
            (
                r#"{"type": "FeatureCollection", "features": []}"#,
                "a.geojson: not a usable area of interest: no Polygon or MultiPolygon geometry in it",
            ),
            (
                r#"{"type": "Polygon", "crs": {"type": "name", "properties": {"name": "EPSG:3413"}},
                   "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}"#,
                "a.geojson: not a usable area of interest: its CRS is EPSG:3413; Floe reads AOIs in lon/lat degrees \
                 (CRS84)",
            ),
            (
                r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 100], [0, 0]]]}"#,
                "a.geojson: not a usable area of interest: position [1,100] is not a lon/lat pair in degrees",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Aoi::from_geojson("a.geojson", text.as_bytes()).unwrap_err().to_string(), expected);
        }
    }
}
