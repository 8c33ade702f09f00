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

/// The classes of an integer column (`first .. first + count`), each in its own colour, some hidden: a categorical
/// table in place of a gradient. Hiding a class makes its entries transparent, so it costs one table upload and no
/// change to the points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Classes {
    pub first: i32,
    /// At most 32.
    pub count: u8,
    /// Bit `c - first` set: class `c` is hidden.
    pub hidden: u32,
}

/// Tableau 10, then its lighter shades: distinct colours for up to 20 classes (then they repeat).
pub const CLASS_COLOURS: [[u8; 4]; 20] = [
    [78, 121, 167, 255],
    [242, 142, 43, 255],
    [225, 87, 89, 255],
    [118, 183, 178, 255],
    [89, 161, 79, 255],
    [237, 201, 72, 255],
    [176, 122, 161, 255],
    [255, 157, 167, 255],
    [156, 117, 95, 255],
    [186, 176, 172, 255],
    [160, 203, 232, 255],
    [255, 190, 125, 255],
    [255, 157, 154, 255],
    [134, 188, 182, 255],
    [140, 209, 125, 255],
    [241, 206, 99, 255],
    [212, 166, 200, 255],
    [251, 207, 211, 255],
    [215, 181, 166, 255],
    [121, 112, 110, 255],
];

impl Classes {
    /// The value range that puts each class in the middle of its share of the table.
    pub fn value_range(&self) -> (f32, f32) {
        (self.first as f32 - 0.5, self.first as f32 + f32::from(self.count.max(1)) - 0.5)
    }

    /// The colour of class `class` (whether hidden or not).
    pub fn colour(&self, class: i32) -> [u8; 4] {
        let offset = class.saturating_sub(self.first).max(0) as usize;
        CLASS_COLOURS[offset % CLASS_COLOURS.len()]
    }

    pub fn is_hidden(&self, class: i32) -> bool {
        let offset = class.saturating_sub(self.first);
        (0..32).contains(&offset) && self.hidden & (1 << offset) != 0
    }

    /// The table: entry `i` holds the class whose values map to it over [`Classes::value_range`].
    pub fn lut(&self) -> [[u8; 4]; 256] {
        let count = i32::from(self.count.clamp(1, 32));
        std::array::from_fn(|i| {
            let offset = ((i as f32 / 255.0) * count as f32).floor().clamp(0.0, (count - 1) as f32) as i32;
            let class = self.first + offset;
            if self.is_hidden(class) { [0, 0, 0, 0] } else { self.colour(class) }
        })
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

    #[test]
    fn every_class_value_lands_on_its_own_colour() {
        // signal_conf_ph: -2 … 4, with class 0 (noise) hidden.
        let classes = Classes { first: -2, count: 7, hidden: 1 << 2 };
        let (lo, hi) = classes.value_range();
        let lut = classes.lut();
        for class in -2..=4 {
            let entry = lut[lut_index(class as f32, lo, hi)];
            if class == 0 {
                assert_eq!(entry, [0, 0, 0, 0], "hidden");
            } else {
                assert_eq!(entry, CLASS_COLOURS[(class + 2) as usize], "class {class}");
            }
        }
    }
}
