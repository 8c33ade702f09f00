//! Map projections: which plane `world` coordinates live in.
//!
//! `world` is always a normalised plane, [0,1]² around the map's centre, y down, so that the camera, the chunk
//! origins and the zoom scale (256·2^zoom points per world unit) are the same for every projection:
//! - [`Projection::Mercator`]: Web Mercator (walkers' world), as [`crate::world_from_lonlat`].
//! - [`Projection::North`] (EPSG:3413) and [`Projection::South`] (EPSG:3031): the ellipsoidal polar stereographic
//!   of EPSG (variant B: a latitude of true scale) on WGS 84, in projected metres (`polar`) scaled by the
//!   equator's length, so one world unit is as many metres as in Web Mercator at the equator:
//!   `world = (0.5 + x / C, 0.5 − y / C)` with `C = 2π·a`.
//!
//! All maths is f64; forward and inverse agree with PROJ (pyproj) to well under a millimetre.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use crate::chunks::PointChunk;

/// WGS 84 semi-major axis (m).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS 84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Metres per world unit in the polar views: the equator's length, as in Web Mercator.
pub const METRES_PER_WORLD: f64 = 2.0 * PI * WGS84_A;

/// The map's projection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Web Mercator (EPSG:3857), the slippy-map plane; latitudes beyond ±85.05° are clamped.
    #[default]
    Mercator,
    /// NSIDC Sea Ice Polar Stereographic North (EPSG:3413): latitude of true scale 70°N, central meridian −45°.
    North,
    /// Antarctic Polar Stereographic (EPSG:3031): latitude of true scale 71°S, central meridian 0°.
    South,
}

impl Projection {
    pub const ALL: [Projection; 3] = [Projection::Mercator, Projection::North, Projection::South];

    /// The name used on the command line, in the web page's `?projection=` and in the UI.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Mercator => "mercator",
            Projection::North => "north",
            Projection::South => "south",
        }
    }

    /// How the UI labels it.
    pub fn label(self) -> &'static str {
        match self {
            Projection::Mercator => "Web Mercator",
            Projection::North => "North polar stereographic (EPSG:3413)",
            Projection::South => "South polar stereographic (EPSG:3031)",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The view a set of points needs: a pole's when the whole lon/lat box (W, S, E, N) is poleward of 60°,
    /// Web Mercator otherwise (and for no points at all).
    pub fn for_lonlat_box(bbox: [f64; 4]) -> Self {
        let [_, south, _, north] = bbox;
        // An empty box (no points: infinite corners, or NaN) is Web Mercator.
        if south.partial_cmp(&north).is_none_or(|order| order == std::cmp::Ordering::Greater) {
            Projection::Mercator
        } else if south >= 60.0 {
            Projection::North
        } else if north <= -60.0 {
            Projection::South
        } else {
            Projection::Mercator
        }
    }

    fn polar(self) -> Option<PolarStereographic> {
        match self {
            Projection::Mercator => None,
            Projection::North => Some(PolarStereographic::EPSG_3413),
            Projection::South => Some(PolarStereographic::EPSG_3031),
        }
    }

    /// Normalised world coordinates of lon/lat degrees.
    pub fn world_from_lonlat(self, lon: f64, lat: f64) -> [f64; 2] {
        match self.polar() {
            None => crate::camera::world_from_lonlat(lon, lat),
            Some(polar) => world_from_polar(polar.polar_from_lonlat(lon, lat)),
        }
    }

    /// Lon/lat degrees of normalised world coordinates.
    pub fn lonlat_from_world(self, world: [f64; 2]) -> [f64; 2] {
        match self.polar() {
            None => crate::camera::lonlat_from_world(world),
            Some(polar) => polar.lonlat_from_polar(polar_from_world(world)),
        }
    }

    /// A world position of the `from` projection in this one (through lon/lat).
    pub fn world_from_world_of(self, from: Projection, world: [f64; 2]) -> [f64; 2] {
        if from == self {
            return world;
        }
        if let (Projection::Mercator, Some(polar)) = (from, self.polar()) {
            return world_from_polar(polar.polar_from_mercator_world(world));
        }
        let [lon, lat] = from.lonlat_from_world(world);
        self.world_from_lonlat(lon, lat)
    }

    /// The world box (min, max corners) that holds a lon/lat box (W, S, E, N) as this projection draws it: its
    /// edges are followed in small steps (parallels are circles in the polar views), and a box that reaches a
    /// pole holds it.
    pub fn world_box_of_lonlat_box(self, bbox: [f64; 4]) -> ([f64; 2], [f64; 2]) {
        const STEPS: usize = 90;
        let [west, south, east, north] = bbox;
        let east = if east < west { east + 360.0 } else { east };
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        let mut add = |lon: f64, lat: f64| {
            let p = self.world_from_lonlat(lon, lat);
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        };
        for i in 0..=STEPS {
            let f = i as f64 / STEPS as f64;
            let lon = west + (east - west) * f;
            let lat = south + (north - south) * f;
            add(lon, south);
            add(lon, north);
            add(west, lat);
            add(east, lat);
        }
        // A parallel is a circle in the polar views: its extremes lie on the meridians 0°, 90°, 180° and 270°
        // from the central one, which the steps above may straddle.
        if let Some(polar) = self.polar() {
            for k in -8..=8 {
                let lon = polar.lon_0 + f64::from(k) * 90.0;
                if (west..=east).contains(&lon) {
                    add(lon, south);
                    add(lon, north);
                }
            }
        }
        if self == Projection::North && north >= 90.0 || self == Projection::South && south <= -90.0 {
            add(0.0, if self == Projection::North { 90.0 } else { -90.0 });
        }
        (min, max)
    }

    /// Projected metres (EPSG:3413/3031 easting, northing) of lon/lat degrees; `None` for Web Mercator.
    pub fn polar_from_lonlat(self, lon: f64, lat: f64) -> Option<[f64; 2]> {
        self.polar().map(|p| p.polar_from_lonlat(lon, lat))
    }
}

/// A chunk's points moved from the `from` projection's world into `to`'s, one chunk for one (values, beams and
/// visibility keep their chunk index): the new origin is the old one projected, offsets are taken from it again.
/// Ground precision is kept: a chunk's world extent and its world unit grow or shrink together.
pub fn reproject_chunk(chunk: &PointChunk, from: Projection, to: Projection) -> PointChunk {
    let origin = to.world_from_world_of(from, chunk.origin_world);
    let mut min = origin;
    let mut max = origin;
    let offsets = chunk
        .offsets
        .iter()
        .map(|o| {
            let world = [chunk.origin_world[0] + f64::from(o[0]), chunk.origin_world[1] + f64::from(o[1])];
            let p = to.world_from_world_of(from, world);
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
            [(p[0] - origin[0]) as f32, (p[1] - origin[1]) as f32]
        })
        .collect();
    PointChunk { origin_world: origin, offsets, min_world: min, max_world: max }
}

/// [`reproject_chunk`] for many chunks, spread over the machine's cores (one thread where there are no threads,
/// as in the browser, where `available_parallelism` is an error).
pub fn reproject_chunks(chunks: &[PointChunk], from: Projection, to: Projection) -> Vec<PointChunk> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(chunks.len().max(1));
    if threads <= 1 {
        return chunks.iter().map(|c| reproject_chunk(c, from, to)).collect();
    }
    let per_thread = chunks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = chunks
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(|c| reproject_chunk(c, from, to)).collect::<Vec<_>>()))
            .collect();
        // A panicking worker (none is expected: the maths has no panics) leaves those chunks where they were.
        parts
            .into_iter()
            .zip(chunks.chunks(per_thread))
            .flat_map(|(handle, part)| handle.join().unwrap_or_else(|_| part.to_vec()))
            .collect()
    })
}

/// World coordinates of polar projected metres.
pub fn world_from_polar([x, y]: [f64; 2]) -> [f64; 2] {
    [0.5 + x / METRES_PER_WORLD, 0.5 - y / METRES_PER_WORLD]
}

/// Polar projected metres of world coordinates.
pub fn polar_from_world([wx, wy]: [f64; 2]) -> [f64; 2] {
    [(wx - 0.5) * METRES_PER_WORLD, (0.5 - wy) * METRES_PER_WORLD]
}

/// The ellipsoidal polar stereographic, EPSG method 9829 (variant B), as in EPSG Guidance Note 7-2 §3.2.2.
#[derive(Clone, Copy, Debug)]
struct PolarStereographic {
    /// +1 north, −1 south.
    hemisphere: f64,
    /// Latitude of true scale (degrees, positive toward the pole).
    lat_ts: f64,
    /// Longitude of origin (degrees).
    lon_0: f64,
}

impl PolarStereographic {
    const EPSG_3413: Self = Self { hemisphere: 1.0, lat_ts: 70.0, lon_0: -45.0 };
    const EPSG_3031: Self = Self { hemisphere: -1.0, lat_ts: 71.0, lon_0: 0.0 };

    fn e() -> f64 {
        (WGS84_F * (2.0 - WGS84_F)).sqrt()
    }

    /// t of the guidance note for a latitude φ (radians, positive toward the pole).
    fn t(phi: f64) -> f64 {
        let e = Self::e();
        let s = e * phi.sin();
        (FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
    }

    /// ρ / t: the radius per unit of t, fixed by the latitude of true scale.
    fn scale(self) -> f64 {
        static NORTH: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
        static SOUTH: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
        let cell = if self.hemisphere > 0.0 { &NORTH } else { &SOUTH };
        *cell.get_or_init(|| self.compute_scale())
    }

    fn compute_scale(self) -> f64 {
        let e = Self::e();
        let phi_c = self.lat_ts.to_radians();
        let m_c = phi_c.cos() / (1.0 - e * e * phi_c.sin().powi(2)).sqrt();
        WGS84_A * m_c / Self::t(phi_c)
    }

    fn polar_from_lonlat(self, lon: f64, lat: f64) -> [f64; 2] {
        let h = self.hemisphere;
        let rho = self.scale() * Self::t((h * lat).to_radians());
        let theta = (lon - self.lon_0).to_radians();
        // North: x = ρ sin θ, y = −ρ cos θ. South: x = ρ sin θ, y = +ρ cos θ.
        [rho * theta.sin(), -h * rho * theta.cos()]
    }

    /// Polar metres straight from Web Mercator world coordinates, without going through degrees: Web Mercator's
    /// y is the sphere's isometric latitude ψ, for which tan(π/4 − φ/2) = e^−ψ and sin φ = tanh ψ, so the polar
    /// radius needs one exponential, one tanh and one power instead of sinh, atan, sin, tan and a power. The
    /// projection switch's hot path (`scripts/bench-projection`).
    fn polar_from_mercator_world(self, [wx, wy]: [f64; 2]) -> [f64; 2] {
        let h = self.hemisphere;
        let e = Self::e();
        let psi = h * PI * (1.0 - 2.0 * wy);
        let s = psi.tanh();
        let t = (-psi).exp() * ((1.0 + e * s) / (1.0 - e * s)).powf(e / 2.0);
        let rho = self.scale() * t;
        let (sin, cos) = (wx * 2.0 * PI - PI - self.lon_0.to_radians()).sin_cos();
        [rho * sin, -h * rho * cos]
    }

    fn lonlat_from_polar(self, [x, y]: [f64; 2]) -> [f64; 2] {
        let h = self.hemisphere;
        let e = Self::e();
        let rho = x.hypot(y);
        let t = rho / self.scale();
        // φ from the conformal latitude χ by EPSG's series (Guidance Note 7-2, §3.2.2): no iteration, and exact
        // to ~1e-13 rad for WGS 84. The multiple angles come from one sine and cosine.
        let chi = FRAC_PI_2 - 2.0 * t.atan();
        let (e2, e4, e6, e8) = (e * e, e.powi(4), e.powi(6), e.powi(8));
        let (s2, c2) = (2.0 * chi).sin_cos();
        let (s4, c4) = (2.0 * s2 * c2, 1.0 - 2.0 * s2 * s2);
        let s6 = s4 * c2 + c4 * s2;
        let s8 = 2.0 * s4 * c4;
        let phi = chi
            + (e2 / 2.0 + 5.0 * e4 / 24.0 + e6 / 12.0 + 13.0 * e8 / 360.0) * s2
            + (7.0 * e4 / 48.0 + 29.0 * e6 / 240.0 + 811.0 * e8 / 11520.0) * s4
            + (7.0 * e6 / 120.0 + 81.0 * e8 / 1120.0) * s6
            + (4279.0 * e8 / 161_280.0) * s8;
        let theta = if rho == 0.0 { 0.0 } else { x.atan2(-h * y) };
        let lon = wrap_degrees(self.lon_0 + theta.to_degrees());
        [lon, h * phi.to_degrees()]
    }
}

/// Longitude in (−180, 180].
fn wrap_degrees(lon: f64) -> f64 {
    let wrapped = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if wrapped == -180.0 { 180.0 } else { wrapped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poles_are_the_origin_and_true_scale_is_where_epsg_puts_it() {
        assert_eq!(Projection::North.polar_from_lonlat(123.0, 90.0).map(|p| p.map(f64::abs)), Some([0.0, 0.0]));
        assert_eq!(Projection::South.polar_from_lonlat(-7.0, -90.0).map(|p| p.map(f64::abs)), Some([0.0, 0.0]));
        // On the central meridian, north of the pole is straight down the map (y < 0) in EPSG:3413.
        let [x, y] = Projection::North.polar_from_lonlat(-45.0, 80.0).unwrap();
        assert!(x.abs() < 1e-9 && y < 0.0);
        // EPSG:3031: longitude 90°E lies along +x, 0° along +y.
        let [x, y] = Projection::South.polar_from_lonlat(90.0, -80.0).unwrap();
        assert!(x > 0.0 && y.abs() < 1e-6);
    }

    #[test]
    fn inverse_undoes_forward() {
        for projection in [Projection::North, Projection::South] {
            let h = if projection == Projection::North { 1.0 } else { -1.0 };
            for lat in [60.0, 70.0, 71.0, 80.5, 87.3, 89.999_999] {
                for lon in [-179.9, -45.0, 0.0, 33.3, 135.0, 180.0] {
                    let world = projection.world_from_lonlat(lon, h * lat);
                    let [back_lon, back_lat] = projection.lonlat_from_world(world);
                    assert!((back_lat - h * lat).abs() < 1e-10, "{projection:?} {lon} {lat}: {back_lat}");
                    // Longitude matters less toward the pole: compare the distance it makes along the parallel.
                    let dlon = (back_lon - lon).rem_euclid(360.0);
                    let along_parallel = dlon.min(360.0 - dlon) * lat.to_radians().cos();
                    assert!(along_parallel < 1e-9, "{projection:?} {lon} {lat}: {back_lon}");
                }
            }
        }
    }

    #[test]
    fn a_box_around_the_pole_is_a_square_around_the_origin() {
        let (min, max) = Projection::North.world_box_of_lonlat_box([-180.0, 80.0, 180.0, 90.0]);
        let centre = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
        assert!((centre[0] - 0.5).abs() < 1e-6 && (centre[1] - 0.5).abs() < 1e-6, "{centre:?}");
        // The 80° parallel's radius: the box is as wide as its diameter.
        let [x, _] = Projection::North.polar_from_lonlat(45.0, 80.0).unwrap();
        assert!(((max[0] - min[0]) * METRES_PER_WORLD - 2.0 * x).abs() < 1.0);
        // Through lon/lat and back: a Mercator position lands where the polar projection puts its lon/lat.
        let mercator = Projection::Mercator.world_from_lonlat(-40.0, 72.5);
        let polar = Projection::North.world_from_world_of(Projection::Mercator, mercator);
        let direct = Projection::North.world_from_lonlat(-40.0, 72.5);
        assert!((polar[0] - direct[0]).abs() < 1e-12 && (polar[1] - direct[1]).abs() < 1e-12);
    }

    #[test]
    fn chunks_move_between_projections_and_back_to_the_millimetre() {
        // A 1 km track near 80°N, in Web Mercator as the loader makes it.
        let lonlat: Vec<[f64; 2]> = (0..1000).map(|i| [-40.0 + i as f64 * 4e-5, 80.0 + i as f64 * 8e-6]).collect();
        let world: Vec<[f64; 2]> = lonlat.iter().map(|p| Projection::Mercator.world_from_lonlat(p[0], p[1])).collect();
        let (chunk, _) = crate::chunks::chunk_world_points(&world).remove(0);
        let north = reproject_chunk(&chunk, Projection::Mercator, Projection::North);
        let back = reproject_chunk(&north, Projection::North, Projection::Mercator);
        for (i, p) in lonlat.iter().enumerate() {
            let at = |c: &PointChunk| {
                [c.origin_world[0] + f64::from(c.offsets[i][0]), c.origin_world[1] + f64::from(c.offsets[i][1])]
            };
            let polar = polar_from_world(at(&north));
            let expected = Projection::North.polar_from_lonlat(p[0], p[1]).unwrap();
            assert!((polar[0] - expected[0]).hypot(polar[1] - expected[1]) < 1e-3, "point {i}");
            let [lon, lat] = Projection::Mercator.lonlat_from_world(at(&back));
            assert!((lon - p[0]).abs() < 1e-7 && (lat - p[1]).abs() < 1e-8, "point {i}");
        }
        assert!(north.min_world[0] <= north.max_world[0] && north.max_world[0] - north.min_world[0] < 1e-4);
    }

    #[test]
    fn automatic_choice_needs_every_point_poleward_of_60() {
        assert_eq!(Projection::for_lonlat_box([-60.0, 61.0, -20.0, 84.0]), Projection::North);
        assert_eq!(Projection::for_lonlat_box([-180.0, -90.0, 180.0, -62.0]), Projection::South);
        assert_eq!(Projection::for_lonlat_box([-60.0, 59.0, -20.0, 84.0]), Projection::Mercator);
        assert_eq!(
            Projection::for_lonlat_box([f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY]),
            Projection::Mercator
        );
        assert_eq!(Projection::from_name("North"), Some(Projection::North));
        assert_eq!(Projection::from_name("polar"), None);
    }
}
