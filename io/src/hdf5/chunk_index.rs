//! The chunks of a chunked dataset, from each kind of chunk index: v1 B-tree, single chunk, implicit, fixed
//! array, extensible array and v2 B-tree. Bounded: a corrupt index can claim neither more chunks nor bigger
//! chunks than real files have.

use super::layout::ChunkIndex;
use super::reader::{Reader, verify_checksum};
use super::{H5Error, H5Result};

/// What the chunk indexes need to know of a dataset: its element size, its dataspace and whether its chunks are
/// filtered.
pub(super) struct ChunkedSpace<'a> {
    pub element: usize,
    pub shape: &'a [u64],
    pub max_shape: &'a [u64],
    pub filtered: bool,
}

/// One stored chunk: its position in the dataset (element coordinates), where it is, and its filter mask.
pub(super) struct ChunkRef {
    pub offset: Vec<u64>,
    pub address: u64,
    pub size: u64,
    pub mask: u32,
    /// The stored bytes, when they came with a listed chunk.
    pub inline: Option<bytes::Bytes>,
}

pub(super) async fn chunk_list(
    file: &Reader,
    info: &ChunkedSpace<'_>,
    chunk: &[u64],
    index: &ChunkIndex,
) -> H5Result<Vec<ChunkRef>> {
    let element = info.element as u64;
    let chunk_bytes = chunk_size(chunk, element as usize)? as u64;
    match index {
        ChunkIndex::BTreeV1(None)
        | ChunkIndex::Implicit(None)
        | ChunkIndex::FixedArray(None)
        | ChunkIndex::ExtensibleArray(None)
        | ChunkIndex::BTreeV2(None) => Ok(Vec::new()),
        ChunkIndex::BTreeV2(Some(address)) => btree_v2_chunks(file, info, chunk, *address, chunk_bytes).await,
        ChunkIndex::ExtensibleArray(Some(address)) => extensible_array(file, info, chunk, *address, chunk_bytes).await,
        ChunkIndex::BTreeV1(Some(root)) => {
            let mut out = Vec::new();
            for (key, address) in super::btree::btree_v1(file, *root, chunk.len()).await? {
                let mut c = file.cursor(&key);
                let size = u64::from(c.u32()?);
                let mask = c.u32()?;
                let offset = (0..chunk.len()).map(|_| c.u64()).collect::<H5Result<Vec<_>>>()?;
                out.push(ChunkRef { offset, address, size, mask, inline: None });
            }
            Ok(out)
        }
        ChunkIndex::Single { address: None, .. } => Ok(Vec::new()),
        ChunkIndex::Single { address: Some(address), filtered_size, mask } => Ok(vec![ChunkRef {
            offset: vec![0; chunk.len()],
            address: *address,
            size: filtered_size.unwrap_or(chunk_bytes),
            mask: *mask,
            inline: None,
        }]),
        ChunkIndex::Implicit(Some(address)) => {
            if info.filtered {
                return Err(H5Error::malformed("implicit chunk index with filters"));
            }
            // The chunks lie one after another from `address`: all of them must fit in the file.
            let grid = grid(info.shape, chunk)?;
            let total = grid.len;
            if total.saturating_mul(chunk_bytes) > file.source().size() {
                return Err(H5Error::malformed(format!(
                    "{total} chunks of {chunk_bytes} bytes do not fit in the file's {} bytes",
                    file.source().size()
                )));
            }
            Ok(grid
                .origins()
                .enumerate()
                .map(|(i, offset)| ChunkRef {
                    offset,
                    address: address.saturating_add((i as u64).saturating_mul(chunk_bytes)),
                    size: chunk_bytes,
                    mask: 0,
                    inline: None,
                })
                .collect())
        }
        ChunkIndex::FixedArray(Some(address)) => fixed_array(file, info, chunk, *address, chunk_bytes).await,
        ChunkIndex::Listed(chunks) => Ok(chunks
            .iter()
            .map(|c| ChunkRef {
                offset: c.offset.clone(),
                address: c.address,
                size: c.size,
                mask: c.filter_mask,
                inline: c.inline.clone(),
            })
            .collect()),
        ChunkIndex::Other(what) => Err(H5Error::unsupported(what.clone())),
    }
}

/// Chunk origins in C order over the whole dataspace.
/// One read returns at most this many bytes: larger selections come from corrupt dataspaces, or must be read
/// in row ranges. In the browser 1 GiB: a wasm32 module has at most 4 GiB of memory.
pub(super) const MAX_SELECTION_BYTES: u64 = if cfg!(target_arch = "wasm32") { 1 << 30 } else { 4 << 30 };

/// HDF5 chunks hold at most 4 GiB (and at most [`MAX_SELECTION_BYTES`] here).
pub(super) fn chunk_size(chunk: &[u64], element: usize) -> H5Result<usize> {
    chunk
        .iter()
        .try_fold(element as u64, |acc, d| acc.checked_mul(*d))
        .filter(|bytes| *bytes <= (1 << 32).min(MAX_SELECTION_BYTES))
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| {
            H5Error::malformed(format!(
                "chunk of {chunk:?} elements of {element} bytes exceeds {} bytes",
                (1u64 << 32).min(MAX_SELECTION_BYTES)
            ))
        })
}

/// Chunks in a grid at most: more come from corrupt dimensions, not real files.
const MAX_CHUNKS: u64 = 1 << 26;

/// The chunk grid over a dataspace: origins in C order, made as they are asked for. An index lists only the chunks
/// the file holds, so a corrupt dataspace never allocates its whole grid.
struct Grid<'a> {
    counts: Vec<u64>,
    chunk: &'a [u64],
    len: u64,
}

impl Grid<'_> {
    /// The origin of the `linear`-th chunk.
    fn origin(&self, mut linear: u64) -> Vec<u64> {
        let mut offset = vec![0; self.counts.len()];
        for d in (0..self.counts.len()).rev() {
            let count = self.counts[d].max(1);
            offset[d] = (linear % count) * self.chunk.get(d).copied().unwrap_or(0);
            linear /= count;
        }
        offset
    }

    fn origins(&self) -> impl Iterator<Item = Vec<u64>> + '_ {
        (0..self.len).map(|i| self.origin(i))
    }
}

fn grid<'a>(shape: &[u64], chunk: &'a [u64]) -> H5Result<Grid<'a>> {
    let counts: Vec<u64> = shape.iter().zip(chunk).map(|(s, c)| s.div_ceil((*c).max(1))).collect();
    let len =
        counts.iter().try_fold(1u64, |acc, c| acc.checked_mul(*c)).filter(|t| *t <= MAX_CHUNKS).ok_or_else(|| {
            H5Error::malformed(format!("dataspace {shape:?} in chunks of {chunk:?} has implausibly many chunks"))
        })?;
    Ok(Grid { counts, chunk, len })
}

async fn fixed_array(
    file: &Reader,
    info: &ChunkedSpace<'_>,
    chunk: &[u64],
    address: u64,
    chunk_bytes: u64,
) -> H5Result<Vec<ChunkRef>> {
    let (o, l) = (u64::from(file.offset_size), u64::from(file.length_size));
    let head = file.read_meta(address, 4 + 1 + 1 + 1 + 1 + l + o + 4).await?;
    let mut c = file.cursor(&head);
    c.signature(b"FAHD", "fixed array header")?;
    c.skip(1)?;
    let client = c.u8()?;
    let entry_size = u64::from(c.u8()?);
    let page_bits = c.u8()?;
    let count = c.length()?;
    let data_block = c.offset()?;
    let Some(data_block) = data_block else { return Ok(Vec::new()) };
    if count > (1 << 32) || entry_size == 0 || page_bits >= 32 {
        return Err(H5Error::malformed("fixed array with an implausible size"));
    }
    let grid = grid(info.shape, chunk)?;
    let offsets = grid.origins();
    let header = 4 + 1 + 1 + o;
    let mut out = Vec::new();
    let paged = page_bits > 0 && count > (1u64 << page_bits);
    if !paged {
        let block = file.read_meta(data_block, header + count * entry_size).await?;
        let mut c = file.cursor(&block);
        c.signature(b"FADB", "fixed array data block")?;
        c.seek(header as usize)?;
        for offset in offsets.take(count as usize) {
            push_entry(&mut c, client, entry_size, chunk_bytes, offset, &mut out)?;
        }
        return Ok(out);
    }
    // Paged: a bitmap of initialised pages, then pages of entries each followed by a checksum.
    let page = 1u64 << page_bits;
    let pages = count.div_ceil(page);
    let bitmap_len = pages.div_ceil(8);
    let prefix = header + bitmap_len + 4;
    let head = file.read_meta(data_block, prefix).await?;
    let mut c = file.cursor(&head);
    c.signature(b"FADB", "fixed array data block")?;
    c.seek(header as usize)?;
    let bitmap = c.take(bitmap_len as usize)?.to_vec();
    let mut offsets = offsets;
    for p in 0..pages {
        let entries = page.min(count - p * page);
        // HDF5 numbers bits from the most significant one.
        let initialised = bitmap.get((p / 8) as usize).is_some_and(|b| b & (0x80 >> (p % 8)) != 0);
        if !initialised {
            offsets.by_ref().take(entries as usize).for_each(drop);
            continue;
        }
        let at = data_block + prefix + p * (page * entry_size + 4);
        let bytes = file.read_meta(at, entries * entry_size + 4).await?;
        verify_checksum(&bytes)?;
        let mut c = file.cursor(&bytes);
        for offset in offsets.by_ref().take(entries as usize) {
            push_entry(&mut c, client, entry_size, chunk_bytes, offset, &mut out)?;
        }
    }
    Ok(out)
}

/// One chunk entry of a fixed or extensible array: address, and for filtered chunks their size and mask.
fn push_entry(
    c: &mut super::cursor::Cursor<'_>,
    client: u8,
    entry_size: u64,
    chunk_bytes: u64,
    offset: Vec<u64>,
    out: &mut Vec<ChunkRef>,
) -> H5Result<()> {
    let address = c.offset()?;
    let (size, mask) = if client == 1 {
        let size_bytes = entry_size
            .checked_sub(u64::from(c.offset_size) + 4)
            .ok_or_else(|| H5Error::malformed("chunk entry too small"))?;
        (c.uint(size_bytes as usize)?, c.u32()?)
    } else {
        (chunk_bytes, 0)
    };
    if let Some(address) = address {
        out.push(ChunkRef { offset, address, size, mask, inline: None });
    }
    Ok(())
}

/// Chunks indexed by a v2 B-tree (datasets with several unlimited dimensions): records hold the address,
/// for filtered chunks the size and filter mask, and the chunk's scaled offset in each dimension.
async fn btree_v2_chunks(
    file: &Reader,
    info: &ChunkedSpace<'_>,
    chunk: &[u64],
    address: u64,
    chunk_bytes: u64,
) -> H5Result<Vec<ChunkRef>> {
    let o = usize::from(file.offset_size);
    let rank = chunk.len();
    let mut out = Vec::new();
    for record in super::btree::btree_v2_records(file, address).await? {
        let mut c = file.cursor(&record.data);
        let address = c.offset()?;
        let (size, mask) = match record.kind {
            10 => (chunk_bytes, 0),
            11 => {
                let size_bytes = record
                    .data
                    .len()
                    .checked_sub(o + 4 + 8 * rank)
                    .ok_or_else(|| H5Error::malformed("short chunk record"))?;
                (c.uint(size_bytes)?, c.u32()?)
            }
            other => return Err(H5Error::malformed(format!("v2 B-tree record type {other} in a chunk index"))),
        };
        let offset = (0..rank).map(|d| Ok(c.u64()? * chunk[d])).collect::<H5Result<Vec<_>>>()?;
        if offset.iter().zip(info.shape).any(|(o, s)| o >= s && *s > 0) {
            continue;
        }
        if let Some(address) = address {
            out.push(ChunkRef { offset, address, size, mask, inline: None });
        }
    }
    Ok(out)
}

/// Chunks indexed by an extensible array (one unlimited dimension). HDF5 numbers the chunks with the unlimited
/// dimension slowest; when that is the first dimension (rows that grow) this is C order over the chunk grid.
async fn extensible_array(
    file: &Reader,
    info: &ChunkedSpace<'_>,
    chunk: &[u64],
    address: u64,
    chunk_bytes: u64,
) -> H5Result<Vec<ChunkRef>> {
    if info.max_shape.iter().skip(1).any(|m| *m == u64::MAX) {
        return Err(H5Error::unsupported(
            "extensible array chunk index with an unlimited dimension other than the first",
        ));
    }
    let grid = grid(info.shape, chunk)?;
    let (o, l) = (u64::from(file.offset_size), u64::from(file.length_size));
    let head = file.read_meta(address, 4 + 1 + 1 + 6 + 6 * l + o + 4).await?;
    verify_checksum(&head)?;
    let mut c = file.cursor(&head);
    c.signature(b"EAHD", "extensible array header")?;
    c.skip(1)?;
    let client = c.u8()?;
    let element_size = u64::from(c.u8()?);
    let max_bits = u32::from(c.u8()?);
    let index_elements = u64::from(c.u8()?);
    let min_data_elements = u64::from(c.u8()?);
    let min_data_pointers = u64::from(c.u8()?);
    let page_bits = u32::from(c.u8()?);
    for _ in 0..6 {
        c.length()?;
    }
    let Some(index_block) = c.offset()? else { return Ok(Vec::new()) };
    if !min_data_elements.is_power_of_two()
        || !min_data_pointers.is_power_of_two()
        || max_bits > 64
        || element_size == 0
        || page_bits >= 32
    {
        return Err(H5Error::malformed("extensible array with invalid parameters"));
    }
    // Super blocks: u-th has 2^(u/2) data blocks of 2^((u+1)/2) · min elements.
    let super_blocks = 1 + max_bits.saturating_sub(min_data_elements.trailing_zeros()) as u64;
    let blocks_of = |u: u64| 1u64 << (u / 2);
    let elements_of = |u: u64| (1u64 << u.div_ceil(2)) * min_data_elements;
    let index_super_blocks = 2 * u64::from(min_data_pointers.trailing_zeros());
    let data_pointers = 2 * (min_data_pointers - 1);
    let super_pointers = super_blocks.saturating_sub(index_super_blocks);
    let offset_bytes = u64::from(max_bits.div_ceil(8));
    let chunks = grid.len;
    let offset_of = |i: u64| grid.origin(i);
    let index_len = 4 + 1 + 1 + o + index_elements * element_size + (data_pointers + super_pointers) * o + 4;
    let index = file.read_meta(index_block, index_len).await?;
    verify_checksum(&index)?;
    let mut c = file.cursor(&index);
    c.signature(b"EAIB", "extensible array index block")?;
    c.skip(2 + o as usize)?;
    let mut out = Vec::new();
    let mut next = 0u64;
    for _ in 0..index_elements {
        if next >= chunks {
            break;
        }
        push_entry(&mut c, client, element_size, chunk_bytes, offset_of(next), &mut out)?;
        next += 1;
    }
    c.seek((4 + 1 + 1 + o + index_elements * element_size) as usize)?;
    let data_addresses = (0..data_pointers).map(|_| c.offset()).collect::<H5Result<Vec<_>>>()?;
    let super_addresses = (0..super_pointers).map(|_| c.offset()).collect::<H5Result<Vec<_>>>()?;
    // Data blocks reached from the index block, then those of each secondary block, in element order.
    let mut data_blocks: Vec<(Option<u64>, u64)> = Vec::new();
    let mut pointer = 0usize;
    for u in 0..index_super_blocks.min(super_blocks) {
        for _ in 0..blocks_of(u) {
            data_blocks.push((data_addresses.get(pointer).copied().flatten(), elements_of(u)));
            pointer += 1;
        }
    }
    for (s, super_address) in super_addresses.iter().enumerate() {
        let u = index_super_blocks + s as u64;
        let count = blocks_of(u);
        // Enough data blocks for every chunk: corrupt counts must not make us list billions.
        if data_blocks.iter().map(|(_, n)| n).sum::<u64>() >= chunks {
            break;
        }
        let Some(super_address) = super_address else {
            data_blocks.extend((0..count).map(|_| (None, elements_of(u))));
            continue;
        };
        if page_bits > 0 && elements_of(u) > 1 << page_bits {
            return Err(H5Error::unsupported("paged extensible array data blocks"));
        }
        let block = file.read_meta(*super_address, 4 + 1 + 1 + o + offset_bytes + count * o + 4).await?;
        verify_checksum(&block)?;
        let mut c = file.cursor(&block);
        c.signature(b"EASB", "extensible array secondary block")?;
        c.skip((2 + o + offset_bytes) as usize)?;
        for _ in 0..count {
            data_blocks.push((c.offset()?, elements_of(u)));
        }
    }
    for (block, elements) in data_blocks {
        if next >= chunks {
            break;
        }
        let Some(block) = block else {
            next += elements;
            continue;
        };
        if page_bits > 0 && elements > 1 << page_bits {
            return Err(H5Error::unsupported("paged extensible array data blocks"));
        }
        let header = 4 + 1 + 1 + o + offset_bytes;
        let bytes = file.read_meta(block, header + elements * element_size + 4).await?;
        verify_checksum(&bytes)?;
        let mut c = file.cursor(&bytes);
        c.signature(b"EADB", "extensible array data block")?;
        c.seek(header as usize)?;
        for _ in 0..elements {
            if next >= chunks {
                break;
            }
            push_entry(&mut c, client, element_size, chunk_bytes, offset_of(next), &mut out)?;
            next += 1;
        }
    }
    Ok(out)
}
