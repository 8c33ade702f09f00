//! The Web Mercator map (walkers): tiles, the point layers drawn by the GPU callback, the AOI outline and the
//! drawing tool over it, and what the status bar reports about it (cursor, zoom, points drawn).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use floe_io::LonLatBox;
use floe_io::aoi::Aoi;
use floe_render::{Camera, world_from_lonlat};
use walkers::{HttpTiles, MapMemory, lon_lat};

use super::aoi_draw::{self, AoiDrawing, DrawTool};
use super::gpu::MapCallback;

pub struct MapView {
    memory: MapMemory,
    tiles: Option<HttpTiles>,
    /// Points drawn in the last frame (written by the paint callback).
    points_drawn: Arc<AtomicU64>,
    cursor_lonlat: Option<(f64, f64)>,
    size_points: egui::Vec2,
    /// The view follows the first data until the user moves the map.
    pub auto_zoom: bool,
}

impl MapView {
    pub fn new(tiles: Option<HttpTiles>) -> Self {
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
        }
    }

    pub fn points_drawn(&self) -> u64 {
        self.points_drawn.load(Ordering::Relaxed)
    }

    pub fn cursor_lonlat(&self) -> Option<(f64, f64)> {
        self.cursor_lonlat
    }

    pub fn zoom(&self) -> f64 {
        self.memory.zoom()
    }

    /// Centres and zooms the map on a lon/lat box.
    pub fn zoom_to(&mut self, bbox: LonLatBox) {
        if bbox.is_empty() {
            return;
        }
        let size = [self.size_points.x.max(64.0) as u32, self.size_points.y.max(64.0) as u32];
        let camera = Camera::fit_lonlat_box(bbox.to_array(), size, 1.0, 0.08);
        let [lon, lat] = floe_render::lonlat_from_world(camera.centre_world);
        self.memory.center_at(lon_lat(lon, lat));
        // Out-of-range zooms are refused by walkers; a clamped zoom is always accepted.
        let _ = self.memory.set_zoom(camera.zoom.clamp(1.0, 19.0));
    }

    /// Draws the map with the layers `layer_ids` and the AOI; returns an AOI the user finished drawing.
    pub fn show_ui(
        &mut self,
        ui: &mut egui::Ui,
        layer_ids: Vec<u64>,
        aoi: Option<&Aoi>,
        drawing: &mut AoiDrawing,
    ) -> Option<Aoi> {
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
                let callback = MapCallback { camera, layer_ids, coastline: true, points_drawn };
                ui.painter().add(egui_wgpu::Callback::new_paint_callback(rect, callback));
                if let Some(aoi) = aoi {
                    aoi_outline_ui(ui, aoi, projector);
                }
                let drawn = drawing.map_ui(ui, response, projector);
                let cursor = response.hover_pos().map(|p| {
                    let position = projector.unproject(p.to_vec2());
                    (position.x(), position.y())
                });
                (
                    rect,
                    cursor,
                    response.dragged()
                        || response.contains_pointer() && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO),
                    drawn,
                )
            });
        let (rect, cursor, user_moved, drawn) = response.inner;
        self.size_points = rect.size();
        self.cursor_lonlat = cursor;
        if user_moved {
            self.auto_zoom = false;
        }
        drawn
    }
}

/// The AOI's rings as closed lines over the map.
fn aoi_outline_ui(ui: &egui::Ui, aoi: &Aoi, projector: &walkers::Projector<'_>) {
    let stroke = egui::Stroke::new(2.0, aoi_draw::OUTLINE);
    for polygon in aoi.polygons() {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let points: Vec<egui::Pos2> =
                ring.coords().map(|c| projector.project(lon_lat(c.x, c.y)).to_pos2()).collect();
            ui.painter().add(egui::Shape::line(points, stroke));
        }
    }
}
