//! Where a dataset's elements are: the data layout message (compact, contiguous, chunked with its chunk index).

use bytes::Bytes;

use super::reader::Reader;
use super::{H5Error, H5Result};

/// Where a dataset's elements are.
#[derive(Clone, Debug)]
pub enum LayoutInfo {
    Compact(Bytes),
    Contiguous { address: Option<u64>, size: u64 },
    Chunked { chunk: Vec<u64>, index: ChunkIndex },
}

#[derive(Clone, Debug)]
pub enum ChunkIndex {
    BTreeV1(Option<u64>),
    Single {
        address: Option<u64>,
        filtered_size: Option<u64>,
        mask: u32,
    },
    Implicit(Option<u64>),
    FixedArray(Option<u64>),
    ExtensibleArray(Option<u64>),
    BTreeV2(Option<u64>),
    /// Chunks known from outside the file: a spatial chunk index or kerchunk references.
    Listed(std::sync::Arc<Vec<StoredChunk>>),
    Other(String),
}

/// Where one stored piece of a dataset lies in the file: a chunk (or the whole contiguous data), its position in
/// element coordinates, and which of the dataset's filters were skipped for it (HDF5's filter mask). `inline`
/// holds the stored bytes themselves when a description carried them (kerchunk inlines small chunks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChunk {
    pub offset: Vec<u64>,
    pub address: u64,
    pub size: u64,
    pub filter_mask: u32,
    pub inline: Option<Bytes>,
}

pub(super) fn parse_layout(file: &Reader, data: &Bytes, rank: usize) -> H5Result<LayoutInfo> {
    let mut c = file.cursor(data);
    let version = c.u8()?;
    match version {
        1 | 2 => {
            let dims = usize::from(c.u8()?);
            let class = c.u8()?;
            c.skip(5)?;
            let address = if class != 0 { c.offset()? } else { None };
            let sizes = (0..dims).map(|_| c.u32().map(u64::from)).collect::<H5Result<Vec<_>>>()?;
            match class {
                0 => {
                    let size = c.u32()? as usize;
                    let start = c.pos();
                    c.skip(size)?;
                    Ok(LayoutInfo::Compact(data.slice(start..start + size)))
                }
                1 => Ok(LayoutInfo::Contiguous { address, size: u64::MAX }),
                2 => Ok(LayoutInfo::Chunked {
                    chunk: sizes.get(..dims.saturating_sub(1)).unwrap_or_default().to_vec(),
                    index: ChunkIndex::BTreeV1(address),
                }),
                other => Err(H5Error::unsupported(format!("layout class {other}"))),
            }
        }
        3..=5 => {
            let class = c.u8()?;
            match class {
                0 => {
                    let size = usize::from(c.u16()?);
                    let start = c.pos();
                    c.skip(size)?;
                    Ok(LayoutInfo::Compact(data.slice(start..start + size)))
                }
                1 => Ok(LayoutInfo::Contiguous { address: c.offset()?, size: c.length()? }),
                2 if version == 3 => {
                    let dims = usize::from(c.u8()?);
                    let address = c.offset()?;
                    let sizes = (0..dims).map(|_| c.u32().map(u64::from)).collect::<H5Result<Vec<_>>>()?;
                    Ok(LayoutInfo::Chunked {
                        chunk: sizes.get(..dims.saturating_sub(1)).unwrap_or_default().to_vec(),
                        index: ChunkIndex::BTreeV1(address),
                    })
                }
                2 => {
                    let flags = c.u8()?;
                    let dims = usize::from(c.u8()?);
                    let encoded = usize::from(c.u8()?);
                    let sizes = (0..dims).map(|_| c.uint(encoded)).collect::<H5Result<Vec<_>>>()?;
                    let chunk = sizes.get(..dims.saturating_sub(1)).unwrap_or_default().to_vec();
                    if chunk.len() != rank {
                        return Err(H5Error::malformed("chunk rank differs from dataset rank"));
                    }
                    let index_type = c.u8()?;
                    let index = match index_type {
                        1 => {
                            let (filtered_size, mask) =
                                if flags & 0x02 != 0 { (Some(c.length()?), c.u32()?) } else { (None, 0) };
                            ChunkIndex::Single { address: c.offset()?, filtered_size, mask }
                        }
                        2 => ChunkIndex::Implicit(c.offset()?),
                        3 => {
                            c.skip(1)?;
                            ChunkIndex::FixedArray(c.offset()?)
                        }
                        4 => {
                            c.skip(5)?;
                            ChunkIndex::ExtensibleArray(c.offset()?)
                        }
                        5 => {
                            c.skip(6)?;
                            ChunkIndex::BTreeV2(c.offset()?)
                        }
                        other => ChunkIndex::Other(format!("chunk index type {other}")),
                    };
                    Ok(LayoutInfo::Chunked { chunk, index })
                }
                3 => Err(H5Error::unsupported("virtual dataset layout")),
                other => Err(H5Error::unsupported(format!("layout class {other}"))),
            }
        }
        other => Err(H5Error::unsupported(format!("data layout message version {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::reader::tests::reader_over;

    #[test]
    fn contiguous_and_chunked_layouts() {
        let file = reader_over(Vec::new());
        let mut contiguous = vec![3, 1];
        contiguous.extend(2048u64.to_le_bytes());
        contiguous.extend(800u64.to_le_bytes());
        let parsed = parse_layout(&file, &Bytes::from(contiguous), 1).unwrap();
        assert!(matches!(parsed, LayoutInfo::Contiguous { address: Some(2048), size: 800 }), "{parsed:?}");

        // Version 4, chunked, 1-D chunks of 100 four-byte elements, fixed-array index at 4096.
        let mut chunked = vec![4, 2, 0, 2, 4];
        chunked.extend(100u32.to_le_bytes());
        chunked.extend(4u32.to_le_bytes());
        chunked.extend([3, 10]);
        chunked.extend(4096u64.to_le_bytes());
        let parsed = parse_layout(&file, &Bytes::from(chunked.clone()), 1).unwrap();
        match parsed {
            LayoutInfo::Chunked { chunk, index: ChunkIndex::FixedArray(Some(4096)) } => assert_eq!(chunk, vec![100]),
            other => panic!("unexpected layout {other:?}"),
        }
        let error = parse_layout(&file, &Bytes::from(chunked), 2).unwrap_err().to_string();
        assert_eq!(error, "chunk rank differs from dataset rank");

        // Version 1 compact: the elements sit in the message.
        let mut compact = vec![1, 1, 0, 0, 0, 0, 0, 0];
        compact.extend(8u32.to_le_bytes()); // dimension size (element size for compact)
        compact.extend(3u32.to_le_bytes());
        compact.extend([1, 2, 3]);
        let parsed = parse_layout(&file, &Bytes::from(compact), 1).unwrap();
        assert!(matches!(&parsed, LayoutInfo::Compact(data) if data.as_ref() == [1, 2, 3]), "{parsed:?}");
        assert_eq!(
            parse_layout(&file, &Bytes::from_static(&[3, 3]), 1).unwrap_err().to_string(),
            "unsupported: virtual dataset layout"
        );
    }
}
