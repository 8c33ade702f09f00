//! The profile's axes: tick values and their labels in the units people read (km along the track, UTC clock
//! times, degrees), shared by the viewer's profile panel (drawn with egui) and `floe profile`'s PNG (drawn on a
//! [`Canvas`]).

use floe_render::ProfileCamera;
use floe_render::profile::ticks;

use crate::annotate::{Anchor, Canvas, GRID, INK};
use crate::points::format_utc;
use crate::profile::XAxis;

/// How an axis's values read.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The quantity: `x_atc`, `h_ph`, …
    pub name: String,
    pub unit: Option<String>,
    /// Values are seconds since 1970 (shown as UTC clock times).
    pub is_time: bool,
}

impl Axis {
    /// The x axis of a profile.
    pub fn x(x_axis: XAxis, geodesic: bool) -> Self {
        match x_axis {
            XAxis::AlongTrack if geodesic => {
                Axis { name: "along-track distance (geodesic)".into(), unit: Some("m".into()), is_time: false }
            }
            XAxis::AlongTrack => Axis { name: "x_atc".into(), unit: Some("m".into()), is_time: false },
            XAxis::Time => Axis { name: "time".into(), unit: None, is_time: true },
            XAxis::Latitude => Axis { name: "latitude".into(), unit: Some("°".into()), is_time: false },
        }
    }

    /// Metres spanning more than 5 km read better in km.
    fn in_km(&self, lo: f64, hi: f64) -> bool {
        self.unit.as_deref().is_some_and(|u| u == "m" || u == "meters" || u == "metres") && (hi - lo).abs() > 5_000.0
    }

    /// The axis title for the visible range `lo`–`hi` (a time axis names the date of `lo`).
    pub fn title(&self, lo: f64, hi: f64) -> String {
        if self.is_time {
            let date = format_utc(lo);
            return format!("{} [UTC, {}]", self.name, date.split(' ').next().unwrap_or(&date));
        }
        match &self.unit {
            Some(_) if self.in_km(lo, hi) => format!("{} [km]", self.name),
            Some(unit) => format!("{} [{unit}]", self.name),
            None => self.name.clone(),
        }
    }

    /// Tick values and labels for the visible range `lo`–`hi`, about `target` of them.
    pub fn ticks(&self, lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
        let km = self.in_km(lo, hi);
        let scale = if km { 1000.0 } else { 1.0 };
        let values: Vec<f64> = ticks(lo / scale, hi / scale, target).into_iter().map(|v| v * scale).collect();
        let step = match values.as_slice() {
            [a, b, ..] => (b - a) / scale,
            _ => 1.0,
        };
        let decimals = if step > 0.0 { (-step.log10().floor()).max(0.0) as usize } else { 0 };
        values
            .into_iter()
            .map(|v| {
                let label = if self.is_time {
                    let clock = format_utc(v);
                    clock.split(' ').nth(1).unwrap_or(&clock).to_owned()
                } else {
                    format!("{:.*}", decimals.min(9), v / scale)
                };
                (v, label)
            })
            .collect()
    }
}

/// Pixels around the plot area of a profile image: left (y labels), right, top, bottom (x labels).
pub const MARGINS: [u32; 4] = [78, 120, 30, 52];
const FONT_PX: f32 = 13.0;

/// Draws the grid, frame, ticks, tick labels and titles of a profile whose points fill `plot` (x0, y0, x1, y1 in
/// the canvas), drawn with `camera` (whose viewport is the plot area). The grid goes under the points: call this
/// before blitting them only if they are drawn over a transparent background; otherwise call
/// [`draw_profile_grid`] first.
pub fn draw_profile_axes(canvas: &mut Canvas, plot: [i64; 4], camera: &ProfileCamera, x: &Axis, y: &Axis) {
    let [x0, y0, x1, y1] = plot;
    let (min, max) = camera.visible_profile();
    canvas.stroke_rect(x0 - 1, y0 - 1, x1, y1, INK);
    let [x_ticks, y_ticks] = tick_targets(plot);
    for (value, label) in x.ticks(min[0], max[0], x_ticks) {
        let px = x0 + camera.px_from_profile([value, camera.centre_profile[1]])[0].round() as i64;
        canvas.fill_rect(px, y1, px + 1, y1 + 5, INK);
        canvas.text(&label, px as f32, y1 as f32 + 7.0, FONT_PX, INK, Anchor::Top);
    }
    for (value, label) in y.ticks(min[1], max[1], y_ticks) {
        let py = y0 + camera.px_from_profile([camera.centre_profile[0], value])[1].round() as i64;
        canvas.fill_rect(x0 - 6, py, x0 - 1, py + 1, INK);
        canvas.text(&label, x0 as f32 - 9.0, py as f32, FONT_PX, INK, Anchor::Right);
    }
    canvas.text(&x.title(min[0], max[0]), (x0 + x1) as f32 / 2.0, y1 as f32 + 27.0, FONT_PX, INK, Anchor::Top);
    canvas.text_vertical(&y.title(min[1], max[1]), 14.0, (y0 + y1) as f32 / 2.0, FONT_PX, INK);
}

/// About one x tick per 110 pixels and one y tick per 55.
pub fn tick_targets([x0, y0, x1, y1]: [i64; 4]) -> [usize; 2] {
    [((x1 - x0) / 110).clamp(2, 12) as usize, ((y1 - y0) / 55).clamp(2, 10) as usize]
}

/// Grid lines at the ticks, inside `plot`.
pub fn draw_profile_grid(canvas: &mut Canvas, plot: [i64; 4], camera: &ProfileCamera, x: &Axis, y: &Axis) {
    let [x0, y0, x1, y1] = plot;
    let (min, max) = camera.visible_profile();
    let [x_ticks, y_ticks] = tick_targets(plot);
    for (value, _) in x.ticks(min[0], max[0], x_ticks) {
        let px = x0 + camera.px_from_profile([value, camera.centre_profile[1]])[0].round() as i64;
        canvas.fill_rect(px, y0, px + 1, y1, GRID);
    }
    for (value, _) in y.ticks(min[1], max[1], y_ticks) {
        let py = y0 + camera.px_from_profile([camera.centre_profile[0], value])[1].round() as i64;
        canvas.fill_rect(x0, py, x1, py + 1, GRID);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn along_track_ticks_switch_to_km() {
        let axis = Axis::x(XAxis::AlongTrack, false);
        assert_eq!(axis.title(0.0, 1000.0), "x_atc [m]");
        assert_eq!(axis.title(1.0e6, 1.02e6), "x_atc [km]");
        let ticks = axis.ticks(1_000_000.0, 1_020_000.0, 4);
        assert_eq!(ticks.first(), Some(&(1_000_000.0, "1000".to_owned())));
        assert_eq!(ticks.get(1), Some(&(1_005_000.0, "1005".to_owned())));
        let fine = axis.ticks(10.0, 10.5, 5);
        assert_eq!(fine.get(1).map(|t| t.1.as_str()), Some("10.1"));
    }

    #[test]
    fn time_ticks_read_as_clock_times() {
        let axis = Axis::x(XAxis::Time, false);
        let t0 = 1_635_933_600.0; // 2021-11-03 10:00:00 UTC
        assert_eq!(axis.title(t0, t0 + 60.0), "time [UTC, 2021-11-03]");
        let ticks = axis.ticks(t0, t0 + 60.0, 3);
        assert_eq!(ticks.first().map(|t| t.1.as_str()), Some("10:00:00"));
        assert_eq!(ticks.get(1).map(|t| t.1.as_str()), Some("10:00:20"));
    }
}
