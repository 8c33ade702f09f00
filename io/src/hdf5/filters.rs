//! The filter pipeline: deflate, shuffle and fletcher32, undone in reverse order with bounded output.

use std::io::Read;

use super::cursor::Cursor;
use super::{H5Error, H5Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub id: u16,
    pub name: String,
    pub client_data: Vec<u32>,
}

impl Filter {
    pub fn label(&self) -> String {
        match self.id {
            1 => "deflate".into(),
            2 => "shuffle".into(),
            3 => "fletcher32".into(),
            4 => "szip".into(),
            5 => "nbit".into(),
            6 => "scaleoffset".into(),
            id if self.name.is_empty() => format!("filter {id}"),
            id => format!("filter {id} ({})", self.name),
        }
    }
}

pub(crate) fn parse_pipeline(c: &mut Cursor<'_>) -> H5Result<Vec<Filter>> {
    let version = c.u8()?;
    let count = c.u8()?;
    if version == 1 {
        c.skip(6)?;
    } else if version != 2 {
        return Err(H5Error::unsupported(format!("filter pipeline version {version}")));
    }
    let mut filters = Vec::new();
    for _ in 0..count {
        let id = c.u16()?;
        let name_length = if version == 1 || id >= 256 { usize::from(c.u16()?) } else { 0 };
        c.u16()?; // flags
        let values = usize::from(c.u16()?);
        let name = if name_length > 0 {
            let padded = if version == 1 { name_length.div_ceil(8) * 8 } else { name_length };
            let raw = c.take(padded)?;
            String::from_utf8_lossy(raw.split(|b| *b == 0).next().unwrap_or_default()).into_owned()
        } else {
            String::new()
        };
        let client_data = (0..values).map(|_| c.u32()).collect::<H5Result<Vec<_>>>()?;
        if version == 1 && values % 2 == 1 {
            c.skip(4)?;
        }
        filters.push(Filter { id, name, client_data });
    }
    Ok(filters)
}

/// Every filter can be undone by this reader?
pub(crate) fn check_supported(filters: &[Filter]) -> H5Result<()> {
    match filters.iter().find(|f| !(1..=3).contains(&f.id)) {
        Some(f) => Err(H5Error::unsupported(format!("{} filter", f.label()))),
        None => Ok(()),
    }
}

/// Undoes the pipeline of one chunk. `expected` bounds the output: a chunk that inflates beyond it is
/// rejected (decompression bombs), `mask` bit i set means filter i was skipped for this chunk.
pub(crate) fn unfilter(filters: &[Filter], mask: u32, mut data: Vec<u8>, expected: usize) -> H5Result<Vec<u8>> {
    for (index, filter) in filters.iter().enumerate().rev() {
        if mask & (1 << index) != 0 {
            continue;
        }
        data = match filter.id {
            1 => inflate(&data, expected)?,
            2 => unshuffle(&data, filter.client_data.first().copied().unwrap_or(1) as usize),
            3 => fletcher32_strip(data)?,
            _ => return Err(H5Error::unsupported(format!("{} filter", filter.label()))),
        };
    }
    Ok(data)
}

/// Deflate expands at most 1032:1 (RFC 1951 blocks of 258-byte matches), so a chunk's stored size bounds what it
/// can inflate to, whatever size its header claims.
pub(super) const MAX_DEFLATE_RATIO: usize = 1032;

fn inflate(data: &[u8], expected: usize) -> H5Result<Vec<u8>> {
    let mut out = Vec::new();
    out.try_reserve_exact(expected.min(data.len().saturating_mul(MAX_DEFLATE_RATIO).saturating_add(1024)))
        .map_err(|_| H5Error::malformed(format!("cannot allocate {expected} bytes to inflate a chunk into")))?;
    let limit = expected as u64 + 1;
    flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| H5Error::malformed(format!("deflate error: {e}")))?;
    if out.len() > expected {
        return Err(H5Error::malformed(format!("chunk inflates beyond its {expected} bytes")));
    }
    Ok(out)
}

fn unshuffle(data: &[u8], element: usize) -> Vec<u8> {
    if element <= 1 || data.len() < element {
        return data.to_vec();
    }
    let count = data.len() / element;
    let mut out = vec![0u8; data.len()];
    for byte in 0..element {
        let plane = &data[byte * count..(byte + 1) * count];
        for (i, value) in plane.iter().enumerate() {
            out[i * element + byte] = *value;
        }
    }
    // Bytes past whole elements are stored as they are.
    let tail = count * element;
    out[tail..].copy_from_slice(&data[tail..]);
    out
}

fn fletcher32_strip(mut data: Vec<u8>) -> H5Result<Vec<u8>> {
    let split =
        data.len().checked_sub(4).ok_or_else(|| H5Error::malformed("chunk too short for a fletcher32 checksum"))?;
    let stored = u32::from_le_bytes([data[split], data[split + 1], data[split + 2], data[split + 3]]);
    let computed = fletcher32(&data[..split]);
    // Files from HDF5 1.6 store the checksum with the bytes of each 16-bit half swapped; HDF5 accepts both.
    let b = computed.to_le_bytes();
    let reversed = u32::from_le_bytes([b[1], b[0], b[3], b[2]]);
    if stored != computed && stored != reversed {
        return Err(H5Error::malformed(format!(
            "fletcher32 checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    data.truncate(split);
    Ok(data)
}

/// HDF5's fletcher32 over 16-bit big-endian words (an odd last byte counts as the high byte).
pub(crate) fn fletcher32(data: &[u8]) -> u32 {
    let (mut sum1, mut sum2) = (0u32, 0u32);
    for block in data.chunks(360 * 2) {
        for pair in block.chunks(2) {
            let word =
                if pair.len() == 2 { u32::from(pair[0]) << 8 | u32::from(pair[1]) } else { u32::from(pair[0]) << 8 };
            sum1 += word;
            sum2 += sum1;
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    #[test]
    fn a_chunk_that_inflates_beyond_its_size_is_rejected() {
        // 64 MiB of zeros deflate to ~64 KiB: a chunk declared as 4 KiB must not be inflated whole.
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 64 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        let filters = [super::Filter { id: 1, name: String::new(), client_data: vec![6] }];
        let error = super::unfilter(&filters, 0, bomb, 4096).unwrap_err();
        assert!(
            matches!(error, super::H5Error::Malformed(ref m) if m == "chunk inflates beyond its 4096 bytes"),
            "{error:?}"
        );
    }

    #[test]
    fn fletcher32_matches_hdf5() {
        // HDF5's H5_checksum_fletcher32 of the bytes 0..10 (five big-endian 16-bit words).
        let data: Vec<u8> = (0..10).collect();
        let words: Vec<u32> = data.chunks(2).map(|w| u32::from(w[0]) << 8 | u32::from(w[1])).collect();
        let sum1: u32 = words.iter().sum();
        let sum2: u32 = words
            .iter()
            .scan(0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .sum();
        assert_eq!(super::fletcher32(&data), (sum2 % 65535) << 16 | (sum1 % 65535));
    }

    #[test]
    fn unshuffle_restores_elements() {
        // Two u32 values 0x04030201 and 0x08070605, shuffled into byte planes.
        assert_eq!(super::unshuffle(&[1, 5, 2, 6, 3, 7, 4, 8], 4), vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
