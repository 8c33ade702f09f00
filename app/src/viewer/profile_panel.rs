//! The profile panel: one track (one beam of one pass) of every loaded layer, height against along-track
//! distance, drawn by the GPU from the layers' own values; axes with ticks, pan and independent x/y zoom, hover and
//! click, a brushed rectangle that becomes the export selection. It owns its state (track, axes, camera, brush)
//! and reports what the pointer did; the app links that to the map.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use egui::{Color32, Pos2, Rect, Sense, Stroke, vec2};
use floe_render::{ProfileCamera, Projection};

use super::Layer;
use super::gpu::{FloeGpu, ProfileCallback, selection_id};
use crate::plot::{Axis, tick_targets};
use crate::profile::{ChunkSelection, ProfileSeries, TrackPoints, XAxis, default_y_column};

/// How far from the pointer a point may be and still be hovered or clicked, in ui points.
const REACH_POINTS: f64 = 8.0;
/// While layers load, the profile is rebuilt at most this often (a build walks every point of the track).
const REBUILD_WHILE_LOADING_S: f64 = 1.0;
const MARGIN_LEFT: f32 = 64.0;
const MARGIN_BOTTOM: f32 = 36.0;

/// What the profile was built from: a change rebuilds it.
#[derive(Clone, Debug, PartialEq)]
struct BuildKey {
    track: String,
    x_axis: XAxis,
    y_name: Option<String>,
    /// Per layer: id, points loaded, projection, shown beams, visible.
    layers: Vec<(u64, u64, Projection, Vec<bool>, bool)>,
}

/// What the pointer did in the profile this frame.
#[derive(Debug, Default)]
pub struct ProfileOutput {
    /// The point under the pointer: layer id and point index.
    pub hovered: Option<(u64, usize)>,
    /// The point clicked.
    pub clicked: Option<(u64, usize)>,
    /// *Save image…* was pressed.
    pub save_image: bool,
}

/// The brushed rectangle, in `profile` coordinates, and the points inside it per layer: `(layer id, [(map chunk,
/// offsets within it)])`.
#[derive(Clone, Debug, Default)]
pub struct Brushed {
    pub min: [f64; 2],
    pub max: [f64; 2],
    /// A lasso's ring (profile coordinates) inside the box; `None` for a brushed rectangle.
    pub ring: Option<Vec<[f64; 2]>>,
    pub points: Vec<(u64, ChunkSelection)>,
}

impl Brushed {
    pub fn count(&self) -> usize {
        self.points.iter().flat_map(|(_, chunks)| chunks).map(|(_, offsets)| offsets.len()).sum()
    }
}

#[derive(Default)]
pub struct ProfilePanel {
    pub open: bool,
    /// Shown in its own window instead of under the map.
    pub detached: bool,
    pub track: Option<String>,
    pub x_axis: XAxis,
    /// The y column; `None`: each layer's height.
    pub y_name: Option<String>,
    camera: Option<ProfileCamera>,
    fit_pending: bool,
    /// The view fits the whole track as it loads, until the user pans or zooms.
    auto_fit: bool,
    /// Each layer's points on the track, by layer id, bottom first.
    pub series: Vec<(u64, ProfileSeries)>,
    built: Option<BuildKey>,
    built_at: f64,
    /// The series changed: the GPU copies are rebuilt.
    pub gpu_dirty: bool,
    /// Primary drags brush a rectangle instead of panning (Shift does the same for one drag).
    pub brush_mode: bool,
    brush_start: Option<[f64; 2]>,
    /// Primary drags draw a free-hand loop whose points become the selection.
    pub lasso_mode: bool,
    /// The loop being drawn, in profile coordinates.
    lasso_path: Vec<[f64; 2]>,
    pub brushed: Option<Brushed>,
    /// The brushed points changed: the map's highlight is rebuilt.
    pub brush_dirty: bool,
    /// The point hovered on the map, when it is on this track (marked here).
    pub linked: Option<(u64, usize)>,
    hovered: Option<(u64, usize)>,
    points_drawn: Arc<AtomicU64>,
    /// Where the plot was drawn last (ui points) and the pixels per point then.
    plot_rect: Option<(Rect, f64)>,
    /// The plot with its axes, as drawn last (ui points): what *Save image…* saves.
    area_rect: Option<Rect>,
    save_requested: bool,
}

impl ProfilePanel {
    /// Opens the panel on a track.
    pub fn open_track(&mut self, track: &str) {
        self.open = true;
        if self.track.as_deref() != Some(track) {
            self.track = Some(track.to_owned());
            self.fit_pending = true;
            self.auto_fit = true;
            self.clear_brush();
        }
    }

    pub fn clear_brush(&mut self) {
        if self.brushed.take().is_some() {
            self.brush_dirty = true;
        }
    }

    /// Points drawn in the last frame.
    pub fn points_drawn(&self) -> u64 {
        self.points_drawn.load(Ordering::Relaxed)
    }

    pub fn camera(&self) -> Option<&ProfileCamera> {
        self.camera.as_ref()
    }

    /// The ui position of a profile position, as last drawn.
    pub fn ui_from_profile(&self, profile: [f64; 2]) -> Option<Pos2> {
        let ((plot, ppp), camera) = (self.plot_rect?, self.camera?);
        let [x, y] = camera.px_from_profile(profile);
        Some(plot.min + vec2((x / ppp) as f32, (y / ppp) as f32))
    }

    /// The profile position under a ui position, as last drawn.
    pub fn profile_from_ui(&self, ui: Pos2) -> Option<[f64; 2]> {
        let ((plot, ppp), camera) = (self.plot_rect?, self.camera?);
        Some(camera.profile_from_px([f64::from(ui.x - plot.min.x) * ppp, f64::from(ui.y - plot.min.y) * ppp]))
    }

    /// The plot with its axes and titles, in ui points, as last drawn.
    pub fn area_rect(&self) -> Option<Rect> {
        self.area_rect
    }

    /// The plot's rectangle in ui points, as last drawn.
    pub fn plot_rect(&self) -> Option<Rect> {
        self.plot_rect.map(|(rect, _)| rect)
    }

    /// The point hovered in the profile in the last frame.
    pub fn hovered(&self) -> Option<(u64, usize)> {
        self.hovered
    }

    /// Every track of the layers, sorted (so that the beams of a pass follow each other: gt1l, gt1r, gt2l, …).
    pub fn tracks(layers: &[Layer]) -> Vec<String> {
        let mut tracks: Vec<String> = layers.iter().flat_map(|l| l.tracks.iter().cloned()).collect();
        tracks.sort();
        tracks.dedup();
        tracks
    }

    /// Rebuilds the series when the track, the axes or the layers changed (at most once a second while loading).
    pub fn refresh(&mut self, layers: &[Layer], now_s: f64) {
        if !self.open {
            return;
        }
        if self.track.is_none() {
            self.track = Self::tracks(layers).into_iter().next();
            self.fit_pending = true;
            self.auto_fit = true;
        }
        let Some(track) = self.track.clone() else { return };
        let key = BuildKey {
            track: track.clone(),
            x_axis: self.x_axis,
            y_name: self.y_name.clone(),
            layers: layers
                .iter()
                .map(|l| {
                    let beams = l.beams.iter().map(|b| b.2 && l.live.plan.beam_passes(&b.0, &b.1)).collect();
                    (l.id, l.rows_loaded, TrackPoints::projection(l), beams, l.style.visible)
                })
                .collect(),
        };
        if self.built.as_ref() == Some(&key) {
            return;
        }
        let same_view = self.built.as_ref().is_some_and(|b| b.track == key.track && b.x_axis == key.x_axis);
        let loading = layers.iter().any(Layer::is_loading);
        if same_view && loading && now_s - self.built_at < REBUILD_WHILE_LOADING_S {
            return;
        }
        self.series.clear();
        for layer in layers.iter().filter(|l| l.style.visible) {
            let y = match &self.y_name {
                Some(name) => layer.columns.iter().position(|c| &c.name == name),
                None => default_y_column(&layer.columns),
            };
            let Some(y) = y else { continue };
            let series = ProfileSeries::build(layer, &track, self.x_axis, y);
            if !series.chunks.is_empty() {
                self.series.push((layer.id, series));
            }
        }
        if !same_view || self.auto_fit {
            self.fit_pending = true;
        }
        if !same_view {
            self.clear_brush();
        } else if let Some(brushed) = self.brushed.take() {
            // More points arrived, or moved to another projection: the same rectangle (or loop) selects them again.
            match brushed.ring {
                Some(ring) => self.lasso(ring),
                None => self.brush(brushed.min, brushed.max),
            }
        }
        let points: usize = self.series.iter().map(|(_, s)| s.num_points()).sum();
        log::info!("floe: profile of {track}: {points} points from {} layers", self.series.len());
        self.built = Some(key);
        self.built_at = now_s;
        self.gpu_dirty = true;
        if self.camera.is_none() {
            self.fit_pending = true;
        }
    }

    fn bounds(&self) -> Option<([f64; 2], [f64; 2])> {
        self.series
            .iter()
            .filter_map(|(_, s)| s.bounds)
            .reduce(|(a0, a1), (b0, b1)| ([a0[0].min(b0[0]), a0[1].min(b0[1])], [a1[0].max(b1[0]), a1[1].max(b1[1])]))
    }

    fn axes(&self, layers: &[Layer]) -> (Axis, Axis) {
        let geodesic = self.series.first().is_some_and(|(_, s)| s.geodesic);
        let first = self.series.first().and_then(|(id, _)| layers.iter().find(|l| l.id == *id));
        let y_column = first.and_then(|layer| match &self.y_name {
            Some(name) => layer.columns.iter().find(|c| &c.name == name),
            None => default_y_column(&layer.columns).and_then(|i| layer.columns.get(i)),
        });
        let y = match y_column {
            Some(column) => Axis { name: column.name.clone(), unit: column.unit.clone(), is_time: false },
            None => Axis { name: "height".into(), unit: None, is_time: false },
        };
        (Axis::x(self.x_axis, geodesic), y)
    }

    /// The panel: a row of controls over the plot.
    pub fn show_ui(&mut self, ui: &mut egui::Ui, layers: &[Layer]) -> ProfileOutput {
        self.controls_ui(ui, layers);
        let mut output = self.plot_ui(ui, layers);
        output.save_image = std::mem::take(&mut self.save_requested);
        output
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, layers: &[Layer]) {
        let tracks = Self::tracks(layers);
        // Wrapped: a row wider than the panel would widen the plot beyond the window.
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Track");
            let current = self.track.clone().unwrap_or_else(|| "none".to_owned());
            let mut chosen = None;
            egui::ComboBox::from_id_salt("profile track")
                .selected_text(&current)
                .show_ui(ui, |ui| {
                    for track in &tracks {
                        if ui.selectable_label(self.track.as_ref() == Some(track), track).clicked() {
                            chosen = Some(track.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            let position = self.track.as_ref().and_then(|t| tracks.iter().position(|x| x == t));
            let step = |delta: isize| position.and_then(|p| tracks.get(p.checked_add_signed(delta)?)).cloned();
            if ui.button("<").on_hover_text("previous track ( [ )").clicked() {
                chosen = step(-1).or(chosen);
            }
            if ui.button(">").on_hover_text("next track ( ] )").clicked() {
                chosen = step(1).or(chosen);
            }
            let typing = ui.ctx().egui_wants_keyboard_input();
            if !typing && ui.input(|i| i.key_pressed(egui::Key::OpenBracket)) {
                chosen = step(-1).or(chosen);
            }
            if !typing && ui.input(|i| i.key_pressed(egui::Key::CloseBracket)) {
                chosen = step(1).or(chosen);
            }
            if let Some(track) = chosen {
                self.open_track(&track);
            }
            ui.separator();
            let label = ui.label("X");
            egui::ComboBox::from_id_salt("profile x")
                .selected_text(self.x_axis.name())
                .show_ui(ui, |ui| {
                    for axis in XAxis::ALL {
                        ui.selectable_value(&mut self.x_axis, axis, axis.name());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Y");
            let names: Vec<String> =
                layers.first().map(|l| l.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
            let y_text = self.y_name.clone().unwrap_or_else(|| "height".to_owned());
            egui::ComboBox::from_id_salt("profile y")
                .selected_text(y_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.y_name, None, "height");
                    for name in names {
                        ui.selectable_value(&mut self.y_name, Some(name.clone()), name);
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            if ui.button("Fit").on_hover_text("show the whole track (or double-click the plot)").clicked() {
                self.fit_pending = true;
                self.auto_fit = true;
            }
            if ui
                .toggle_value(&mut self.brush_mode, "Brush")
                .on_hover_text("drag a rectangle to select points (or Shift+drag); Export selection… writes them")
                .clicked()
            {
                self.lasso_mode = false;
            }
            if ui
                .toggle_value(&mut self.lasso_mode, "Lasso select")
                .on_hover_text("draw a loop around points to select them; Export selection… writes them")
                .clicked()
            {
                self.brush_mode = false;
            }
            if self.brushed.is_some() && ui.button("Clear brush").clicked() {
                self.clear_brush();
            }
            if ui.button("Save image…").on_hover_text("The profile as PNG, with the legend").clicked() {
                self.save_requested = true;
            }
            let label = if self.detached { "Attach" } else { "Detach" };
            if ui.button(label).clicked() {
                self.detached = !self.detached;
            }
            if ui.button("Close").clicked() {
                self.open = false;
            }
            let points: usize = self.series.iter().map(|(_, s)| s.num_points()).sum();
            let mut status = format!("{points} points");
            if let Some(brushed) = &self.brushed {
                status.push_str(&format!(" · {} brushed", brushed.count()));
            }
            ui.label(status);
        });
    }

    fn plot_ui(&mut self, ui: &mut egui::Ui, layers: &[Layer]) -> ProfileOutput {
        let mut output = ProfileOutput::default();
        let size = ui.available_size().max(vec2(200.0, 120.0));
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        // Inside what is visible: the GPU draws into the visible part of a callback's rectangle only, and a plot
        // reaching past the window's edge would be squeezed into it.
        let visible = rect.intersect(ui.clip_rect());
        self.area_rect = Some(visible);
        let plot = Rect::from_min_max(visible.min + vec2(MARGIN_LEFT, 6.0), visible.max - vec2(10.0, MARGIN_BOTTOM));
        let ppp = f64::from(ui.ctx().pixels_per_point());
        let viewport_px = [
            (f64::from(plot.width()) * ppp).round().max(1.0) as u32,
            (f64::from(plot.height()) * ppp).round().max(1.0) as u32,
        ];
        if self.fit_pending
            && let Some((min, max)) = self.bounds()
        {
            self.camera = Some(ProfileCamera::fit(min, max, viewport_px, 0.05));
            self.fit_pending = false;
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(plot, 0.0, Color32::WHITE);
        let Some(mut camera) = self.camera else {
            let text = if self.track.is_none() { "no tracks in the loaded layers" } else { "no points on this track" };
            painter.text(
                plot.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(14.0),
                Color32::GRAY,
            );
            return output;
        };
        camera.viewport_px = viewport_px;
        self.plot_rect = Some((plot, ppp));
        let px_of = |pos: Pos2| [f64::from(pos.x - plot.min.x) * ppp, f64::from(pos.y - plot.min.y) * ppp];
        let ui_of = |px: [f64; 2]| plot.min + vec2((px[0] / ppp) as f32, (px[1] / ppp) as f32);

        // Gestures.
        let brushing = !self.lasso_mode && (self.brush_mode || ui.input(|i| i.modifiers.shift));
        if self.lasso_mode {
            if response.drag_started_by(egui::PointerButton::Primary) {
                let origin = ui.input(|i| i.pointer.press_origin()).or(response.interact_pointer_pos());
                self.lasso_path = origin.map(|p| vec![camera.profile_from_px(px_of(p))]).unwrap_or_default();
            }
            if !self.lasso_path.is_empty()
                && let Some(pointer) = response.interact_pointer_pos()
            {
                let far_enough = self
                    .lasso_path
                    .last()
                    .is_some_and(|last| ui_of(camera.px_from_profile(*last)).distance(pointer) >= 3.0);
                if far_enough {
                    self.lasso_path.push(camera.profile_from_px(px_of(pointer)));
                }
                if response.drag_stopped() {
                    let ring = std::mem::take(&mut self.lasso_path);
                    if ring.len() >= 3 {
                        self.lasso(ring);
                    }
                }
            }
        }
        if response.drag_started_by(egui::PointerButton::Primary) && brushing {
            // From where the button went down: a drag starts only once the pointer has moved a few points.
            let origin = ui.input(|i| i.pointer.press_origin()).or(response.interact_pointer_pos());
            self.brush_start = origin.map(|p| camera.profile_from_px(px_of(p)));
        }
        if self.brush_start.is_none() && !self.lasso_mode && response.dragged_by(egui::PointerButton::Primary) {
            let delta = response.drag_delta();
            camera.pan_px([f64::from(delta.x) * ppp, f64::from(delta.y) * ppp]);
            self.auto_fit = false;
        }
        let mut brush_now = None;
        if let (Some(start), Some(pointer)) = (self.brush_start, response.interact_pointer_pos()) {
            let end = camera.profile_from_px(px_of(pointer));
            let box_now = ([start[0].min(end[0]), start[1].min(end[1])], [start[0].max(end[0]), start[1].max(end[1])]);
            if response.drag_stopped() {
                self.brush_start = None;
                self.brush(box_now.0, box_now.1);
            } else {
                brush_now = Some(box_now);
            }
        }
        if let Some(pointer) = response.hover_pos() {
            let (scroll, modifiers) = ui.input(|i| (i.smooth_scroll_delta, i.modifiers));
            let amount = f64::from(scroll.x + scroll.y);
            if amount != 0.0 {
                let factor = (amount * 0.004).exp();
                let factor = if modifiers.alt {
                    [1.0, factor]
                } else if modifiers.shift {
                    [factor, 1.0]
                } else {
                    [factor, factor]
                };
                camera.zoom_about(px_of(pointer), factor);
                self.auto_fit = false;
                ui.input_mut(|i| i.smooth_scroll_delta = egui::Vec2::ZERO);
            }
        }
        if response.double_clicked() {
            self.fit_pending = true;
            self.auto_fit = true;
        }
        self.camera = Some(camera);

        // Grid under the points, then the points, the frame, ticks and titles.
        let (x_axis, y_axis) = self.axes(layers);
        let (min, max) = camera.visible_profile();
        let plot_px = [0, 0, i64::from(viewport_px[0]), i64::from(viewport_px[1])];
        let [x_ticks, y_ticks] = tick_targets(plot_px.map(|v| (v as f64 / ppp) as i64));
        let grid = Stroke::new(1.0, Color32::from_gray(225));
        let ink = ui.visuals().strong_text_color();
        let font = egui::FontId::proportional(11.0);
        let x_marks = x_axis.ticks(min[0], max[0], x_ticks);
        let y_marks = y_axis.ticks(min[1], max[1], y_ticks);
        for (value, _) in &x_marks {
            let x = ui_of(camera.px_from_profile([*value, camera.centre_profile[1]])).x;
            painter.line_segment([Pos2::new(x, plot.top()), Pos2::new(x, plot.bottom())], grid);
        }
        for (value, _) in &y_marks {
            let y = ui_of(camera.px_from_profile([camera.centre_profile[0], *value])).y;
            painter.line_segment([Pos2::new(plot.left(), y), Pos2::new(plot.right(), y)], grid);
        }
        let layer_ids: Vec<u64> = self.series.iter().map(|(id, _)| *id).collect();
        let callback = ProfileCallback { camera, layer_ids, points_drawn: Arc::clone(&self.points_drawn) };
        painter.add(egui_wgpu::Callback::new_paint_callback(plot, callback));
        painter.rect_stroke(plot, 0.0, Stroke::new(1.0, ink), egui::StrokeKind::Outside);
        for (value, label) in &x_marks {
            let x = ui_of(camera.px_from_profile([*value, camera.centre_profile[1]])).x;
            if (plot.left()..=plot.right()).contains(&x) {
                painter.line_segment(
                    [Pos2::new(x, plot.bottom()), Pos2::new(x, plot.bottom() + 4.0)],
                    Stroke::new(1.0, ink),
                );
                painter.text(Pos2::new(x, plot.bottom() + 5.0), egui::Align2::CENTER_TOP, label, font.clone(), ink);
            }
        }
        for (value, label) in &y_marks {
            let y = ui_of(camera.px_from_profile([camera.centre_profile[0], *value])).y;
            if (plot.top()..=plot.bottom()).contains(&y) {
                painter
                    .line_segment([Pos2::new(plot.left() - 4.0, y), Pos2::new(plot.left(), y)], Stroke::new(1.0, ink));
                painter.text(Pos2::new(plot.left() - 6.0, y), egui::Align2::RIGHT_CENTER, label, font.clone(), ink);
            }
        }
        painter.text(
            Pos2::new(plot.center().x, plot.bottom() + 19.0),
            egui::Align2::CENTER_TOP,
            x_axis.title(min[0], max[0]),
            font.clone(),
            ink,
        );
        let y_title = painter.layout_no_wrap(y_axis.title(min[1], max[1]), font.clone(), ink);
        let title_at = Pos2::new(rect.left() + 4.0, plot.center().y + y_title.size().x / 2.0);
        painter.add(egui::epaint::TextShape::new(title_at, y_title, ink).with_angle(-std::f32::consts::FRAC_PI_2));

        // The brush, the point linked from the map, the hovered point.
        let brush_stroke = Stroke::new(1.5, Color32::from_rgb(230, 120, 0));
        // A loop: the one being drawn, else the lasso selected.
        let ring = match (&self.lasso_path, self.brushed.as_ref().and_then(|b| b.ring.as_ref())) {
            (path, _) if !path.is_empty() => Some(path),
            (_, ring) => ring,
        };
        if let Some(ring) = ring {
            let outline: Vec<Pos2> = ring.iter().map(|p| ui_of(camera.px_from_profile(*p))).collect();
            painter.add(egui::Shape::closed_line(outline, brush_stroke));
        }
        let brush_box =
            brush_now.or_else(|| self.brushed.as_ref().filter(|b| b.ring.is_none()).map(|b| (b.min, b.max)));
        if let Some((lo, hi)) = brush_box {
            let a = ui_of(camera.px_from_profile([lo[0], hi[1]]));
            let b = ui_of(camera.px_from_profile([hi[0], lo[1]]));
            let area = Rect::from_two_pos(a, b);
            painter.rect_filled(area, 0.0, Color32::from_rgba_unmultiplied(230, 120, 0, 30));
            painter.rect_stroke(area, 0.0, brush_stroke, egui::StrokeKind::Middle);
        }
        if let Some(at) = self.linked.and_then(|(id, point)| self.position_of(id, point)) {
            let at = ui_of(camera.px_from_profile(at));
            let [r, g, b, _] = crate::style::MARKER_RGBA;
            painter.circle_stroke(at, 8.0, Stroke::new(4.0, Color32::BLACK));
            painter.circle_stroke(at, 8.0, Stroke::new(2.0, Color32::from_rgb(r, g, b)));
        }
        let reach_px = REACH_POINTS * ppp;
        let nearest = |pos: Pos2| {
            let px = px_of(pos);
            self.series
                .iter()
                .filter_map(|(id, s)| s.nearest(&camera, px, reach_px).map(|(point, d)| (*id, point, d)))
                .min_by(|a, b| a.2.total_cmp(&b.2))
                .map(|(id, point, _)| (id, point))
        };
        self.hovered = response.hover_pos().filter(|p| plot.contains(*p)).and_then(nearest);
        if let Some(at) = self.hovered.and_then(|(id, point)| self.position_of(id, point)) {
            painter.circle_stroke(ui_of(camera.px_from_profile(at)), 5.0, Stroke::new(1.5, Color32::BLACK));
        }
        output.hovered = self.hovered;
        if response.clicked_by(egui::PointerButton::Primary) && self.brush_start.is_none() {
            output.clicked = response.interact_pointer_pos().and_then(nearest);
        }
        output
    }

    fn position_of(&self, layer_id: u64, point: usize) -> Option<[f64; 2]> {
        self.series.iter().filter(|(id, _)| *id == layer_id).find_map(|(_, s)| s.position_of(point))
    }

    /// Moves the profile's series to the GPU (after a rebuild or a colour change), keeps their styles in step with
    /// their layers', and rebuilds the map's highlight of the brushed points.
    pub fn sync_gpu(
        &mut self,
        layers: &[Layer],
        gpu: &mut FloeGpu,
        render_state: &egui_wgpu::RenderState,
        pixels_per_point: f32,
    ) {
        let device = &render_state.device;
        let queue = &render_state.queue;
        let style_of =
            |layer: &Layer| floe_render::LayerStyle { point_size: layer.point_size * pixels_per_point, ..layer.style };
        if self.gpu_dirty {
            gpu.profile_layers.clear();
            for (id, series) in &self.series {
                let Some(layer) = layers.iter().find(|l| l.id == *id) else { continue };
                let mut profile_layer = gpu.profile_renderer.create_layer(device, queue, style_of(layer));
                let sources = layer.live.slot_sources();
                for chunk in &series.chunks {
                    let index = profile_layer.num_chunks();
                    profile_layer.push_chunk(device, &chunk.chunk, &layer.chunk_values(chunk.layer_chunk));
                    // The map's filters, on the same points.
                    for (slot, source) in sources.iter().enumerate() {
                        if let Some(source) = *source {
                            let values = layer.slot_values(source, chunk.layer_chunk);
                            profile_layer.set_chunk_filter_values(device, queue, index, slot, values);
                        }
                    }
                }
                gpu.profile_layers.insert(*id, profile_layer);
            }
            self.gpu_dirty = false;
        }
        for (id, profile_layer) in &mut gpu.profile_layers {
            let Some(layer) = layers.iter().find(|l| l.id == *id) else { continue };
            if *profile_layer.style() != style_of(layer) {
                profile_layer.set_style(queue, style_of(layer));
            }
            let filters = layer.live.plan.slot_filters();
            if *profile_layer.filters() != filters {
                profile_layer.set_filters(queue, filters);
            }
        }
        if self.brush_dirty {
            gpu.layers.retain(|id, _| *id < selection_id(u64::from(u32::MAX)));
            for (id, chunks) in self.brushed.iter().flat_map(|b| &b.points) {
                let Some(layer) = layers.iter().find(|l| l.id == *id) else { continue };
                let style = floe_render::LayerStyle {
                    point_size: (layer.point_size + 3.0) * pixels_per_point,
                    nodata: Some(crate::style::BRUSHED),
                    opacity: 1.0,
                    visible: true,
                    classes: None,
                    ..layer.style
                };
                let mut highlight = gpu.renderer.create_layer(device, queue, style);
                for (chunk, offsets) in chunks {
                    let Some(map_chunk) = crate::profile::TrackPoints::chunk(layer, *chunk) else { continue };
                    let picked = floe_render::PointChunk {
                        offsets: offsets.iter().filter_map(|o| map_chunk.offsets.get(*o).copied()).collect(),
                        ..map_chunk.clone()
                    };
                    // NaN values draw in the "no data" colour: the highlight's one colour.
                    highlight.push_chunk(device, &picked, &vec![f32::NAN; picked.len()]);
                }
                gpu.layers.insert(selection_id(*id), highlight);
            }
            self.brush_dirty = false;
        }
    }

    /// The profile's brushed rectangle as a row filter for exports: the same track, x and y ranges, applied to the
    /// inputs' own values. Where x is the geodesic fallback (no column to filter on), the brushed points' time span
    /// stands for it: along a track, distance grows with time.
    pub fn export_filter(&self, layers: &[Layer], track_key: &crate::points::TrackKey) -> Option<crate::subset::Brush> {
        let brushed = self.brushed.as_ref()?;
        let track = self.track.clone()?;
        let geodesic = self.series.iter().any(|(_, s)| s.geodesic);
        let x = match self.x_axis {
            crate::profile::XAxis::AlongTrack if geodesic => {
                let mut span = (f64::INFINITY, f64::NEG_INFINITY);
                for (id, chunks) in &brushed.points {
                    let Some(layer) = layers.iter().find(|l| l.id == *id) else { continue };
                    let Some(time) = layer.columns.iter().position(|c| c.is_time) else { continue };
                    let (Some(column), values) = (layer.columns.get(time), layer.column_values(time)) else { continue };
                    for (chunk, offsets) in chunks {
                        let Some(range) = crate::profile::TrackPoints::chunk_range(layer, *chunk) else { continue };
                        for offset in offsets {
                            if let Some(v) = values.get(range.start + offset) {
                                let t = column.value_of(*v);
                                span = (span.0.min(t), span.1.max(t));
                            }
                        }
                    }
                }
                ("time".to_owned(), span.0, span.1)
            }
            crate::profile::XAxis::AlongTrack => ("x_atc".to_owned(), brushed.min[0], brushed.max[0]),
            crate::profile::XAxis::Time => ("time".to_owned(), brushed.min[0], brushed.max[0]),
            crate::profile::XAxis::Latitude => ("lat".to_owned(), brushed.min[0], brushed.max[0]),
        };
        Some(crate::subset::Brush {
            track,
            track_key: track_key.clone(),
            x_column: x.0,
            x: (x.1, x.2),
            y_column: self.y_name.clone(),
            y: (brushed.min[1], brushed.max[1]),
            // The loop in the columns' units; with the geodesic fallback its x is no column, and its box (in time)
            // stands for it.
            ring: brushed.ring.clone().filter(|_| !geodesic),
        })
    }

    /// Brushes the profile box `min`–`max`: the points inside it become the selection.
    pub fn brush(&mut self, min: [f64; 2], max: [f64; 2]) {
        let points =
            self.series.iter().map(|(id, s)| (*id, s.inside(min, max))).filter(|(_, c)| !c.is_empty()).collect();
        self.brushed = Some(Brushed { min, max, ring: None, points });
        self.brush_dirty = true;
    }

    /// Selects the points inside a closed loop drawn in the profile.
    pub fn lasso(&mut self, ring: Vec<[f64; 2]>) {
        let (min, max) = crate::profile::ring_bounds(&ring);
        let points =
            self.series.iter().map(|(id, s)| (*id, s.inside_ring(&ring))).filter(|(_, c)| !c.is_empty()).collect();
        self.brushed = Some(Brushed { min, max, ring: Some(ring), points });
        self.brush_dirty = true;
    }
}
