//! RGBA images read back from the GPU, and writing them as PNG atomically.

use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    /// Rows top to bottom, 4 bytes per pixel.
    pub pixels: Vec<u8>,
}

impl RgbaImage {
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let start = (y as usize * self.width as usize + x as usize) * 4;
        self.pixels.get(start..start + 4).and_then(|p| p.try_into().ok())
    }

    /// Encodes as PNG.
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header()?;
            writer.write_image_data(&self.pixels)?;
        }
        Ok(bytes)
    }

    /// Writes a PNG next to `path` under a temporary name, then renames it: no half-written file is left.
    pub fn save_png(&self, path: &Path) -> std::io::Result<()> {
        let bytes = self.to_png().map_err(std::io::Error::other)?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out.png".into());
        let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        std::fs::write(&temp, &bytes)?;
        std::fs::rename(&temp, path).inspect_err(|_| {
            // The rename error is the one reported; a leftover temp file would only add confusion.
            let _ = std::fs::remove_file(&temp);
        })
    }
}
