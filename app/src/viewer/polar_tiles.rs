//! Basemap tiles under the polar views: a WMTS-style grid in polar stereographic metres, fetched in the background,
//! cached, drawn under the points. A tile that cannot be fetched is simply absent: the sea colour, graticule and
//! coastline still show.
//!
//! The grid is NASA GIBS's for EPSG:3413 and EPSG:3031: its top-left corner at (−4,194,304 m, 4,194,304 m) (not
//! the EPSG extent), 512-pixel tiles, 8,192 m per pixel at level 0 (2 × 2 tiles) and half that at each level.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use floe_render::Projection;
use floe_render::projection::world_from_polar;

use super::screen::PolarScreen;
use crate::platform::Tasks;

/// Half the grid's width in metres: its corners are (±HALF, ±HALF).
const HALF: f64 = 4_194_304.0;
const TILE_PX: f64 = 512.0;
/// Metres per tile pixel at level 0.
const LEVEL0_RESOLUTION: f64 = 8192.0;
/// The finest level fetched (GIBS's 500 m sets end here).
const MAX_LEVEL: u32 = 5;
/// Tile requests in flight at most.
const MAX_IN_FLIGHT: usize = 6;

/// GIBS's Blue Marble relief, per pole (`{z}`, `{y}` row, `{x}` column).
pub fn default_template(projection: Projection) -> Option<String> {
    let epsg = match projection {
        Projection::Mercator => return None,
        Projection::North => "3413",
        Projection::South => "3031",
    };
    Some(format!(
        "https://gibs.earthdata.nasa.gov/wmts/epsg{epsg}/best/BlueMarble_ShadedRelief_Bathymetry/default/2004-08-01/\
         500m/{{z}}/{{y}}/{{x}}.jpeg"
    ))
}

/// How many tiles are cached, failed, and on their way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TileCounts {
    pub ready: usize,
    pub failed: usize,
    pub loading: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TileId {
    projection: Projection,
    z: u32,
    x: u32,
    y: u32,
}

enum Slot {
    Loading,
    Ready(egui::TextureHandle),
    Failed,
}

/// The tiles of both polar views: what is cached, what is on its way.
pub struct PolarTiles {
    /// URL template with `{z}`, `{x}`, `{y}`; `{epsg}` becomes 3413 or 3031. `None`: GIBS's defaults.
    template: Option<String>,
    slots: Arc<Mutex<HashMap<TileId, Slot>>>,
}

impl PolarTiles {
    pub fn new(template: Option<String>) -> Self {
        Self { template, slots: Arc::default() }
    }

    fn url(&self, tile: TileId) -> Option<String> {
        let template = match &self.template {
            Some(template) => template.clone(),
            None => default_template(tile.projection)?,
        };
        let epsg = if tile.projection == Projection::North { "3413" } else { "3031" };
        Some(
            template
                .replace("{epsg}", epsg)
                .replace("{z}", &tile.z.to_string())
                .replace("{x}", &tile.x.to_string())
                .replace("{y}", &tile.y.to_string()),
        )
    }

    /// Tiles cached, failed and still on their way (for tests and the log).
    pub fn counts(&self) -> TileCounts {
        let slots = self.slots.lock().map(|s| TileCounts {
            ready: s.values().filter(|v| matches!(v, Slot::Ready(_))).count(),
            failed: s.values().filter(|v| matches!(v, Slot::Failed)).count(),
            loading: s.values().filter(|v| matches!(v, Slot::Loading)).count(),
        });
        slots.unwrap_or_default()
    }

    /// Draws the cached tiles that cover the view and asks for the missing ones (through `spawn`).
    pub fn ui(&self, painter: &egui::Painter, screen: &PolarScreen, tasks: &Tasks) {
        let camera = &screen.camera;
        let metres_per_px = floe_render::projection::METRES_PER_WORLD / camera.px_per_world();
        let z = (LEVEL0_RESOLUTION / metres_per_px).log2().ceil().clamp(0.0, f64::from(MAX_LEVEL)) as u32;
        let tile_metres = TILE_PX * LEVEL0_RESOLUTION / f64::from(1u32 << z);
        let count = 1u32 << (z + 1);
        // The view's box in metres (y up), from the screen corners.
        let rect = painter.clip_rect();
        let corners = [rect.left_top(), rect.right_bottom()]
            .map(|p| floe_render::projection::polar_from_world(screen.world_from_ui(p)));
        let (xmin, xmax) = (corners[0][0].min(corners[1][0]), corners[0][0].max(corners[1][0]));
        let (ymin, ymax) = (corners[0][1].min(corners[1][1]), corners[0][1].max(corners[1][1]));
        let column = |x: f64| ((x + HALF) / tile_metres).floor().clamp(0.0, f64::from(count - 1)) as u32;
        let row = |y: f64| ((HALF - y) / tile_metres).floor().clamp(0.0, f64::from(count - 1)) as u32;
        let Ok(slots) = self.slots.lock() else { return };
        let mut missing = Vec::new();
        for y in row(ymax)..=row(ymin) {
            for x in column(xmin)..=column(xmax) {
                let tile = TileId { projection: screen.projection, z, x, y };
                match slots.get(&tile) {
                    Some(Slot::Ready(texture)) => {
                        // The tile's corners in metres, then on screen.
                        let left = -HALF + f64::from(x) * tile_metres;
                        let top = HALF - f64::from(y) * tile_metres;
                        let corner = |mx: f64, my: f64| screen.ui_from_world(world_from_polar([mx, my]));
                        let rect =
                            egui::Rect::from_two_pos(corner(left, top), corner(left + tile_metres, top - tile_metres));
                        let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                        painter.image(texture.id(), rect, uv, egui::Color32::WHITE);
                    }
                    Some(Slot::Loading | Slot::Failed) => {}
                    None => missing.push(tile),
                }
            }
        }
        let in_flight = slots.values().filter(|slot| matches!(slot, Slot::Loading)).count();
        // `fetch` takes the lock again.
        drop(slots);
        for tile in missing.into_iter().take(MAX_IN_FLIGHT.saturating_sub(in_flight)) {
            self.fetch(tile, painter.ctx().clone(), tasks);
        }
    }

    fn fetch(&self, tile: TileId, ctx: egui::Context, tasks: &Tasks) {
        let Some(url) = self.url(tile) else { return };
        if let Ok(mut slots) = self.slots.lock() {
            slots.insert(tile, Slot::Loading);
        }
        let slots = Arc::clone(&self.slots);
        tasks.spawn(async move {
            let bytes = crate::load::Input::Named(url.clone()).read_all().await;
            let slot = match bytes.map_err(|e| e.to_string()).and_then(|b| decode(&b).map_err(|e| e.to_string())) {
                Ok(image) => Slot::Ready(ctx.load_texture(url, image, egui::TextureOptions::LINEAR)),
                Err(e) => {
                    log::debug!("floe: polar tile {url}: {e}");
                    Slot::Failed
                }
            };
            if let Ok(mut slots) = slots.lock() {
                slots.insert(tile, slot);
            }
            ctx.request_repaint();
        });
    }
}

fn decode(bytes: &[u8]) -> Result<egui::ColorImage, image::ImageError> {
    let image = image::load_from_memory(bytes)?.to_rgba8();
    let size = [image.width() as usize, image.height() as usize];
    Ok(egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw()))
}
