//! The profile's coordinate space and camera. `profile`: along-track distance (or time, or latitude) on x and
//! height on y, in the data's own units (metres, seconds, degrees), y up. Unlike the map, the two axes zoom
//! independently. Points reach the GPU as chunks of this space with f64 origins and f32 offsets, like the map's.

use crate::camera::View;
use crate::chunks::PointChunk;

/// What the profile shows: a centre and the pixels per unit of each axis, in a viewport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileCamera {
    pub centre_profile: [f64; 2],
    /// Pixels per unit of x and of y, both positive.
    pub px_per_unit: [f64; 2],
    pub viewport_px: [u32; 2],
}

impl ProfileCamera {
    /// The camera that shows the box `min`–`max` whole, with a margin of `margin` (e.g. 0.05) of the viewport on
    /// each side. A box without extent on an axis gets one unit (or a thousandth of its value) on it.
    pub fn fit(min: [f64; 2], max: [f64; 2], viewport_px: [u32; 2], margin: f64) -> Self {
        let centre_profile = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
        let usable = 1.0 - 2.0 * margin;
        let px_per_unit = [0, 1].map(|axis| {
            let span = max[axis] - min[axis];
            let span = if span > 0.0 && span.is_finite() { span } else { (centre_profile[axis].abs() * 1e-3).max(1.0) };
            f64::from(viewport_px[axis].max(1)) * usable / span
        });
        Self { centre_profile, px_per_unit, viewport_px }
    }

    /// Pixel position (origin top-left) of a profile position.
    pub fn px_from_profile(&self, profile: [f64; 2]) -> [f64; 2] {
        [
            (profile[0] - self.centre_profile[0]) * self.px_per_unit[0] + f64::from(self.viewport_px[0]) / 2.0,
            f64::from(self.viewport_px[1]) / 2.0 - (profile[1] - self.centre_profile[1]) * self.px_per_unit[1],
        ]
    }

    /// Profile position of a pixel position (origin top-left).
    pub fn profile_from_px(&self, px: [f64; 2]) -> [f64; 2] {
        [
            self.centre_profile[0] + (px[0] - f64::from(self.viewport_px[0]) / 2.0) / self.px_per_unit[0],
            self.centre_profile[1] - (px[1] - f64::from(self.viewport_px[1]) / 2.0) / self.px_per_unit[1],
        ]
    }

    /// The profile box visible in the viewport: min corner, max corner.
    pub fn visible_profile(&self) -> ([f64; 2], [f64; 2]) {
        self.view().visible_world()
    }

    /// Zooms by `factor` on each axis (above 1 zooms in) keeping the profile position under pixel `px` fixed.
    pub fn zoom_about(&mut self, px: [f64; 2], factor: [f64; 2]) {
        let fixed = self.profile_from_px(px);
        for (scale, factor) in self.px_per_unit.iter_mut().zip(factor) {
            *scale = (*scale * factor).clamp(1e-12, 1e12);
        }
        let moved = self.profile_from_px(px);
        self.centre_profile[0] += fixed[0] - moved[0];
        self.centre_profile[1] += fixed[1] - moved[1];
    }

    /// Moves the view by a drag of `delta_px` pixels (the content follows the pointer).
    pub fn pan_px(&mut self, delta_px: [f64; 2]) {
        self.centre_profile[0] -= delta_px[0] / self.px_per_unit[0];
        self.centre_profile[1] += delta_px[1] / self.px_per_unit[1];
    }

    /// What the GPU pipeline takes: y flipped so that larger heights are drawn higher.
    pub fn view(&self) -> View {
        View {
            centre_world: self.centre_profile,
            px_per_world: [self.px_per_unit[0], -self.px_per_unit[1]],
            viewport_px: self.viewport_px,
        }
    }
}

impl From<&ProfileCamera> for View {
    fn from(camera: &ProfileCamera) -> Self {
        camera.view()
    }
}

/// Points in `profile` space grouped like the map's chunks: each chunk's first point is its f64 origin (the f32
/// offsets then stay small, as a chunk covers at most a few tens of km of track). `points` are `(x, y)`; points
/// with a non-finite coordinate keep their place (values stay aligned) but lie far outside every view.
pub fn profile_chunk(points: &[[f64; 2]]) -> PointChunk {
    let origin = points.iter().copied().find(|p| p[0].is_finite() && p[1].is_finite()).unwrap_or([0.0, 0.0]);
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    let offsets = points
        .iter()
        .map(|p| {
            if p[0].is_finite() && p[1].is_finite() {
                min = [min[0].min(p[0]), min[1].min(p[1])];
                max = [max[0].max(p[0]), max[1].max(p[1])];
                [(p[0] - origin[0]) as f32, (p[1] - origin[1]) as f32]
            } else {
                [f32::NAN, f32::NAN]
            }
        })
        .collect();
    if min[0] > max[0] {
        (min, max) = (origin, origin);
    }
    PointChunk { origin_world: origin, offsets, min_world: min, max_world: max }
}

/// Round tick values for an axis showing `lo`–`hi` with about `target` ticks: steps of 1, 2 or 5 × 10^k.
pub fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 || target == 0 {
        return Vec::new();
    }
    let raw = span / target as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).take(1000).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_maps_both_ways_with_y_up() {
        let camera = ProfileCamera::fit([1000.0, 10.0], [3000.0, 50.0], [400, 200], 0.0);
        assert_eq!(camera.px_from_profile([1000.0, 10.0]), [0.0, 200.0]);
        assert_eq!(camera.px_from_profile([3000.0, 50.0]), [400.0, 0.0]);
        assert_eq!(camera.profile_from_px([200.0, 100.0]), [2000.0, 30.0]);
        let mut zoomed = camera;
        zoomed.zoom_about([100.0, 50.0], [4.0, 1.0]);
        assert_eq!(zoomed.profile_from_px([100.0, 50.0]), camera.profile_from_px([100.0, 50.0]));
        assert_eq!(zoomed.px_per_unit, [0.8, 5.0]);
        let (min, max) = camera.visible_profile();
        assert_eq!((min, max), ([1000.0, 10.0], [3000.0, 50.0]));
    }

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(-3.0, 47.0, 5), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(ticks(1_234_567.0, 1_234_569.5, 3), vec![1_234_567.0, 1_234_568.0, 1_234_569.0]);
        assert!(ticks(5.0, 5.0, 4).is_empty());
    }

    #[test]
    fn one_centimetre_survives_four_thousand_kilometres() {
        // A chunk 30 km long, 4,000 km along the track: offsets from its own origin keep centimetres.
        let points: Vec<[f64; 2]> = (0..3000).map(|i| [4.0e6 + f64::from(i) * 10.0 + 0.01, 1234.56]).collect();
        let chunk = profile_chunk(&points);
        let back = chunk.origin_world[0] + f64::from(chunk.offsets[2999][0]);
        assert!((back - points[2999][0]).abs() < 0.003, "{back}");
        assert_eq!(chunk.min_world, [4.0e6 + 0.01, 1234.56]);
    }
}
