//! The *Time* section of the side panel: a slider with two handles over the loaded points' time span (UTC), and
//! a play button that moves the window along (or grows it) at a chosen speed. The window becomes two filters on
//! the map (`time >= START`, `time <= END`), so moving it costs uniforms only.

use super::Command;

/// How playing changes the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PlayMode {
    /// Both ends move: a window of fixed width slides along.
    #[default]
    Move,
    /// The end moves: the window grows from its start.
    Grow,
}

pub struct TimePanel {
    pub playing: bool,
    pub mode: PlayMode,
    /// Fraction of the span the window travels per second of play.
    pub speed: f64,
}

impl Default for TimePanel {
    fn default() -> Self {
        Self { playing: false, mode: PlayMode::Move, speed: 0.05 }
    }
}

/// Where a window goes after `seconds` of play over `span`; `None` once it has reached the end.
pub fn advance(window: (i64, i64), span: (i64, i64), mode: PlayMode, speed: f64, seconds: f64) -> Option<(i64, i64)> {
    if window.1 >= span.1 {
        return None;
    }
    let step = ((span.1 - span.0) as f64 * speed * seconds).round().max(1.0) as i64;
    let end = window.1.saturating_add(step).min(span.1);
    let start = match mode {
        PlayMode::Move => window.0 + (end - window.1),
        PlayMode::Grow => window.0,
    };
    Some((start, end))
}

impl TimePanel {
    /// `span`: the loaded points' time extent (UTC ns); `window`: the current window.
    pub fn panel_ui(
        &mut self,
        ui: &mut egui::Ui,
        span: Option<(i64, i64)>,
        window: Option<(i64, i64)>,
        commands: &mut Vec<Command>,
    ) {
        let Some(span) = span.filter(|s| s.0 < s.1) else { return };
        egui::CollapsingHeader::new("Time").default_open(window.is_some()).show(ui, |ui| {
            let current = window.unwrap_or(span);
            if let Some(new) = range_slider_ui(ui, span, current)
                && new != current
            {
                commands.push(Command::SetTimeWindow(Some(new)));
            }
            ui.small(format!("{} – {} UTC", short_utc(current.0), short_utc(current.1)));
            let mut restarted = false;
            ui.horizontal(|ui| {
                let label = if self.playing { "Pause" } else { "Play" };
                if ui.button(label).clicked() {
                    self.playing = !self.playing;
                    if self.playing && current.1 >= span.1 {
                        // From the start again: a moving window keeps its width (a quarter of the span when it was
                        // all of it); a growing one starts empty.
                        let full = span.1 - span.0;
                        let width = if current.1 - current.0 >= full { full / 4 } else { current.1 - current.0 };
                        let start = (span.0, if self.mode == PlayMode::Move { span.0 + width } else { span.0 });
                        commands.push(Command::SetTimeWindow(Some(start)));
                        restarted = true;
                    }
                }
                ui.selectable_value(&mut self.mode, PlayMode::Move, "Move");
                ui.selectable_value(&mut self.mode, PlayMode::Grow, "Grow");
                egui::ComboBox::from_label("speed").selected_text(format!("{:.0}%/s", self.speed * 100.0)).show_ui(
                    ui,
                    |ui| {
                        for speed in [0.01, 0.05, 0.2] {
                            ui.selectable_value(
                                &mut self.speed,
                                speed,
                                format!("{:.0}% of the span per second", speed * 100.0),
                            );
                        }
                    },
                );
                if window.is_some() && ui.button("All times").on_hover_text("show every time").clicked() {
                    self.playing = false;
                    commands.push(Command::SetTimeWindow(None));
                }
            });
            // The frame that restarts the window moves it from the next frame on.
            if self.playing {
                ui.ctx().request_repaint();
                if !restarted {
                    let seconds = f64::from(ui.input(|i| i.stable_dt)).min(0.1);
                    match advance(current, span, self.mode, self.speed, seconds) {
                        Some(next) => commands.push(Command::SetTimeWindow(Some(next))),
                        None => self.playing = false,
                    }
                }
            }
        });
    }
}

/// A horizontal track over `span` with a handle at each end of `window`; dragging moves the nearer handle, dragging
/// the band between them moves both. Returns the window after this frame's drag.
fn range_slider_ui(ui: &mut egui::Ui, span: (i64, i64), window: (i64, i64)) -> Option<(i64, i64)> {
    let width = ui.available_width().clamp(120.0, 400.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 20.0), egui::Sense::click_and_drag());
    let response = response.on_hover_text("drag a handle, or the band between them");
    let total = (span.1 - span.0) as f64;
    let x_of = |t: i64| rect.left() + ((t - span.0) as f64 / total) as f32 * rect.width();
    let t_of = |x: f32| span.0 + (((x - rect.left()) / rect.width()).clamp(0.0, 1.0) as f64 * total).round() as i64;
    let painter = ui.painter_at(rect.expand(2.0));
    let visuals = ui.visuals();
    let y = rect.center().y;
    painter.line_segment([egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)], visuals.widgets.inactive.fg_stroke);
    let (x0, x1) = (x_of(window.0), x_of(window.1));
    painter.rect_filled(egui::Rect::from_x_y_ranges(x0..=x1, y - 3.0..=y + 3.0), 2.0, visuals.selection.bg_fill);
    for x in [x0, x1] {
        painter.circle_filled(egui::pos2(x, y), 6.0, visuals.widgets.active.fg_stroke.color);
    }
    let id = response.id.with("handle");
    let pointer = response.interact_pointer_pos()?;
    // Which handle the drag holds, fixed when it starts: 0 start, 1 end, 2 both.
    let held: u8 = if response.drag_started() || response.clicked() {
        let origin = ui.input(|i| i.pointer.press_origin()).unwrap_or(pointer);
        let held = if (origin.x - x0).abs() <= 8.0 && (origin.x - x0).abs() <= (origin.x - x1).abs() {
            0
        } else if (origin.x - x1).abs() <= 8.0 {
            1
        } else if origin.x > x0 && origin.x < x1 {
            2
        } else if (origin.x - x0).abs() < (origin.x - x1).abs() {
            0
        } else {
            1
        };
        ui.data_mut(|d| d.insert_temp(id, held));
        held
    } else {
        ui.data(|d| d.get_temp(id)).unwrap_or(1)
    };
    let t = t_of(pointer.x);
    Some(match held {
        0 => (t.min(window.1), window.1),
        1 => (window.0, t.max(window.0)),
        _ => {
            let delta = t_of(pointer.x) - t_of(pointer.x - response.drag_delta().x);
            let delta = delta.clamp(span.0 - window.0, span.1 - window.1);
            (window.0 + delta, window.1 + delta)
        }
    })
}

/// `2019-05-01 12:30:00.123`.
fn short_utc(ns: i64) -> String {
    match arrow_array::temporal_conversions::timestamp_ns_to_datetime(ns) {
        Some(time) => time.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ns.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn play_moves_or_grows_the_window_and_stops_at_the_end() {
        let span = (0, 1_000);
        assert_eq!(advance((0, 100), span, PlayMode::Move, 0.1, 1.0), Some((100, 200)));
        assert_eq!(advance((0, 100), span, PlayMode::Grow, 0.1, 1.0), Some((0, 200)));
        assert_eq!(
            advance((850, 950), span, PlayMode::Move, 0.1, 1.0),
            Some((900, 1_000)),
            "the end stops at the span"
        );
        assert_eq!(advance((900, 1_000), span, PlayMode::Move, 0.1, 1.0), None);
    }
}
