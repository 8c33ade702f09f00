//! Element types (`Dtype`) and decoding stored elements into `Values` (numbers, fixed and variable-length
//! strings, the latter through the global heap).

use super::heap::GlobalHeaps;
use super::reader::Reader;
use super::{H5Error, H5Result};

/// Element types the reader decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dtype {
    Int { size: usize, signed: bool, big_endian: bool },
    Float { size: usize, big_endian: bool },
    FixedString { size: usize, pad: u8 },
    VarString,
}

impl Dtype {
    /// Bytes per element as stored.
    pub fn size(&self) -> usize {
        match self {
            Dtype::Int { size, .. } | Dtype::Float { size, .. } | Dtype::FixedString { size, .. } => *size,
            // Length (4) + global heap collection address (8 with 8-byte offsets) + index (4).
            Dtype::VarString => 16,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Dtype::Int { size, signed, big_endian } => {
                format!(
                    "{}int{}{}",
                    if *signed { "" } else { "u" },
                    size * 8,
                    if *big_endian { " (big-endian)" } else { "" }
                )
            }
            Dtype::Float { size, big_endian } => {
                format!("float{}{}", size * 8, if *big_endian { " (big-endian)" } else { "" })
            }
            Dtype::FixedString { size, .. } => format!("string[{size}]"),
            Dtype::VarString => "string (variable length)".into(),
        }
    }
}

/// Decoded values, flattened in C order.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Str(Vec<String>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::I8(v) => v.len(),
            Values::I16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::U8(v) => v.len(),
            Values::U16(v) => v.len(),
            Values::U32(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as text, separated by ", " (one row of a 2-D dataset shows all its columns).
    pub fn to_text(&self) -> String {
        fn join<T: std::fmt::Display>(v: &[T]) -> String {
            v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        }
        match self {
            Values::I8(v) => join(v),
            Values::I16(v) => join(v),
            Values::I32(v) => join(v),
            Values::I64(v) => join(v),
            Values::U8(v) => join(v),
            Values::U16(v) => join(v),
            Values::U32(v) => join(v),
            Values::U64(v) => join(v),
            Values::F32(v) => join(v),
            Values::F64(v) => join(v),
            Values::Str(v) => join(v),
        }
    }

    /// Little-endian bytes of numeric values (what the conformance test hashes); `None` for strings.
    pub fn to_le_bytes(&self) -> Option<Vec<u8>> {
        fn flat<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
            v.iter().flat_map(|x| f(*x)).collect()
        }
        Some(match self {
            Values::I8(v) => flat(v, i8::to_le_bytes),
            Values::I16(v) => flat(v, i16::to_le_bytes),
            Values::I32(v) => flat(v, i32::to_le_bytes),
            Values::I64(v) => flat(v, i64::to_le_bytes),
            Values::U8(v) => v.clone(),
            Values::U16(v) => flat(v, u16::to_le_bytes),
            Values::U32(v) => flat(v, u32::to_le_bytes),
            Values::U64(v) => flat(v, u64::to_le_bytes),
            Values::F32(v) => flat(v, f32::to_le_bytes),
            Values::F64(v) => flat(v, f64::to_le_bytes),
            Values::Str(_) => return None,
        })
    }

    /// Values as text, one per element (what `floe cat` prints).
    pub fn to_strings(&self) -> Vec<String> {
        fn each<T: ToString>(v: &[T]) -> Vec<String> {
            v.iter().map(T::to_string).collect()
        }
        match self {
            Values::I8(v) => each(v),
            Values::I16(v) => each(v),
            Values::I32(v) => each(v),
            Values::I64(v) => each(v),
            Values::U8(v) => each(v),
            Values::U16(v) => each(v),
            Values::U32(v) => each(v),
            Values::U64(v) => each(v),
            Values::F32(v) => v.iter().map(|x| float_text(*x, f64::from(*x))).collect(),
            Values::F64(v) => v.iter().map(|x| float_text(*x, *x)).collect(),
            Values::Str(v) => v.clone(),
        }
    }
}

/// A float as h5dump shows big and tiny values (`3.4028235e+38`, `1e-07`), in its shortest exact digits: Rust's
/// plain `Display` would print the fill value 3.4028235e38 as a 39-digit integer.
fn float_text<T: std::fmt::Display + std::fmt::LowerExp>(value: T, magnitude: f64) -> String {
    let magnitude = magnitude.abs();
    if !magnitude.is_finite() || magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
        return value.to_string();
    }
    let text = format!("{value:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => format!("{mantissa}e+{exponent:0>2}"),
        Some((mantissa, exponent)) => format!("{mantissa}e-{:0>2}", exponent.trim_start_matches('-')),
        None => text,
    }
}

/// Decodes `count` elements of `dtype` stored in `bytes` (file byte order).
pub(crate) async fn decode_values(file: &Reader, dtype: &Dtype, bytes: &[u8], count: usize) -> H5Result<Values> {
    fn numbers<T, const N: usize>(
        bytes: &[u8],
        big: bool,
        from: fn([u8; N]) -> T,
        from_be: fn([u8; N]) -> T,
    ) -> Vec<T> {
        bytes
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                if big { from_be(a) } else { from(a) }
            })
            .collect()
    }
    let needed = count.checked_mul(dtype.size()).ok_or_else(|| H5Error::malformed("size overflow"))?;
    let bytes =
        bytes.get(..needed).ok_or_else(|| H5Error::malformed(format!("{} bytes for {count} elements", bytes.len())))?;
    Ok(match dtype {
        Dtype::Int { size, signed, big_endian: b } => match (size, signed) {
            (1, true) => Values::I8(bytes.iter().map(|v| *v as i8).collect()),
            (1, false) => Values::U8(bytes.to_vec()),
            (2, true) => Values::I16(numbers(bytes, *b, i16::from_le_bytes, i16::from_be_bytes)),
            (2, false) => Values::U16(numbers(bytes, *b, u16::from_le_bytes, u16::from_be_bytes)),
            (4, true) => Values::I32(numbers(bytes, *b, i32::from_le_bytes, i32::from_be_bytes)),
            (4, false) => Values::U32(numbers(bytes, *b, u32::from_le_bytes, u32::from_be_bytes)),
            (8, true) => Values::I64(numbers(bytes, *b, i64::from_le_bytes, i64::from_be_bytes)),
            _ => Values::U64(numbers(bytes, *b, u64::from_le_bytes, u64::from_be_bytes)),
        },
        Dtype::Float { size: 4, big_endian: b } => {
            Values::F32(numbers(bytes, *b, f32::from_le_bytes, f32::from_be_bytes))
        }
        Dtype::Float { big_endian: b, .. } => Values::F64(numbers(bytes, *b, f64::from_le_bytes, f64::from_be_bytes)),
        Dtype::FixedString { size, .. } => Values::Str(
            bytes
                .chunks_exact((*size).max(1))
                // As h5py/numpy read them: trailing NULs stripped, space padding kept.
                .map(|s| {
                    let end = s.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
                    String::from_utf8_lossy(&s[..end]).into_owned()
                })
                .collect(),
        ),
        Dtype::VarString => {
            let mut heaps = GlobalHeaps::default();
            let mut out = Vec::with_capacity(count);
            let element = 8 + usize::from(file.offset_size);
            for raw in bytes.chunks_exact(16).take(count) {
                let mut c = file.cursor(&raw[..element.min(raw.len())]);
                let length = c.u32()? as usize;
                let collection = c.offset()?;
                let index = c.u32()?;
                let text = match collection {
                    Some(collection) if length > 0 => {
                        let object = heaps.object(file, collection, index).await?;
                        let end = object.len().min(length);
                        String::from_utf8_lossy(&object[..end]).trim_end_matches('\0').to_owned()
                    }
                    _ => String::new(),
                };
                out.push(text);
            }
            Values::Str(out)
        }
    })
}
