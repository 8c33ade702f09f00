//! Continuous colormaps as 256-entry RGBA lookup tables, built from `colorous`. The GPU samples exactly
//! these bytes, and the legend draws from the same table.

/// The colormaps Floe offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Colormap {
    #[default]
    Viridis,
    Magma,
    Inferno,
    Plasma,
    Cividis,
    Turbo,
    BrBG,
    RdBu,
    Spectral,
}

impl Colormap {
    pub const ALL: [Colormap; 9] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Plasma,
        Colormap::Cividis,
        Colormap::Turbo,
        Colormap::BrBG,
        Colormap::RdBu,
        Colormap::Spectral,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Plasma => "plasma",
            Colormap::Cividis => "cividis",
            Colormap::Turbo => "turbo",
            Colormap::BrBG => "brbg",
            Colormap::RdBu => "rdbu",
            Colormap::Spectral => "spectral",
        }
    }

    /// Case-insensitive lookup by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    fn gradient(self) -> colorous::Gradient {
        match self {
            Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
            Colormap::Inferno => colorous::INFERNO,
            Colormap::Plasma => colorous::PLASMA,
            Colormap::Cividis => colorous::CIVIDIS,
            Colormap::Turbo => colorous::TURBO,
            Colormap::BrBG => colorous::BROWN_GREEN,
            Colormap::RdBu => colorous::RED_BLUE,
            Colormap::Spectral => colorous::SPECTRAL,
        }
    }

    /// The 256-entry RGBA table: entry `i` is the gradient at `i / 255`.
    pub fn lut(self) -> [[u8; 4]; 256] {
        let gradient = self.gradient();
        std::array::from_fn(|i| {
            let c = gradient.eval_rational(i, 256);
            [c.r, c.g, c.b, 255]
        })
    }

    /// The table entry a value maps to for a value range, as the shader computes it.
    pub fn colour_for(self, value: f32, min: f32, max: f32) -> [u8; 4] {
        self.lut()[lut_index(value, min, max)]
    }
}

/// Which of the 256 entries a value falls in: the same formula as `scatter.wgsl`.
pub fn lut_index(value: f32, min: f32, max: f32) -> usize {
    let span = if max > min { max - min } else { 1.0 };
    let t = ((value - min) / span).clamp(0.0, 1.0);
    ((t * 255.0 + 0.5).floor() as usize).min(255)
}

impl std::fmt::Display for Colormap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lut_ends_match_the_gradient() {
        let lut = Colormap::Viridis.lut();
        // Viridis runs from dark purple (#440154) to yellow (#fde725).
        assert_eq!(lut[0], [0x44, 0x01, 0x54, 255]);
        assert_eq!(lut[255], [0xfd, 0xe7, 0x25, 255]);
        assert_eq!(Colormap::from_name("RdBu"), Some(Colormap::RdBu));
        assert_eq!(lut_index(5.0, 0.0, 10.0), 128);
        assert_eq!(lut_index(-3.0, 0.0, 10.0), 0);
        assert_eq!(lut_index(30.0, 0.0, 10.0), 255);
    }
}
