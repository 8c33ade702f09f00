//! Decoding one WKB geometry to the lon/lat Floe draws for it.
//!
//! Points give their coordinates. Other geometries (a point viewer meets polygons in example files) are
//! drawn at the centre of their bounding box. ISO WKB (Z = +1000, M = +2000, ZM = +3000) and EWKB flag bits
//! are both understood; every read is bounds-checked so hostile bytes end in an error, never a panic.

/// What one WKB value decodes to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decoded {
    /// A drawable position.
    LonLat(f64, f64),
    /// An empty geometry (`POINT EMPTY` is stored as NaN, NaN).
    Empty,
}

/// Geometries nest (collections of collections): bound the depth so a crafted value cannot recurse forever.
const MAX_DEPTH: usize = 16;

/// Decodes a WKB value. The common case — a 21-byte little-endian 2-D point — takes the fast path.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if let Some(fast) = decode_le_point_2d(bytes) {
        return Ok(fast);
    }
    let mut reader = Reader { bytes, pos: 0 };
    let mut extent = Extent::default();
    reader.geometry(&mut extent, 0)?;
    if reader.pos != bytes.len() {
        return Err(format!("{} trailing bytes after the geometry", bytes.len() - reader.pos));
    }
    Ok(extent.centre())
}

/// The bounding box `[xmin, ymin, xmax, ymax]` of every coordinate of a WKB value (`None` when empty): the
/// extent of a line or polygon, where [`decode`] gives only its centre.
pub fn extent(bytes: &[u8]) -> Result<Option<[f64; 4]>, String> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut extent = Extent::default();
    reader.geometry(&mut extent, 0)?;
    Ok(extent.min.map(|(x0, y0)| [x0, y0, extent.max.0, extent.max.1]))
}

/// The 21-byte little-endian 2-D point, or `None` for anything else.
#[inline]
pub fn decode_le_point_2d(bytes: &[u8]) -> Option<Decoded> {
    let bytes: &[u8; 21] = bytes.try_into().ok()?;
    if bytes[0] != 1 || bytes[1..5] != [1, 0, 0, 0] {
        return None;
    }
    let x = f64::from_le_bytes(bytes[5..13].try_into().ok()?);
    let y = f64::from_le_bytes(bytes[13..21].try_into().ok()?);
    Some(if x.is_nan() && y.is_nan() { Decoded::Empty } else { Decoded::LonLat(x, y) })
}

#[derive(Default)]
struct Extent {
    min: Option<(f64, f64)>,
    max: (f64, f64),
}

impl Extent {
    fn add(&mut self, x: f64, y: f64) {
        if x.is_nan() || y.is_nan() {
            return;
        }
        match &mut self.min {
            None => {
                self.min = Some((x, y));
                self.max = (x, y);
            }
            Some(min) => {
                *min = (min.0.min(x), min.1.min(y));
                self.max = (self.max.0.max(x), self.max.1.max(y));
            }
        }
    }

    fn centre(&self) -> Decoded {
        match self.min {
            None => Decoded::Empty,
            Some((x0, y0)) => Decoded::LonLat((x0 + self.max.0) / 2.0, (y0 + self.max.1) / 2.0),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos.checked_add(N).filter(|end| *end <= self.bytes.len());
        let slice = end.and_then(|end| self.bytes.get(self.pos..end));
        let array: [u8; N] = slice
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| format!("truncated WKB: needed {N} bytes at offset {}", self.pos))?;
        self.pos += N;
        Ok(array)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    /// A count of items that each take at least `min_item_bytes`: reject counts the remaining bytes cannot hold.
    fn count(&mut self, little: bool, min_item_bytes: usize) -> Result<usize, String> {
        let count = self.u32(little)? as usize;
        let remaining = self.bytes.len().saturating_sub(self.pos);
        if count.saturating_mul(min_item_bytes) > remaining {
            return Err(format!("WKB count {count} exceeds the {remaining} bytes left"));
        }
        Ok(count)
    }

    fn geometry(&mut self, extent: &mut Extent, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("WKB nested deeper than {MAX_DEPTH} levels"));
        }
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            other => return Err(format!("invalid WKB byte order {other}")),
        };
        let raw_type = self.u32(little)?;
        // EWKB: high flag bits for Z, M and an embedded SRID.
        let ewkb_z = raw_type & 0x8000_0000 != 0;
        let ewkb_m = raw_type & 0x4000_0000 != 0;
        if raw_type & 0x2000_0000 != 0 {
            self.u32(little)?;
        }
        let iso = raw_type & 0x0FFF_FFFF;
        let (kind, iso_dims) = (iso % 1000, iso / 1000);
        let extra_dims = match iso_dims {
            0 => usize::from(ewkb_z) + usize::from(ewkb_m),
            1 | 2 => 1,
            3 => 2,
            _ => return Err(format!("invalid WKB geometry type {raw_type}")),
        };
        let point_bytes = 8 * (2 + extra_dims);
        match kind {
            1 => self.coords(1, extra_dims, little, extent),
            2 => {
                let n = self.count(little, point_bytes)?;
                self.coords(n, extra_dims, little, extent)
            }
            3 => {
                let rings = self.count(little, 4)?;
                for _ in 0..rings {
                    let n = self.count(little, point_bytes)?;
                    self.coords(n, extra_dims, little, extent)?;
                }
                Ok(())
            }
            4..=7 => {
                let parts = self.count(little, 5)?;
                for _ in 0..parts {
                    self.geometry(extent, depth + 1)?;
                }
                Ok(())
            }
            other => Err(format!("unsupported WKB geometry type {other}")),
        }
    }

    fn coords(&mut self, n: usize, extra_dims: usize, little: bool, extent: &mut Extent) -> Result<(), String> {
        for _ in 0..n {
            let x = self.f64(little)?;
            let y = self.f64(little)?;
            for _ in 0..extra_dims {
                self.f64(little)?;
            }
            extent.add(x, y);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point_le(x: f64, y: f64) -> Vec<u8> {
        let mut b = vec![1, 1, 0, 0, 0];
        b.extend(x.to_le_bytes());
        b.extend(y.to_le_bytes());
        b
    }

    #[test]
    fn fast_path_and_generic_path_agree() {
        assert_eq!(decode(&point_le(-45.25, 62.75)).unwrap(), Decoded::LonLat(-45.25, 62.75));
        // Big-endian point Z (ISO 1001).
        let mut be = vec![0];
        be.extend(1001u32.to_be_bytes());
        for v in [10.5f64, -20.25, 300.0] {
            be.extend(v.to_be_bytes());
        }
        assert_eq!(decode(&be).unwrap(), Decoded::LonLat(10.5, -20.25));
        // EWKB point with SRID and Z flag.
        let mut ewkb = vec![1];
        ewkb.extend((0x8000_0001u32 | 0x2000_0000).to_le_bytes());
        ewkb.extend(4326u32.to_le_bytes());
        for v in [1.0f64, 2.0, 3.0] {
            ewkb.extend(v.to_le_bytes());
        }
        assert_eq!(decode(&ewkb).unwrap(), Decoded::LonLat(1.0, 2.0));
    }

    #[test]
    fn empty_point_and_polygon_centre() {
        assert_eq!(decode(&point_le(f64::NAN, f64::NAN)).unwrap(), Decoded::Empty);
        let mut poly = vec![1];
        poly.extend(3u32.to_le_bytes());
        poly.extend(1u32.to_le_bytes());
        poly.extend(4u32.to_le_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (10.0, 0.0), (10.0, 4.0), (0.0, 0.0)] {
            poly.extend(x.to_le_bytes());
            poly.extend(y.to_le_bytes());
        }
        assert_eq!(decode(&poly).unwrap(), Decoded::LonLat(5.0, 2.0));
        assert_eq!(extent(&poly).unwrap(), Some([0.0, 0.0, 10.0, 4.0]));
        assert_eq!(extent(&point_le(f64::NAN, f64::NAN)).unwrap(), None);
    }

    #[test]
    fn hostile_bytes_are_errors() {
        assert_eq!(decode(&[1, 1, 0]).unwrap_err(), "truncated WKB: needed 4 bytes at offset 1");
        let mut huge = vec![1];
        huge.extend(2u32.to_le_bytes());
        huge.extend(u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge).unwrap_err(), "WKB count 4294967295 exceeds the 0 bytes left");
        assert_eq!(decode(&[7, 1, 0, 0, 0]).unwrap_err(), "invalid WKB byte order 7");
    }
}
