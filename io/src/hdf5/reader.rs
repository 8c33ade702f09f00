//! The bottom layer of the reader: bytes at file addresses. Finds and parses the superblock, then serves
//! metadata through an aligned block cache and raw chunk data through coalesced range requests. Everything
//! above it reads the file only through a [`Reader`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::cursor::Cursor;
use super::superblock::{self, Superblock};
use super::{H5Error, H5Result};
use crate::source::{ByteSource, fetch_ranges, fetch_ranges_within};

/// Metadata is read in aligned blocks of this size and cached. Small, because in files without paged
/// aggregation B-tree nodes sit between data chunks: a large block would fetch the chunks an AOI skips.
const BLOCK: u64 = 8 * 1024;
/// No single metadata structure is larger than this: bigger claims come from corrupt or hostile files.
pub(crate) const MAX_METADATA: u64 = 64 * 1024 * 1024;

pub(crate) struct Reader {
    source: Arc<dyn ByteSource>,
    pub offset_size: u8,
    pub length_size: u8,
    /// All addresses are relative to this (a user block shifts it).
    base: u64,
    blocks: Mutex<HashMap<u64, Bytes>>,
    /// Raw ranges fetched ahead, by (start, end), until a read takes them.
    prefetched: Mutex<HashMap<(u64, u64), Bytes>>,
}

impl Reader {
    /// Finds the superblock (at 0, 512, 1024, … for files with a user block) and reads it.
    pub async fn open(source: Arc<dyn ByteSource>) -> H5Result<(Self, Superblock)> {
        let size = source.size();
        let mut reader = Self {
            source,
            offset_size: 8,
            length_size: 8,
            base: 0,
            blocks: Mutex::default(),
            prefetched: Mutex::default(),
        };
        let mut position = 0u64;
        loop {
            if position + 8 > size {
                return Err(H5Error::malformed("not an HDF5 file (no HDF5 signature found)"));
            }
            if reader.read_meta(position, 8).await?.as_ref() == superblock::SIGNATURE {
                break;
            }
            position = if position == 0 { 512 } else { position * 2 };
        }
        let bytes = reader.read_meta(position, 256.min(size - position)).await?;
        let parsed = superblock::parse(&bytes)?;
        (reader.offset_size, reader.length_size, reader.base) = (parsed.offset_size, parsed.length_size, parsed.base);
        Ok((reader, parsed))
    }

    pub fn source(&self) -> &Arc<dyn ByteSource> {
        &self.source
    }

    /// A cursor over metadata bytes with this file's offset and length sizes.
    pub fn cursor<'a>(&self, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor::new(bytes, self.offset_size, self.length_size)
    }

    /// The "unlimited" value of a length field.
    pub fn all_ones_length(&self) -> u64 {
        if self.length_size >= 8 { u64::MAX } else { (1u64 << (8 * u32::from(self.length_size))) - 1 }
    }

    /// The bytes from `address` to the end of the file, at most `len`.
    pub fn clamp_to_file(&self, address: u64, len: u64) -> u64 {
        len.min(self.source.size().saturating_sub(self.base.saturating_add(address)))
    }

    /// Reads `len` bytes of metadata at relative address `address`, through the block cache.
    pub async fn read_meta(&self, address: u64, len: u64) -> H5Result<Bytes> {
        if len > MAX_METADATA {
            return Err(H5Error::malformed(format!("metadata block of {len} bytes at {address} is implausibly large")));
        }
        let start = self.base.checked_add(address).ok_or_else(|| H5Error::malformed("address overflow"))?;
        let end = start.checked_add(len).ok_or_else(|| H5Error::malformed("address overflow"))?;
        let size = self.source.size();
        if end > size {
            return Err(H5Error::malformed(format!(
                "structure at {start}..{end} lies past the end of the {size}-byte file (truncated?)"
            )));
        }
        if len == 0 {
            return Ok(Bytes::new());
        }
        let (first, last) = (start / BLOCK, (end - 1) / BLOCK);
        let missing: Vec<u64> = {
            let blocks = self.blocks.lock().map_err(|_| H5Error::malformed("cache lock poisoned"))?;
            (first..=last).filter(|b| !blocks.contains_key(b)).collect()
        };
        if !missing.is_empty() {
            let ranges: Vec<_> = missing.iter().map(|b| b * BLOCK..((b + 1) * BLOCK).min(size)).collect();
            let fetched = fetch_ranges(self.source.as_ref(), &ranges).await?;
            let mut blocks = self.blocks.lock().map_err(|_| H5Error::malformed("cache lock poisoned"))?;
            for (block, bytes) in missing.into_iter().zip(fetched) {
                blocks.insert(block, bytes);
            }
        }
        let blocks = self.blocks.lock().map_err(|_| H5Error::malformed("cache lock poisoned"))?;
        if first == last {
            let block = blocks.get(&first).ok_or_else(|| H5Error::malformed("cache miss"))?;
            let offset = (start - first * BLOCK) as usize;
            return Ok(block.slice(offset..offset + len as usize));
        }
        let mut out = Vec::with_capacity(len as usize);
        for b in first..=last {
            let block = blocks.get(&b).ok_or_else(|| H5Error::malformed("cache miss"))?;
            let from = if b == first { (start - b * BLOCK) as usize } else { 0 };
            let to = if b == last { (end - b * BLOCK) as usize } else { block.len() };
            out.extend_from_slice(block.get(from..to).ok_or_else(|| H5Error::malformed("short block"))?);
        }
        Ok(Bytes::from(out))
    }

    /// Fetches raw data ranges ahead of the reads that will ask for them (coalesced with each other: a read of
    /// several datasets' chunks in one go needs far fewer requests than one read per dataset). Each prefetched range
    /// serves one later [`Reader::read_raw`] of exactly that range.
    pub async fn prefetch(&self, ranges: &[Range<u64>]) -> H5Result<()> {
        // Merge across gaps up to an average range: chunks of different datasets written side by side come in one
        // request, and at most about as many bytes are read between them as are needed.
        let needed: u64 = ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum();
        let gap = (needed / ranges.len().max(1) as u64).clamp(4096, crate::source::COALESCE_GAP);
        let data = self.fetch_raw(ranges, gap).await?;
        if let Ok(mut prefetched) = self.prefetched.lock() {
            for (range, bytes) in ranges.iter().zip(data) {
                prefetched.insert((range.start, range.end), bytes);
            }
        }
        Ok(())
    }

    /// Drops what is left of prefetched ranges no read took.
    pub fn forget_prefetched(&self, ranges: &[Range<u64>]) {
        if let Ok(mut prefetched) = self.prefetched.lock() {
            for range in ranges {
                prefetched.remove(&(range.start, range.end));
            }
        }
    }

    /// Reads raw data ranges (chunks), coalesced, bypassing the metadata cache; prefetched ranges are taken from
    /// where [`Reader::prefetch`] left them.
    pub async fn read_raw(&self, ranges: &[Range<u64>]) -> H5Result<Vec<Bytes>> {
        let mut found: Vec<Option<Bytes>> = match self.prefetched.lock() {
            Ok(mut prefetched) if !prefetched.is_empty() => {
                ranges.iter().map(|r| prefetched.remove(&(r.start, r.end))).collect()
            }
            _ => vec![None; ranges.len()],
        };
        let missing: Vec<Range<u64>> =
            ranges.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(r, _)| r.clone()).collect();
        let mut fetched = self.fetch_raw(&missing, crate::source::COALESCE_GAP).await?.into_iter();
        for slot in found.iter_mut().filter(|f| f.is_none()) {
            *slot = fetched.next();
        }
        Ok(found.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn fetch_raw(&self, ranges: &[Range<u64>], gap: u64) -> H5Result<Vec<Bytes>> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let size = self.source.size();
        let shifted = ranges
            .iter()
            .map(|r| match (self.base.checked_add(r.start), self.base.checked_add(r.end)) {
                (Some(start), Some(end)) if start <= end => Ok(start..end),
                _ => Err(H5Error::malformed(format!("data range {}..{} is invalid", r.start, r.end))),
            })
            .collect::<H5Result<Vec<_>>>()?;
        if let Some(bad) = shifted.iter().find(|r| r.end > size) {
            return Err(H5Error::malformed(format!(
                "data at {}..{} lies past the end of the {size}-byte file (truncated?)",
                bad.start, bad.end
            )));
        }
        Ok(fetch_ranges_within(self.source.as_ref(), &shifted, gap).await?)
    }
}

/// v2 structures end with a lookup3 checksum of everything before it.
pub(crate) fn verify_checksum(block: &[u8]) -> H5Result<()> {
    let split = block.len().checked_sub(4).ok_or_else(|| H5Error::malformed("block too short for a checksum"))?;
    let (data, stored) = block.split_at(split);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = super::cursor::lookup3(data);
    if stored != computed {
        return Err(H5Error::malformed(format!(
            "metadata checksum mismatch (stored {stored:#x}, computed {computed:#x})"
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::source::MemorySource;

    /// A reader over `bytes` with 8-byte offsets and lengths, as the unit tests of the structures above use.
    pub fn reader_over(bytes: Vec<u8>) -> Reader {
        Reader {
            source: Arc::new(MemorySource::new("test.h5", Bytes::from(bytes))),
            offset_size: 8,
            length_size: 8,
            base: 0,
            blocks: Mutex::default(),
            prefetched: Mutex::default(),
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn metadata_across_cache_blocks_is_joined() {
        let bytes: Vec<u8> = (0..3 * BLOCK).map(|i| (i % 251) as u8).collect();
        let reader = reader_over(bytes.clone());
        let read = block_on(reader.read_meta(BLOCK - 3, 6)).unwrap();
        assert_eq!(read.as_ref(), &bytes[(BLOCK - 3) as usize..(BLOCK + 3) as usize]);
        let error = block_on(reader.read_meta(3 * BLOCK - 2, 4)).unwrap_err().to_string();
        assert_eq!(error, "structure at 24574..24578 lies past the end of the 24576-byte file (truncated?)");
    }

    #[test]
    fn user_block_is_skipped_when_finding_the_superblock() {
        let mut bytes = vec![0u8; 512];
        bytes.extend(superblock::SIGNATURE);
        bytes.extend([2, 4, 8, 0]);
        bytes.extend(512u32.to_le_bytes()); // base
        bytes.extend(u32::MAX.to_le_bytes()); // extension
        bytes.extend(4096u32.to_le_bytes()); // end of file
        bytes.extend(48u32.to_le_bytes()); // root
        bytes.resize(1024, 0);
        let source: Arc<dyn ByteSource> = Arc::new(MemorySource::new("user-block.h5", Bytes::from(bytes)));
        let (reader, parsed) = block_on(Reader::open(source)).unwrap();
        assert_eq!((parsed.version, parsed.root, reader.offset_size, reader.base), (2, 48, 4, 512));
    }

    #[test]
    fn checksum_is_lookup3_of_the_bytes_before_it() {
        // lookup3 ("hashlittle") of "Four score and seven years ago" with seed 0 is 0x17770551 (Jenkins' test).
        assert_eq!(crate::hdf5::cursor::lookup3(b"Four score and seven years ago"), 0x17770551);
        let mut block = b"Four score and seven years ago".to_vec();
        block.extend(0x17770551u32.to_le_bytes());
        verify_checksum(&block).unwrap();
        block[0] = b'f';
        assert!(verify_checksum(&block).unwrap_err().to_string().starts_with("metadata checksum mismatch"));
    }
}
