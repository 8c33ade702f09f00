//! *Save image…*: what the map or the profile shows, as a PNG at the window's resolution, with the legend of the
//! selected layer drawn in. The pixels come from a screenshot of the window (egui's `ViewportCommand::Screenshot`,
//! on the desktop and in the browser alike), cropped to the view.

use floe_render::{Colormap, RgbaImage};

use crate::annotate::{Canvas, map_legend};

/// The legend drawn into a saved image: the colour column's label, the colormap and its two ends' values.
#[derive(Clone, Debug)]
pub struct Legend {
    pub colormap: Colormap,
    pub title: String,
    pub low: String,
    pub high: String,
}

/// What to cut out of the window's screenshot, and what to draw on it.
#[derive(Clone, Debug)]
pub struct ImageRequest {
    /// The view's rectangle, in ui points.
    pub rect: egui::Rect,
    pub pixels_per_point: f32,
    pub legend: Option<Legend>,
}

/// The PNG of `request`'s part of the window's screenshot.
pub fn png_of(screenshot: &egui::ColorImage, request: &ImageRequest) -> Result<Vec<u8>, String> {
    let [width, height] = screenshot.size;
    let ppp = request.pixels_per_point;
    let x0 = ((request.rect.min.x * ppp).round().max(0.0) as usize).min(width);
    let y0 = ((request.rect.min.y * ppp).round().max(0.0) as usize).min(height);
    let x1 = ((request.rect.max.x * ppp).round().max(0.0) as usize).clamp(x0, width);
    let y1 = ((request.rect.max.y * ppp).round().max(0.0) as usize).clamp(y0, height);
    if x1 == x0 || y1 == y0 {
        return Err("the view is not on screen: nothing to save".to_owned());
    }
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for x in x0..x1 {
            let colour = screenshot.pixels.get(y * width + x).copied().unwrap_or_default();
            pixels.extend_from_slice(&colour.to_srgba_unmultiplied());
        }
    }
    let image = RgbaImage { width: (x1 - x0) as u32, height: (y1 - y0) as u32, pixels };
    let mut canvas = Canvas { image };
    if let Some(legend) = &request.legend {
        map_legend(&mut canvas, legend.colormap, &legend.title, &legend.low, &legend.high);
    }
    canvas.image.to_png().map_err(|e| format!("cannot encode the PNG: {e}"))
}
