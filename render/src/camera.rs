//! Coordinate spaces and the view.
//!
//! `lonlat`: degrees. `world`: a normalised plane, [0,1]² for the map, y down (walkers' convention, whose world
//! is 256·2^zoom points wide): Web Mercator here, the polar stereographic views in `projection.rs`
//! (which builds on this module, not the other way round).
//! `px`: physical pixels of the viewport, origin top-left. All CPU maths is f64.

/// Web Mercator's latitude limit: the map's square ends here.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Points are clamped this close to the poles only (where Mercator is infinite): those beyond the map's edge keep
/// distinct positions, so that they can be projected again into a polar view.
const POLE_CLAMP_LATITUDE: f64 = 89.999_999_9;

/// Normalised Web Mercator from lon/lat degrees. Latitudes beyond ±85.05° fall outside [0,1] (off the map).
pub fn world_from_lonlat(lon: f64, lat: f64) -> [f64; 2] {
    // ln(tan φ + sec φ) = ½ ln((1 + sin φ) / (1 − sin φ)): one sine and one log instead of tan, cos and log.
    let sin = lat.clamp(-POLE_CLAMP_LATITUDE, POLE_CLAMP_LATITUDE).to_radians().sin();
    let x = (lon + 180.0) / 360.0;
    let y = 0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * std::f64::consts::PI);
    [x, y]
}

/// Lon/lat degrees from normalised Web Mercator.
pub fn lonlat_from_world(world: [f64; 2]) -> [f64; 2] {
    let lon = world[0] * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * world[1])).sinh().atan().to_degrees();
    [lon, lat]
}

/// What the GPU draws: a centre, signed pixels per world unit on each axis (a negative y puts larger y higher on
/// the screen, as in the profile) and the viewport. The map's [`Camera`] and the profile's camera both reduce to
/// one, so that one pipeline draws both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub centre_world: [f64; 2],
    pub px_per_world: [f64; 2],
    pub viewport_px: [u32; 2],
}

impl View {
    /// The world box visible in the viewport: min corner, max corner.
    pub fn visible_world(&self) -> ([f64; 2], [f64; 2]) {
        let half = [
            f64::from(self.viewport_px[0]) / 2.0 / self.px_per_world[0].abs(),
            f64::from(self.viewport_px[1]) / 2.0 / self.px_per_world[1].abs(),
        ];
        (
            [self.centre_world[0] - half[0], self.centre_world[1] - half[1]],
            [self.centre_world[0] + half[0], self.centre_world[1] + half[1]],
        )
    }
}

impl From<&Camera> for View {
    fn from(camera: &Camera) -> Self {
        let scale = camera.px_per_world();
        Self { centre_world: camera.centre_world, px_per_world: [scale, scale], viewport_px: camera.viewport_px }
    }
}

/// What is on screen: a centre, a zoom (walkers' scale) and the viewport in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    pub centre_world: [f64; 2],
    /// Zoom as in slippy maps: the world is 256·2^zoom points wide.
    pub zoom: f64,
    pub viewport_px: [u32; 2],
    pub pixels_per_point: f64,
}

impl Camera {
    /// Pixels per world unit.
    pub fn px_per_world(&self) -> f64 {
        256.0 * self.zoom.exp2() * self.pixels_per_point
    }

    /// Pixel position (origin top-left) of a world position.
    pub fn px_from_world(&self, world: [f64; 2]) -> [f64; 2] {
        let scale = self.px_per_world();
        [
            (world[0] - self.centre_world[0]) * scale + f64::from(self.viewport_px[0]) / 2.0,
            (world[1] - self.centre_world[1]) * scale + f64::from(self.viewport_px[1]) / 2.0,
        ]
    }

    /// World position of a pixel position (origin top-left).
    pub fn world_from_px(&self, px: [f64; 2]) -> [f64; 2] {
        let scale = self.px_per_world();
        [
            self.centre_world[0] + (px[0] - f64::from(self.viewport_px[0]) / 2.0) / scale,
            self.centre_world[1] + (px[1] - f64::from(self.viewport_px[1]) / 2.0) / scale,
        ]
    }

    pub fn px_from_lonlat(&self, lon: f64, lat: f64) -> [f64; 2] {
        self.px_from_world(world_from_lonlat(lon, lat))
    }

    /// The world box visible in the viewport: min corner, max corner.
    pub fn visible_world(&self) -> ([f64; 2], [f64; 2]) {
        let scale = self.px_per_world();
        let half = [f64::from(self.viewport_px[0]) / 2.0 / scale, f64::from(self.viewport_px[1]) / 2.0 / scale];
        (
            [self.centre_world[0] - half[0], self.centre_world[1] - half[1]],
            [self.centre_world[0] + half[0], self.centre_world[1] + half[1]],
        )
    }

    /// The camera that shows a lon/lat box (W, S, E, N) of the Web Mercator map whole, with a margin of `margin`
    /// (e.g. 0.05).
    pub fn fit_lonlat_box(bbox: [f64; 4], viewport_px: [u32; 2], pixels_per_point: f64, margin: f64) -> Self {
        let a = world_from_lonlat(bbox[0], bbox[3]);
        let b = world_from_lonlat(bbox[2], bbox[1]);
        Self::fit_world_box(a, b, viewport_px, pixels_per_point, margin)
    }

    /// The camera that shows the world box between corners `a` and `b` whole, with a margin.
    pub fn fit_world_box(a: [f64; 2], b: [f64; 2], viewport_px: [u32; 2], pixels_per_point: f64, margin: f64) -> Self {
        let centre_world = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        let span = [(b[0] - a[0]).abs().max(1e-9), (b[1] - a[1]).abs().max(1e-9)];
        let usable = 1.0 - 2.0 * margin;
        let fit = |px: u32, span: f64| (f64::from(px) * usable / (span * 256.0 * pixels_per_point)).log2();
        let zoom = fit(viewport_px[0], span[0]).min(fit(viewport_px[1], span[1])).clamp(0.0, 24.0);
        Self { centre_world, zoom, viewport_px, pixels_per_point }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mercator_round_trip_and_known_values() {
        assert_eq!(world_from_lonlat(0.0, 0.0), [0.5, 0.5]);
        // Against the textbook formula y = (1 − ln(tan φ + sec φ)/π)/2.
        for lat in [-80.0f64, -45.5, -0.001, 12.345678, 62.9, 85.0] {
            let phi = lat.to_radians();
            let textbook = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0;
            assert!((world_from_lonlat(10.0, lat)[1] - textbook).abs() < 1e-14, "{lat}");
        }
        assert_eq!(world_from_lonlat(-180.0, 0.0)[0], 0.0);
        assert!(world_from_lonlat(0.0, MAX_LATITUDE)[1].abs() < 1e-12);
        let [lon, lat] = lonlat_from_world(world_from_lonlat(-45.123456789, 62.987654321));
        assert!((lon + 45.123456789).abs() < 1e-12 && (lat - 62.987654321).abs() < 1e-12);
    }

    #[test]
    fn fitted_camera_shows_the_box() {
        let camera = Camera::fit_lonlat_box([-46.0, 62.0, -44.0, 63.0], [800, 600], 1.0, 0.05);
        let [x0, y0] = camera.px_from_lonlat(-46.0, 63.0);
        let [x1, y1] = camera.px_from_lonlat(-44.0, 62.0);
        assert!(x0 >= 39.0 && x1 <= 761.0 && y0 >= 29.0 && y1 <= 571.0);
        assert!((x0 - 40.0).abs() < 1e-6 || (y0 - 30.0).abs() < 1e-6, "fits the tighter axis exactly");
    }
}
