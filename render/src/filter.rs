//! GPU point filters: what a layer's filter slots test.
//!
//! Each slot reads one f32 per point (a column's GPU values, uploaded once when the column is first filtered);
//! its tests are uniforms (a range, up to four excluded values, bit flags) and one row of the layer's set texture
//! (membership of integer codes: 8,192 per slot, enough for every rgt), so changing a filter never re-uploads
//! points. [`SlotFilter::passes`] is the shader's test in Rust, so a count on the CPU matches what is drawn.

use bytemuck::{Pod, Zeroable};

/// Filter slots per layer: vertex buffers 2 to 5 (WebGPU guarantees 8 vertex buffers; positions and colour
/// values take two).
pub const FILTER_SLOTS: usize = 4;

/// Integer codes a slot's set can hold: one texture row of 256 texels of 32 bits.
pub const SET_CODES: usize = 8192;

/// Texels (u32 words) in one row of the set texture.
pub const SET_WORDS: usize = SET_CODES / 32;

/// Values a slot can exclude (`!=`).
pub const MAX_EXCLUDED: usize = 4;

/// What a point's value in one slot must satisfy; every test must pass, and NaN (null) never does.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotFilter {
    /// Inclusive bounds (infinite when open).
    pub min: f32,
    pub max: f32,
    /// Values that fail.
    pub excluded: Vec<f32>,
    /// The integer codes that pass, when set: `code = floor(value + 0.5) - base` must be a set bit.
    pub set: Option<CodeSet>,
    /// Bit flags of the integer value: `(code & mask) == want`.
    pub mask: u32,
    pub want: u32,
}

/// A set of integer codes starting at `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSet {
    pub base: i32,
    /// `SET_WORDS` words; bit `i % 32` of word `i / 32` is code `base + i`.
    pub words: Vec<u32>,
}

impl CodeSet {
    /// The set of `values`; `None` when they span more than [`SET_CODES`] codes.
    pub fn of(values: &[i64]) -> Option<Self> {
        let base = values.iter().copied().min().unwrap_or(0);
        let mut words = vec![0u32; SET_WORDS];
        for &value in values {
            let offset = usize::try_from(value - base).ok().filter(|o| *o < SET_CODES)?;
            *words.get_mut(offset / 32)? |= 1 << (offset % 32);
        }
        Some(Self { base: i32::try_from(base).ok()?, words })
    }

    pub fn contains(&self, code: i32) -> bool {
        let Some(offset) = code.checked_sub(self.base).and_then(|o| usize::try_from(o).ok()) else { return false };
        self.words.get(offset / 32).is_some_and(|word| (word >> (offset % 32)) & 1 == 1)
    }
}

impl Default for SlotFilter {
    fn default() -> Self {
        Self { min: f32::NEG_INFINITY, max: f32::INFINITY, excluded: Vec::new(), set: None, mask: 0, want: 0 }
    }
}

impl SlotFilter {
    /// The shader's test (`slot_passes` in `scatter.wgsl`).
    pub fn passes(&self, value: f32) -> bool {
        if !value.is_finite() || value < self.min || value > self.max {
            return false;
        }
        if self.excluded.iter().take(MAX_EXCLUDED).any(|&e| value == e) {
            return false;
        }
        let code = (value + 0.5).floor() as i32;
        if let Some(set) = &self.set
            && !set.contains(code)
        {
            return false;
        }
        (code as u32) & self.mask == self.want
    }

    pub(crate) fn uniform(&self) -> SlotUniform {
        let mut excluded = [0.0; MAX_EXCLUDED];
        for (slot, value) in excluded.iter_mut().zip(&self.excluded) {
            *slot = *value;
        }
        SlotUniform {
            min: self.min,
            max: self.max,
            set_base: self.set.as_ref().map_or(0, |s| s.base),
            flags: 1 | if self.set.is_some() { 2 } else { 0 },
            mask: self.mask,
            want: self.want,
            excluded_count: self.excluded.len().min(MAX_EXCLUDED) as u32,
            _pad: 0,
            excluded,
        }
    }
}

/// One slot in the layer uniform (`Slot` in `scatter.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub(crate) struct SlotUniform {
    min: f32,
    max: f32,
    set_base: i32,
    /// Bit 0: the slot is in use; bit 1: the set applies.
    flags: u32,
    mask: u32,
    want: u32,
    excluded_count: u32,
    _pad: u32,
    excluded: [f32; MAX_EXCLUDED],
}

/// The filters of a layer's slots (`None`: the slot passes everything).
pub type LayerFilters = [Option<SlotFilter>; FILTER_SLOTS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_tests_range_excluded_values_sets_and_bits() {
        let open = SlotFilter::default();
        assert!(open.passes(-1e30) && open.passes(3.5));
        assert!(!open.passes(f32::NAN), "nulls never pass");
        let range = SlotFilter { min: 1.0, max: 2.0, ..Default::default() };
        assert_eq!([0.999, 1.0, 2.0, 2.001].map(|v| range.passes(v)), [false, true, true, false]);
        let excluded = SlotFilter { excluded: vec![3.0], ..Default::default() };
        assert!(!excluded.passes(3.0) && excluded.passes(4.0));
        let set = SlotFilter { set: CodeSet::of(&[245, 1387, 10]), ..Default::default() };
        assert_eq!([10.0, 245.0, 1387.0, 11.0, 9.0].map(|v| set.passes(v)), [true, true, true, false, false]);
        assert!(CodeSet::of(&[0, SET_CODES as i64]).is_none(), "a set wider than a texture row is refused");
        let bits = SlotFilter { mask: 0b101, want: 0b001, ..Default::default() };
        assert_eq!([1.0, 3.0, 5.0, 0.0].map(|v| bits.passes(v)), [true, true, false, false]);
    }
}
