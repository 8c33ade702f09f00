//! The map: Web Mercator through walkers (with its tiles), or a polar stereographic view (EPSG:3413/3031) that is
//! Floe's own widget (walkers is Web Mercator only) with the same gestures. Both draw the point layers through
//! the GPU callback, the AOI outline and the drawing tool, and report what the status bar shows (cursor, zoom,
//! points drawn).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use floe_io::LonLatBox;
use floe_io::aoi::Aoi;
use floe_render::{Camera, Projection, world_from_lonlat};
use walkers::{HttpTiles, MapMemory, lon_lat};

use super::aoi_draw::{self, AoiDrawing, DrawTool};
use super::gpu::MapCallback;
use super::polar_tiles::{PolarTiles, TileCounts};
use super::screen::{MapScreen, PolarScreen};
use crate::platform::Tasks;

/// Zoom levels per point of wheel scroll in the polar view (walkers' feel: 2 levels per unit of zoom delta).
const SCROLL_ZOOM_PER_POINT: f64 = 1.0 / 200.0;
/// Zoom range of the polar view: a whole hemisphere to about a centimetre per pixel.
const POLAR_ZOOM: std::ops::RangeInclusive<f64> = 0.0..=24.0;

/// What the user did on the map this frame.
#[derive(Debug, Default)]
pub struct MapOutput {
    /// An AOI the user finished drawing.
    pub drawn: Option<Aoi>,
    /// Where the map was clicked (not while drawing), in the map's world coordinates.
    pub clicked_world: Option<[f64; 2]>,
    /// World units per ui point at the current zoom.
    pub world_per_point: f64,
    /// Where the pointer rests on the map, in the map's world coordinates.
    pub hover_world: Option<[f64; 2]>,
}

/// The ring drawn on the map around the point hovered in the profile.
fn marker_ui(painter: &egui::Painter, at: egui::Pos2) {
    painter.circle_stroke(at, 8.0, egui::Stroke::new(4.0, egui::Color32::BLACK));
    painter.circle_stroke(
        at,
        8.0,
        egui::Stroke::new(2.0, {
            let [r, g, b, _] = crate::style::MARKER_RGBA;
            egui::Color32::from_rgb(r, g, b)
        }),
    );
}

pub struct MapView {
    memory: MapMemory,
    tiles: Option<HttpTiles>,
    /// Points drawn in the last frame (written by the paint callback).
    points_drawn: Arc<AtomicU64>,
    cursor_lonlat: Option<(f64, f64)>,
    size_points: egui::Vec2,
    /// The view follows the first data until the user moves the map.
    pub auto_zoom: bool,
    projection: Projection,
    /// The polar views' own camera (walkers keeps the Mercator one): centre in world units and zoom.
    polar_centre_world: [f64; 2],
    polar_zoom: f64,
    /// Basemap tiles of the polar views (`None` offline).
    polar_tiles: Option<PolarTiles>,
    /// Where the map was drawn last, in ui points.
    rect: Option<egui::Rect>,
}

impl MapView {
    pub fn new(tiles: Option<HttpTiles>, polar_tiles: Option<PolarTiles>) -> Self {
        let mut memory = MapMemory::default();
        // Zoom bounds are valid constants: setting them cannot fail.
        let _ = memory.set_zoom(3.0);
        Self {
            memory,
            tiles,
            points_drawn: Arc::default(),
            cursor_lonlat: None,
            size_points: egui::vec2(800.0, 600.0),
            auto_zoom: true,
            projection: Projection::Mercator,
            polar_centre_world: [0.5, 0.5],
            polar_zoom: 3.0,
            polar_tiles,
            rect: None,
        }
    }

    /// Where the map was drawn last, in ui points.
    pub fn rect(&self) -> Option<egui::Rect> {
        self.rect
    }

    pub fn projection(&self) -> Projection {
        self.projection
    }

    /// Switches the map's projection, keeping the view's centre where it is on the ground.
    pub fn set_projection(&mut self, projection: Projection) {
        if projection == self.projection {
            return;
        }
        let centre = self.centre_lonlat();
        match projection {
            Projection::Mercator => self.memory.center_at(lon_lat(centre.0, centre.1.clamp(-85.0, 85.0))),
            polar => {
                // A centre in the other hemisphere would be far off the view: start at the pole instead.
                let same_side = (polar == Projection::North) == (centre.1 > 0.0);
                self.polar_centre_world =
                    if same_side { polar.world_from_lonlat(centre.0, centre.1) } else { [0.5, 0.5] };
                self.polar_zoom = self.zoom().clamp(*POLAR_ZOOM.start(), *POLAR_ZOOM.end());
            }
        }
        self.projection = projection;
    }

    pub fn points_drawn(&self) -> u64 {
        self.points_drawn.load(Ordering::Relaxed)
    }

    pub fn cursor_lonlat(&self) -> Option<(f64, f64)> {
        self.cursor_lonlat
    }

    /// Polar tiles cached, failed and on their way.
    pub fn polar_tile_counts(&self) -> TileCounts {
        self.polar_tiles.as_ref().map_or_else(TileCounts::default, PolarTiles::counts)
    }

    pub fn zoom(&self) -> f64 {
        match self.projection {
            Projection::Mercator => self.memory.zoom(),
            _ => self.polar_zoom,
        }
    }

    /// The view's centre on the ground.
    fn centre_lonlat(&self) -> (f64, f64) {
        match self.projection {
            Projection::Mercator => {
                let position = self.memory.detached().unwrap_or(walkers::lon_lat(0.0, 0.0));
                (position.x(), position.y())
            }
            polar => {
                let [lon, lat] = polar.lonlat_from_world(self.polar_centre_world);
                (lon, lat)
            }
        }
    }

    /// The camera: centre lon/lat and zoom (what a view link carries).
    pub fn view_at(&self) -> (f64, f64, f64) {
        let (lon, lat) = self.centre_lonlat();
        (lon, lat, self.zoom())
    }

    /// Puts the camera at a centre and zoom, in the current projection.
    pub fn set_view_at(&mut self, lon: f64, lat: f64, zoom: f64) {
        match self.projection {
            Projection::Mercator => {
                self.memory.center_at(lon_lat(lon, lat.clamp(-85.0, 85.0)));
                // Out-of-range zooms are refused by walkers; a clamped zoom is always accepted.
                let _ = self.memory.set_zoom(zoom.clamp(1.0, 19.0));
            }
            polar => {
                self.polar_centre_world = polar.world_from_lonlat(lon, lat);
                self.polar_zoom = zoom.clamp(*POLAR_ZOOM.start(), *POLAR_ZOOM.end());
            }
        }
    }

    /// Centres and zooms the map on a lon/lat box.
    pub fn zoom_to(&mut self, bbox: LonLatBox) {
        if bbox.is_empty() {
            return;
        }
        let size = [self.size_points.x.max(64.0) as u32, self.size_points.y.max(64.0) as u32];
        if self.projection != Projection::Mercator {
            let (min, max) = self.projection.world_box_of_lonlat_box(bbox.to_array());
            let camera = Camera::fit_world_box(min, max, size, 1.0, 0.08);
            self.polar_centre_world = camera.centre_world;
            self.polar_zoom = camera.zoom.clamp(*POLAR_ZOOM.start(), *POLAR_ZOOM.end());
            return;
        }
        let camera = Camera::fit_lonlat_box(bbox.to_array(), size, 1.0, 0.08);
        let [lon, lat] = floe_render::lonlat_from_world(camera.centre_world);
        self.memory.center_at(lon_lat(lon, lat));
        // Out-of-range zooms are refused by walkers; a clamped zoom is always accepted.
        let _ = self.memory.set_zoom(camera.zoom.clamp(1.0, 19.0));
    }

    /// Draws the map with the layers `layer_ids`, the AOI and a marker at `marker_lonlat` (the point hovered in the
    /// profile); returns what the user did on it (a finished AOI, a click, where the pointer is).
    pub fn show_ui(
        &mut self,
        ui: &mut egui::Ui,
        layer_ids: Vec<u64>,
        aoi: Option<&Aoi>,
        marker_lonlat: Option<(f64, f64)>,
        drawing: &mut AoiDrawing,
        tasks: &Tasks,
    ) -> MapOutput {
        if self.projection != Projection::Mercator {
            return self.polar_ui(ui, layer_ids, aoi, marker_lonlat, drawing, tasks);
        }
        let points_drawn = Arc::clone(&self.points_drawn);
        let ppp = ui.ctx().pixels_per_point();
        let tiles = self.tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles);
        // While a rectangle is drawn, the primary button draws and the others pan.
        let pan_buttons = if drawing.captures_drag() {
            egui::DragPanButtons::SECONDARY | egui::DragPanButtons::MIDDLE
        } else {
            egui::DragPanButtons::PRIMARY
        };
        let start = walkers::lon_lat(-121.9, 45.2);
        // Under the tiles: where they cannot be fetched, the coastline basemap shows on sea colour, not black.
        let [r, g, b, _] = crate::style::SEA;
        ui.painter().rect_filled(ui.available_rect_before_wrap(), 0.0, egui::Color32::from_rgb(r, g, b));
        let response = walkers::Map::new(tiles, &mut self.memory, start)
            .drag_pan_buttons(pan_buttons)
            .double_click_to_zoom(drawing.tool == DrawTool::Off)
            .show(ui, |ui, response, projector, _memory| {
                let rect = response.rect;
                let centre = projector.unproject(rect.center().to_vec2());
                let camera = Camera {
                    centre_world: world_from_lonlat(centre.x(), centre.y()),
                    zoom: projector.zoom(),
                    viewport_px: [
                        (rect.width() * ppp).round().max(1.0) as u32,
                        (rect.height() * ppp).round().max(1.0) as u32,
                    ],
                    pixels_per_point: f64::from(ppp),
                };
                let callback =
                    MapCallback { camera, projection: Projection::Mercator, layer_ids, coastline: true, points_drawn };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if let Some(aoi) = aoi {
                    aoi_outline_ui(ui, aoi, projector);
                }
                if let Some(lonlat) = marker_lonlat {
                    marker_ui(&ui.painter_at(rect), projector.ui_from_lonlat(lonlat));
                }
                let world_per_point = 1.0 / (256.0 * projector.zoom().exp2());
                let projector: &dyn MapScreen = projector;
                let clicked = click_of(response, drawing).map(|p| {
                    let (lon, lat) = projector.lonlat_from_ui(p);
                    world_from_lonlat(lon, lat)
                });
                let drawn = drawing.map_ui(ui, response, projector);
                let cursor = response.hover_pos().map(|p| projector.lonlat_from_ui(p));
                (
                    rect,
                    cursor,
                    response.dragged()
                        || response.contains_pointer() && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO),
                    drawn,
                    (clicked, world_per_point),
                )
            });
        let (rect, cursor, user_moved, drawn, (clicked_world, world_per_point)) = response.inner;
        self.size_points = rect.size();
        self.rect = Some(rect);
        self.cursor_lonlat = cursor;
        if user_moved {
            self.auto_zoom = false;
        }
        let hover_world = cursor.map(|(lon, lat)| world_from_lonlat(lon, lat));
        MapOutput { drawn, clicked_world, world_per_point, hover_world }
    }

    /// The polar view: Floe's own map widget, with walkers' gestures (drag to pan, wheel or pinch to zoom about
    /// the pointer, double-click to zoom in).
    fn polar_ui(
        &mut self,
        ui: &mut egui::Ui,
        layer_ids: Vec<u64>,
        aoi: Option<&Aoi>,
        marker_lonlat: Option<(f64, f64)>,
        drawing: &mut AoiDrawing,
        tasks: &Tasks,
    ) -> MapOutput {
        let ppp = f64::from(ui.ctx().pixels_per_point());
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        let camera_now = |centre_world, zoom| Camera {
            centre_world,
            zoom,
            viewport_px: [
                (f64::from(rect.width()) * ppp).round().max(1.0) as u32,
                (f64::from(rect.height()) * ppp).round().max(1.0) as u32,
            ],
            pixels_per_point: ppp,
        };
        let mut user_moved = false;
        // Pan: the primary button drags the map unless a rectangle is being drawn, then the others do.
        let pan_buttons: &[egui::PointerButton] = if drawing.captures_drag() {
            &[egui::PointerButton::Secondary, egui::PointerButton::Middle]
        } else {
            &[egui::PointerButton::Primary]
        };
        if pan_buttons.iter().any(|b| response.dragged_by(*b)) {
            let delta = response.drag_delta();
            let scale = camera_now(self.polar_centre_world, self.polar_zoom).px_per_world() / ppp;
            self.polar_centre_world[0] -= f64::from(delta.x) / scale;
            self.polar_centre_world[1] -= f64::from(delta.y) / scale;
            user_moved = true;
        }
        // Zoom about the pointer: the ground under it stays under it.
        if let Some(pointer) = response.hover_pos() {
            let (pinch, scroll) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta.y));
            let mut levels = if (pinch - 1.0).abs() > 1e-3 { f64::from(pinch).log2() } else { 0.0 };
            levels += f64::from(scroll) * SCROLL_ZOOM_PER_POINT;
            if drawing.tool == DrawTool::Off && response.double_clicked() {
                levels += 1.0;
            }
            if levels != 0.0 {
                let before = camera_now(self.polar_centre_world, self.polar_zoom);
                let px = [f64::from(pointer.x - rect.min.x) * ppp, f64::from(pointer.y - rect.min.y) * ppp];
                let anchor = before.world_from_px(px);
                let zoom = (self.polar_zoom + levels).clamp(*POLAR_ZOOM.start(), *POLAR_ZOOM.end());
                let after = camera_now(self.polar_centre_world, zoom);
                let moved = after.world_from_px(px);
                self.polar_centre_world[0] += anchor[0] - moved[0];
                self.polar_centre_world[1] += anchor[1] - moved[1];
                self.polar_zoom = zoom;
                user_moved = true;
                ui.input_mut(|i| i.smooth_scroll_delta = egui::Vec2::ZERO);
            }
        }
        let camera = camera_now(self.polar_centre_world, self.polar_zoom);
        let [r, g, b, _] = crate::style::SEA;
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, egui::Color32::from_rgb(r, g, b));
        let screen = PolarScreen { projection: self.projection, camera, rect };
        // Tiles first: the basemap lines and the points are drawn over them.
        if let Some(tiles) = &self.polar_tiles {
            tiles.ui(&painter, &screen, tasks);
        }
        let points_drawn = Arc::clone(&self.points_drawn);
        let callback = MapCallback { camera, projection: self.projection, layer_ids, coastline: true, points_drawn };
        ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
        graticule_labels_ui(&painter, &screen);
        if let Some(aoi) = aoi {
            aoi_outline_ui(ui, aoi, &screen);
        }
        if let Some(lonlat) = marker_lonlat {
            marker_ui(&painter, screen.ui_from_lonlat(lonlat));
        }
        let clicked_world = click_of(&response, drawing).map(|p| screen.world_from_ui(p));
        let drawn = drawing.map_ui(ui, &response, &screen);
        self.size_points = rect.size();
        self.rect = Some(rect);
        self.cursor_lonlat = response.hover_pos().map(|p| screen.lonlat_from_ui(p));
        if user_moved {
            self.auto_zoom = false;
        }
        let hover_world = response.hover_pos().map(|p| screen.world_from_ui(p));
        MapOutput { drawn, clicked_world, world_per_point: ppp / camera.px_per_world(), hover_world }
    }
}

/// Where the map was clicked with the primary button, unless the click belongs to the AOI tool.
fn click_of(response: &egui::Response, drawing: &AoiDrawing) -> Option<egui::Pos2> {
    let picking = drawing.tool == DrawTool::Off && response.clicked_by(egui::PointerButton::Primary);
    picking.then(|| response.interact_pointer_pos()).flatten()
}

/// The graticule's latitudes where they cross the central meridian's continuation below the pole, and its
/// meridians' longitudes near the view's edge, so that the lines on the map can be read.
fn graticule_labels_ui(painter: &egui::Painter, screen: &PolarScreen) {
    let north = screen.projection == Projection::North;
    let font = egui::FontId::proportional(11.0);
    let colour = egui::Color32::from_rgb(90, 107, 123);
    let rect = painter.clip_rect();
    for i in 1..=8 {
        let lat = if north { f64::from(i) * 10.0 } else { -f64::from(i) * 10.0 };
        // Along the meridian that points down the screen from the pole: EPSG:3413 −45°, EPSG:3031 180°.
        let lon = if north { -45.0 } else { 180.0 };
        let at = screen.ui_from_lonlat((lon, lat));
        if rect.contains(at) {
            painter.text(
                at,
                egui::Align2::LEFT_TOP,
                format!("{:.0}°{}", lat.abs(), if north { "N" } else { "S" }),
                font.clone(),
                colour,
            );
        }
    }
    let lat = if north { 62.0 } else { -62.0 };
    for i in 0..12 {
        let lon = f64::from(i) * 30.0 - 180.0;
        let at = screen.ui_from_lonlat((lon, lat));
        if rect.contains(at) {
            let name = match lon {
                0.0 => "0°".to_owned(),
                l if l < 0.0 => format!("{:.0}°W", -l),
                l => format!("{l:.0}°E"),
            };
            painter.text(at, egui::Align2::CENTER_CENTER, name, font.clone(), colour);
        }
    }
}

/// The AOI's rings as closed lines over the map; edges are followed in lon/lat steps, so that they curve as the
/// projection curves them.
fn aoi_outline_ui(ui: &egui::Ui, aoi: &Aoi, screen: &dyn MapScreen) {
    let stroke = egui::Stroke::new(2.0, aoi_draw::OUTLINE);
    let steps = if screen.is_lonlat_aligned() { 1 } else { 8 };
    for polygon in aoi.polygons() {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let mut points: Vec<egui::Pos2> = Vec::new();
            for line in ring.lines() {
                for i in 0..steps {
                    let f = i as f64 / steps as f64;
                    let (lon, lat) = (
                        line.start.x + (line.end.x - line.start.x) * f,
                        line.start.y + (line.end.y - line.start.y) * f,
                    );
                    points.push(screen.ui_from_lonlat((lon, lat)));
                }
            }
            if let Some(last) = ring.coords().last() {
                points.push(screen.ui_from_lonlat((last.x, last.y)));
            }
            ui.painter().add(egui::Shape::line(points, stroke));
        }
    }
}
