//! Where lon/lat is on the screen, for whatever map is shown: walkers' Web Mercator projector or the polar view's
//! camera. The AOI tool and outline draw through this, so they work the same on every map.

use egui::Pos2;
use floe_render::{Camera, Projection};

pub trait MapScreen {
    /// The ui position of a lon/lat.
    fn ui_from_lonlat(&self, lonlat: (f64, f64)) -> Pos2;
    /// The lon/lat under a ui position.
    fn lonlat_from_ui(&self, ui: Pos2) -> (f64, f64);
    /// Whether lines of constant latitude and longitude are the screen's axes (Web Mercator): a rectangle
    /// drawn on screen is then a lon/lat box. In a polar view they are circles and rays.
    fn is_lonlat_aligned(&self) -> bool;
    /// Where the pole of a polar view is on screen, and whether it is the north pole.
    fn pole(&self) -> Option<(Pos2, bool)> {
        None
    }
}

impl MapScreen for walkers::Projector<'_> {
    fn ui_from_lonlat(&self, (lon, lat): (f64, f64)) -> Pos2 {
        self.project(walkers::lon_lat(lon, lat)).to_pos2()
    }

    fn lonlat_from_ui(&self, ui: Pos2) -> (f64, f64) {
        let position = self.unproject(ui.to_vec2());
        (position.x(), position.y())
    }

    fn is_lonlat_aligned(&self) -> bool {
        true
    }
}

/// A polar view's camera placed in a ui rectangle.
pub struct PolarScreen {
    pub projection: Projection,
    pub camera: Camera,
    /// The map's rectangle in ui points.
    pub rect: egui::Rect,
}

impl MapScreen for PolarScreen {
    fn ui_from_lonlat(&self, (lon, lat): (f64, f64)) -> Pos2 {
        self.ui_from_world(self.projection.world_from_lonlat(lon, lat))
    }

    fn lonlat_from_ui(&self, ui: Pos2) -> (f64, f64) {
        let [lon, lat] = self.projection.lonlat_from_world(self.world_from_ui(ui));
        (lon, lat)
    }

    fn is_lonlat_aligned(&self) -> bool {
        false
    }

    fn pole(&self) -> Option<(Pos2, bool)> {
        let north = self.projection == Projection::North;
        Some((self.ui_from_lonlat((0.0, if north { 90.0 } else { -90.0 })), north))
    }
}

impl PolarScreen {
    /// The ui position of a world position of the view's projection.
    pub fn ui_from_world(&self, world: [f64; 2]) -> Pos2 {
        let [x, y] = self.camera.px_from_world(world);
        let ppp = self.camera.pixels_per_point;
        self.rect.min + egui::vec2((x / ppp) as f32, (y / ppp) as f32)
    }

    /// The world position (of the view's projection) under a ui position.
    pub fn world_from_ui(&self, ui: Pos2) -> [f64; 2] {
        self.camera.world_from_px(self.px_of(ui))
    }

    /// Physical pixels of a ui position, from the map's top-left corner.
    fn px_of(&self, ui: Pos2) -> [f64; 2] {
        let ppp = self.camera.pixels_per_point;
        [f64::from(ui.x - self.rect.min.x) * ppp, f64::from(ui.y - self.rect.min.y) * ppp]
    }
}

/// Whether `point` is inside the polygon with these corners (even-odd rule).
pub fn inside(corners: &[Pos2], point: Pos2) -> bool {
    let mut inside = false;
    for (i, a) in corners.iter().enumerate() {
        let b = corners[(i + 1) % corners.len()];
        if (a.y > point.y) != (b.y > point.y) && point.x < a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x) {
            inside = !inside;
        }
    }
    inside
}

/// Points along the straight screen segment from `a` to `b` (both ends included), as lon/lat: a shape drawn on a
/// polar view keeps its on-screen edges when it becomes a lon/lat polygon.
pub fn densified_lonlat(screen: &dyn MapScreen, a: Pos2, b: Pos2, steps: usize) -> Vec<(f64, f64)> {
    (0..=steps).map(|i| screen.lonlat_from_ui(a.lerp(b, i as f32 / steps as f32))).collect()
}
