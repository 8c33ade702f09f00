//! Drawing around rendered points on the CPU: text (egui's own Ubuntu font, rasterised by `ab_glyph`), lines,
//! boxes, colour bars. What `floe render` and `floe profile` add to their PNGs (axes, ticks, legends), so that the
//! picture explains itself without the terminal.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use floe_render::{Colormap, RgbaImage};

/// Where a text's anchor point lies on its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Left end, vertically centred.
    Left,
    /// Right end, vertically centred.
    Right,
    /// Horizontally centred, top edge.
    Top,
}

pub const INK: [u8; 4] = [30, 30, 30, 255];
pub const GRID: [u8; 4] = [225, 225, 225, 255];
pub const PAPER: [u8; 4] = [255, 255, 255, 255];

fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok()).as_ref()
}

/// An RGBA image being drawn on.
pub struct Canvas {
    pub image: RgbaImage,
}

impl Canvas {
    pub fn new(width: u32, height: u32, background: [u8; 4]) -> Self {
        let pixels = background.iter().copied().cycle().take(width as usize * height as usize * 4).collect();
        Self { image: RgbaImage { width, height, pixels } }
    }

    /// Blends `colour` over pixel (x, y) with coverage `alpha` (0–1); outside the image: nothing.
    pub fn blend(&mut self, x: i64, y: i64, colour: [u8; 4], alpha: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.image.width) || y >= i64::from(self.image.height) {
            return;
        }
        let index = (y as usize * self.image.width as usize + x as usize) * 4;
        let a = alpha.clamp(0.0, 1.0) * f32::from(colour[3]) / 255.0;
        if let Some(pixel) = self.image.pixels.get_mut(index..index + 4) {
            for (channel, value) in pixel.iter_mut().zip(colour).take(3) {
                *channel = (f32::from(*channel) * (1.0 - a) + f32::from(value) * a).round() as u8;
            }
            pixel[3] = pixel[3].max((a * 255.0).round() as u8);
        }
    }

    pub fn fill_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, colour: [u8; 4]) {
        for y in y0.max(0)..y1.min(i64::from(self.image.height)) {
            for x in x0.max(0)..x1.min(i64::from(self.image.width)) {
                self.blend(x, y, colour, 1.0);
            }
        }
    }

    /// A one-pixel outline of the box (x0, y0)–(x1, y1), corners included.
    pub fn stroke_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, colour: [u8; 4]) {
        self.fill_rect(x0, y0, x1 + 1, y0 + 1, colour);
        self.fill_rect(x0, y1, x1 + 1, y1 + 1, colour);
        self.fill_rect(x0, y0, x0 + 1, y1 + 1, colour);
        self.fill_rect(x1, y0, x1 + 1, y1 + 1, colour);
    }

    /// Copies `image` with its top-left corner at (x, y).
    pub fn blit(&mut self, image: &RgbaImage, x: i64, y: i64) {
        for row in 0..image.height {
            for column in 0..image.width {
                if let Some(pixel) = image.pixel(column, row) {
                    let (tx, ty) = (x + i64::from(column), y + i64::from(row));
                    if tx >= 0 && ty >= 0 && tx < i64::from(self.image.width) && ty < i64::from(self.image.height) {
                        let index = (ty as usize * self.image.width as usize + tx as usize) * 4;
                        if let Some(target) = self.image.pixels.get_mut(index..index + 4) {
                            target.copy_from_slice(&pixel);
                        }
                    }
                }
            }
        }
    }

    /// The width of `text` in pixels at `size` pixels.
    pub fn text_width(text: &str, size: f32) -> f32 {
        let Some(font) = font() else { return 0.0 };
        let scaled = font.as_scaled(PxScale::from(size));
        let mut width = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                width += scaled.kern(previous, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        width
    }

    /// Draws `text` at `size` pixels with its `anchor` at (x, y).
    pub fn text(&mut self, text: &str, x: f32, y: f32, size: f32, colour: [u8; 4], anchor: Anchor) {
        let Some(font) = font() else { return };
        let scaled = font.as_scaled(PxScale::from(size));
        let width = Self::text_width(text, size);
        let height = scaled.ascent() - scaled.descent();
        let (left, top) = match anchor {
            Anchor::Left => (x, y - height / 2.0),
            Anchor::Right => (x - width, y - height / 2.0),
            Anchor::Top => (x - width / 2.0, y),
        };
        let baseline = top + scaled.ascent();
        let mut caret = left;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(caret, baseline));
            caret += scaled.h_advance(id);
            previous = Some(id);
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    self.blend(
                        bounds.min.x as i64 + i64::from(gx),
                        bounds.min.y as i64 + i64::from(gy),
                        colour,
                        coverage,
                    );
                });
            }
        }
    }

    /// Draws `text` turned 90° anticlockwise (reading upwards), centred on (x, y).
    pub fn text_vertical(&mut self, text: &str, x: f32, y: f32, size: f32, colour: [u8; 4]) {
        let width = Self::text_width(text, size).ceil() as u32 + 2;
        let height = (size * 1.4).ceil() as u32;
        let mut strip = Canvas::new(width, height, [0, 0, 0, 0]);
        strip.text(text, 1.0, height as f32 / 2.0, size, colour, Anchor::Left);
        // (column, row) of the strip lands at (row, width − 1 − column) of the turned text.
        let left = x as i64 - i64::from(height) / 2;
        let top = y as i64 - i64::from(width) / 2;
        for row in 0..height {
            for column in 0..width {
                if let Some(pixel) = strip.image.pixel(column, row)
                    && pixel[3] > 0
                {
                    let alpha = f32::from(pixel[3]) / 255.0;
                    let opaque = [colour[0], colour[1], colour[2], 255];
                    self.blend(left + i64::from(row), top + i64::from(width - 1 - column), opaque, alpha);
                }
            }
        }
    }

    /// A vertical colour bar of `colormap` in the box (x0, y0)–(x1, y1), the colormap's top end at the top, with
    /// the labels of its ends (and its title above) to the right or, with `labels_left`, to the left.
    #[allow(clippy::too_many_arguments)]
    pub fn colour_bar(
        &mut self,
        colormap: Colormap,
        [x0, y0, x1, y1]: [i64; 4],
        title: &str,
        low: &str,
        high: &str,
        size: f32,
        labels_left: bool,
    ) {
        let lut = colormap.lut();
        let span = (y1 - y0).max(1);
        for y in y0..y1 {
            let t = 1.0 - (y - y0) as f64 / span as f64;
            let index = ((t * 255.0).round() as usize).min(255);
            let colour = lut.get(index).copied().unwrap_or(INK);
            self.fill_rect(x0, y, x1, y + 1, colour);
        }
        self.stroke_rect(x0, y0, x1 - 1, y1 - 1, INK);
        let (label_x, anchor) =
            if labels_left { (x0 as f32 - 4.0, Anchor::Right) } else { (x1 as f32 + 4.0, Anchor::Left) };
        self.text(high, label_x, y0 as f32 + size * 0.5, size, INK, anchor);
        self.text(low, label_x, y1 as f32 - size * 0.5, size, INK, anchor);
        let title_x = if labels_left { x1 as f32 } else { x0 as f32 };
        let title_anchor = if labels_left { Anchor::Right } else { Anchor::Left };
        self.text(title, title_x, y0 as f32 - size * 0.9, size, INK, title_anchor);
    }
}

/// A legend box for a map: the column's name over a horizontal colour bar with its two ends' values, in the
/// bottom-right corner of the canvas. Drawn only when the canvas has room for it (at least 320×200).
pub fn map_legend(canvas: &mut Canvas, colormap: Colormap, title: &str, low: &str, high: &str) {
    let (width, height) = (i64::from(canvas.image.width), i64::from(canvas.image.height));
    if width < 320 || height < 200 {
        return;
    }
    let size = 12.0;
    let box_w = 220.max(Canvas::text_width(title, size).ceil() as i64 + 20);
    let (x0, y0, x1, y1) = (width - box_w - 10, height - 62, width - 10, height - 10);
    canvas.fill_rect(x0, y0, x1, y1, [255, 255, 255, 225]);
    canvas.stroke_rect(x0, y0, x1 - 1, y1 - 1, [160, 160, 160, 255]);
    canvas.text(title, x0 as f32 + 10.0, y0 as f32 + 11.0, size, INK, Anchor::Left);
    let (bar_x0, bar_x1, bar_y0, bar_y1) = (x0 + 10, x1 - 10, y0 + 21, y0 + 33);
    let lut = colormap.lut();
    let span = (bar_x1 - bar_x0).max(1);
    for x in bar_x0..bar_x1 {
        let index = (((x - bar_x0) as f64 / span as f64 * 255.0).round() as usize).min(255);
        canvas.fill_rect(x, bar_y0, x + 1, bar_y1, lut.get(index).copied().unwrap_or(INK));
    }
    canvas.text(low, bar_x0 as f32, bar_y1 as f32 + 9.0, size - 1.0, INK, Anchor::Left);
    canvas.text(high, bar_x1 as f32, bar_y1 as f32 + 9.0, size - 1.0, INK, Anchor::Right);
}

/// A legend box for a class column in the bottom-right corner: the column's name, then a swatch and the name of
/// each class. Drawn only when the canvas has room for it.
pub fn class_legend(canvas: &mut Canvas, title: &str, entries: &[([u8; 4], String)]) {
    let (width, height) = (i64::from(canvas.image.width), i64::from(canvas.image.height));
    let size = 12.0;
    let box_h = 30 + 17 * entries.len() as i64;
    let text_w =
        entries.iter().map(|(_, t)| Canvas::text_width(t, size)).fold(Canvas::text_width(title, size), f32::max);
    let box_w = text_w.ceil() as i64 + 42;
    if width < box_w + 20 || height < box_h + 20 {
        return;
    }
    let (x0, y0, x1, y1) = (width - box_w - 10, height - box_h - 10, width - 10, height - 10);
    canvas.fill_rect(x0, y0, x1, y1, [255, 255, 255, 225]);
    canvas.stroke_rect(x0, y0, x1 - 1, y1 - 1, [160, 160, 160, 255]);
    canvas.text(title, x0 as f32 + 10.0, y0 as f32 + 12.0, size, INK, Anchor::Left);
    for (row, (colour, name)) in entries.iter().enumerate() {
        let y = y0 + 30 + 17 * row as i64;
        canvas.fill_rect(x0 + 10, y - 5, x0 + 22, y + 6, *colour);
        canvas.text(name, x0 as f32 + 28.0, y as f32, size - 1.0, INK, Anchor::Left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_puts_ink_where_it_is_anchored() {
        let mut canvas = Canvas::new(120, 40, PAPER);
        canvas.text("Floe 123", 10.0, 20.0, 16.0, INK, Anchor::Left);
        let inked = |x0: u32, x1: u32| {
            (x0..x1).flat_map(|x| (0..40).map(move |y| (x, y))).any(|(x, y)| canvas.image.pixel(x, y) != Some(PAPER))
        };
        assert!(!inked(0, 10), "nothing left of the anchor");
        assert!(inked(10, 20), "the F");
        let width = Canvas::text_width("Floe 123", 16.0);
        assert!(width > 40.0 && width < 90.0, "{width}");
        assert!(!inked(12 + width.ceil() as u32, 120), "nothing beyond the text's width");
    }

    #[test]
    fn vertical_text_is_taller_than_wide() {
        let mut canvas = Canvas::new(40, 120, PAPER);
        canvas.text_vertical("height [m]", 20.0, 60.0, 14.0, INK);
        let inked: Vec<(u32, u32)> = (0..40)
            .flat_map(|x| (0..120).map(move |y| (x, y)))
            .filter(|&(x, y)| canvas.image.pixel(x, y) != Some(PAPER))
            .collect();
        let (xs, ys): (Vec<u32>, Vec<u32>) = inked.iter().copied().unzip();
        let width = xs.iter().max().unwrap() - xs.iter().min().unwrap();
        let height = ys.iter().max().unwrap() - ys.iter().min().unwrap();
        assert!(height > 3 * width, "{width} x {height}");
    }
}
