//! Drawing an area of interest on the map (a rectangle by dragging, a polygon by clicking its corners, a lasso by
//! drawing free-hand around points) and the AOI section of the side panel: what is set, draw, clear, save as
//! GeoJSON. The AOI is the selection: layers load through it and *Export selection…* writes what lies inside.

use egui::{Color32, Key, PointerButton, Pos2, Rect, Stroke};
use floe_io::LonLatBox;
use floe_io::aoi::Aoi;

use super::command::{Command, Purpose};
use super::screen::{MapScreen, densified_lonlat, inside};

/// The AOI outline colour, drawn and in progress.
pub const OUTLINE: Color32 = Color32::from_rgb(255, 80, 40);

/// A drawn rectangle smaller than this (ui points, either side) is taken for a slip and ignored.
const MIN_RECTANGLE_SIZE: f32 = 4.0;

/// A click this close to the first corner closes the polygon; this close to the last one it is the second
/// click of a double-click, not a new corner.
const SNAP_DISTANCE: f32 = 8.0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DrawTool {
    #[default]
    Off,
    Rectangle,
    Polygon,
    /// Free-hand: the pointer's path while the button is held, closed on release.
    Lasso,
}

/// A lasso takes a new point once the pointer has moved this far (ui points) from the last one.
const LASSO_STEP: f32 = 3.0;

#[derive(Debug, Default)]
pub struct AoiDrawing {
    pub tool: DrawTool,
    /// Rectangle: the corner where the drag started. Polygon: the corners clicked so far.
    corners_lonlat: Vec<(f64, f64)>,
}

impl AoiDrawing {
    pub fn start(&mut self, tool: DrawTool) {
        self.tool = tool;
        self.corners_lonlat.clear();
    }

    /// Whether primary-button drags must draw instead of panning the map.
    pub fn captures_drag(&self) -> bool {
        matches!(self.tool, DrawTool::Rectangle | DrawTool::Lasso)
    }

    /// What the user is told while drawing.
    pub fn hint(&self) -> Option<&'static str> {
        match self.tool {
            DrawTool::Off => None,
            DrawTool::Rectangle => Some("Drag a rectangle on the map. Right-drag pans; Esc cancels."),
            DrawTool::Lasso => Some("Hold the button and draw around the points; release to close. Esc cancels."),
            DrawTool::Polygon => Some(
                "Click the corners. Double-click, Enter or a click on the first corner closes it; Backspace removes \
                 the last corner; Esc cancels.",
            ),
        }
    }

    /// Handles this frame's pointer and keys on the map and draws the shape in progress. Returns the AOI when
    /// the user finishes one.
    pub fn map_ui(&mut self, ui: &egui::Ui, response: &egui::Response, screen: &dyn MapScreen) -> Option<Aoi> {
        if self.tool == DrawTool::Off {
            return None;
        }
        if ui.input(|i| i.key_pressed(Key::Escape)) {
            self.start(DrawTool::Off);
            return None;
        }
        let lonlat_at = |p: Pos2| screen.lonlat_from_ui(p);
        let ui_at = |lonlat: (f64, f64)| screen.ui_from_lonlat(lonlat);
        let stroke = Stroke::new(2.0, OUTLINE);
        let painter = ui.painter();
        let pointer = ui.input(|i| i.pointer.latest_pos());
        let finished = match self.tool {
            DrawTool::Off => None,
            DrawTool::Rectangle => {
                if response.drag_started_by(PointerButton::Primary)
                    && let Some(origin) = ui.input(|i| i.pointer.press_origin())
                {
                    self.corners_lonlat = vec![lonlat_at(origin)];
                }
                let start = self.corners_lonlat.first().copied();
                let (Some(start), Some(pointer)) = (start, pointer) else { return None };
                let rect = Rect::from_two_pos(ui_at(start), pointer);
                painter.rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Middle);
                if !response.drag_stopped() {
                    return None;
                }
                self.corners_lonlat.clear();
                if rect.width() < MIN_RECTANGLE_SIZE || rect.height() < MIN_RECTANGLE_SIZE {
                    return None;
                }
                if !screen.is_lonlat_aligned() {
                    // In a polar view the rectangle's edges are straight on screen, not along parallels.
                    let corners = [rect.left_top(), rect.right_top(), rect.right_bottom(), rect.left_bottom()];
                    return self.finish(drawn_on_polar(screen, "drawn rectangle", &corners));
                }
                let end = lonlat_at(pointer);
                let bbox =
                    LonLatBox::new(start.0.min(end.0), start.1.min(end.1), start.0.max(end.0), start.1.max(end.1));
                let mut aoi = Aoi::from_bbox(bbox);
                aoi.name = "drawn rectangle".into();
                Some(aoi)
            }
            DrawTool::Lasso => {
                if response.drag_started_by(PointerButton::Primary)
                    && let Some(origin) = ui.input(|i| i.pointer.press_origin())
                {
                    self.corners_lonlat = vec![lonlat_at(origin)];
                }
                if self.corners_lonlat.is_empty() {
                    return None;
                }
                if let Some(pointer) = pointer
                    && self.corners_lonlat.last().is_some_and(|last| ui_at(*last).distance(pointer) >= LASSO_STEP)
                {
                    self.corners_lonlat.push(lonlat_at(pointer));
                }
                let outline: Vec<Pos2> = self.corners_lonlat.iter().map(|c| ui_at(*c)).collect();
                painter.add(egui::Shape::closed_line(outline.clone(), stroke));
                if !response.drag_stopped() {
                    return None;
                }
                let mut ring = std::mem::take(&mut self.corners_lonlat);
                if ring.len() < 3 {
                    return None;
                }
                if !screen.is_lonlat_aligned() {
                    // The path is dense already: only a lasso around the pole needs closing over it.
                    ring.extend(ring.first().copied());
                    return self.finish(match screen.pole() {
                        Some((pole, north)) if inside(&outline, pole) => Aoi::around_pole("drawn lasso", &ring, north),
                        _ => Aoi::from_rings("drawn lasso", vec![ring]),
                    });
                }
                ring.extend(ring.first().copied());
                Some(Aoi::from_rings("drawn lasso", vec![ring]))
            }
            DrawTool::Polygon => {
                if ui.input(|i| i.key_pressed(Key::Backspace)) {
                    self.corners_lonlat.pop();
                }
                let mut close = ui.input(|i| i.key_pressed(Key::Enter)) || response.double_clicked();
                if response.clicked_by(PointerButton::Primary)
                    && let Some(click) = response.interact_pointer_pos()
                {
                    let near = |corner: &(f64, f64)| ui_at(*corner).distance(click) < SNAP_DISTANCE;
                    if self.corners_lonlat.len() >= 3 && self.corners_lonlat.first().is_some_and(near) {
                        close = true;
                    } else if !self.corners_lonlat.last().is_some_and(near) {
                        self.corners_lonlat.push(lonlat_at(click));
                    }
                }
                let mut outline: Vec<Pos2> = self.corners_lonlat.iter().map(|c| ui_at(*c)).collect();
                for corner in &outline {
                    painter.circle_stroke(*corner, 4.0, stroke);
                }
                outline.extend(pointer.filter(|_| response.hovered()));
                painter.add(egui::Shape::line(outline, stroke));
                if !(close && self.corners_lonlat.len() >= 3) {
                    return None;
                }
                let mut ring = std::mem::take(&mut self.corners_lonlat);
                if !screen.is_lonlat_aligned() {
                    let corners: Vec<Pos2> = ring.iter().map(|c| ui_at(*c)).collect();
                    return self.finish(drawn_on_polar(screen, "drawn polygon", &corners));
                }
                ring.extend(ring.first().copied());
                Some(Aoi::from_rings("drawn polygon", vec![ring]))
            }
        };
        self.finish_with(finished)
    }

    fn finish(&mut self, aoi: Aoi) -> Option<Aoi> {
        self.finish_with(Some(aoi))
    }

    fn finish_with(&mut self, aoi: Option<Aoi>) -> Option<Aoi> {
        self.tool = DrawTool::Off;
        aoi
    }
}

/// Screen edges followed per this many points when a shape drawn on a polar view becomes a lon/lat polygon.
const EDGE_STEPS: usize = 32;

/// The AOI of a shape drawn on a polar view: the points inside it as drawn on screen. Its edges are followed in
/// small steps into a lon/lat ring; a shape around the pole is closed over the pole.
fn drawn_on_polar(screen: &dyn MapScreen, name: &str, corners: &[Pos2]) -> Aoi {
    let ring = densified_ring(screen, corners);
    match screen.pole() {
        Some((pole, north)) if inside(corners, pole) => Aoi::around_pole(name, &ring, north),
        _ => Aoi::from_rings(name, vec![ring]),
    }
}

/// The closed lon/lat ring of a shape drawn on screen, its edges followed in small steps.
fn densified_ring(screen: &dyn MapScreen, corners: &[Pos2]) -> Vec<(f64, f64)> {
    let mut ring = Vec::new();
    for (i, a) in corners.iter().enumerate() {
        let b = corners[(i + 1) % corners.len()];
        let mut edge = densified_lonlat(screen, *a, b, EDGE_STEPS);
        edge.pop();
        ring.extend(edge);
    }
    ring.extend(ring.first().copied());
    ring
}

/// The AOI section of the side panel.
impl AoiDrawing {
    /// The AOI section of the side panel: what is set, the drawing tools, clear, save as GeoJSON.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, aoi: Option<&Aoi>, commands: &mut Vec<Command>) {
        ui.heading("Area of interest");
        match aoi {
            Some(aoi) => {
                let b = aoi.bbox;
                ui.label(format!("{}: lon {:.4}…{:.4}, lat {:.4}…{:.4}", aoi.name, b.west, b.east, b.south, b.north));
            }
            None => {
                ui.label("None: layers load whole. Draw one, or open a .geojson.");
            }
        }
        let tool = self.tool;
        ui.horizontal_wrapped(|ui| {
            let tools = [
                (DrawTool::Rectangle, "Draw rectangle"),
                (DrawTool::Polygon, "Draw polygon"),
                (DrawTool::Lasso, "Lasso"),
            ];
            for (wanted, label) in tools {
                if ui.selectable_label(tool == wanted, label).clicked() {
                    self.start(if tool == wanted { DrawTool::Off } else { wanted });
                }
            }
            if aoi.is_some() {
                if ui.button("Clear").on_hover_text("Load the layers whole again").clicked() {
                    commands.push(Command::SetAoi(None));
                }
                if ui.button("Save…").on_hover_text("The AOI as GeoJSON, for floe subset --aoi").clicked() {
                    commands.push(Command::Save(Purpose::SaveAoi));
                }
            }
        });
        if let Some(hint) = self.hint() {
            ui.label(hint);
        }
    }
}
