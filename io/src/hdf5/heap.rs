//! Local heaps (symbol-table group names), fractal heaps (dense links and attributes, indexed by a v2
//! B-tree) and global heaps (variable-length strings).

use std::collections::HashMap;

use bytes::Bytes;

use super::reader::Reader;
use super::{H5Error, H5Result};

/// The data segment of a local heap (symbol-table group names).
pub(crate) async fn local_heap(file: &Reader, address: u64) -> H5Result<Bytes> {
    let head = file.read_meta(address, 8 + 3 * u64::from(file.length_size.max(file.offset_size))).await?;
    let mut c = file.cursor(&head);
    c.signature(b"HEAP", "local heap")?;
    c.skip(4)?;
    let size = c.length()?;
    c.length()?;
    let data = c.offset()?.ok_or_else(|| H5Error::malformed("local heap without data"))?;
    file.read_meta(data, size).await
}

/// The objects a dense store holds, in the order of its name index (v2 B-tree), each a link or attribute
/// message.
pub(crate) async fn dense_objects(file: &Reader, heap: u64, btree: Option<u64>) -> H5Result<Vec<Bytes>> {
    let heap = FractalHeap::read(file, heap).await?;
    let Some(btree) = btree else { return Ok(Vec::new()) };
    let mut objects = Vec::new();
    for record in super::btree::btree_v2_records(file, btree).await? {
        // Name index records (types 5 and 8) hold the heap ID first for type 8, after a 4-byte hash for 5.
        let id = match record.kind {
            5 => record.data.get(4..),
            8 => record.data.get(..),
            other => return Err(H5Error::unsupported(format!("v2 B-tree record type {other}"))),
        }
        .ok_or_else(|| H5Error::malformed("short v2 B-tree record"))?;
        objects.push(heap.object(file, id).await?);
    }
    Ok(objects)
}

struct FractalHeap {
    id_length: usize,
    /// v2 B-tree of huge objects that do not fit in a heap ID.
    huge_btree: Option<u64>,
    table_width: u64,
    start_block: u64,
    max_direct_block: u64,
    offset_bytes: usize,
    length_bytes: usize,
    root: Option<u64>,
    root_rows: u64,
    filtered: bool,
}

impl FractalHeap {
    async fn read(file: &Reader, address: u64) -> H5Result<Self> {
        let (o, l) = (u64::from(file.offset_size), u64::from(file.length_size));
        let size = 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8 * l + 2 + l + l + 2 + 2 + o + 2;
        let bytes = file.read_meta(address, size).await?;
        let mut c = file.cursor(&bytes);
        c.signature(b"FRHP", "fractal heap")?;
        c.skip(1)?;
        let id_length = usize::from(c.u16()?);
        let filter_length = c.u16()?;
        c.skip(1)?; // flags: direct-block checksums are not verified (the objects are parsed with bounds checks)
        let max_managed = u64::from(c.u32()?);
        c.length()?;
        let huge_btree = c.offset()?;
        c.length()?;
        c.offset()?;
        for _ in 0..8 {
            c.length()?;
        }
        let table_width = u64::from(c.u16()?);
        let start_block = c.length()?;
        let max_direct_block = c.length()?;
        let max_heap_bits = u64::from(c.u16()?);
        c.u16()?;
        let root = c.offset()?;
        let root_rows = u64::from(c.u16()?);
        // Real heaps have a width of a few and rows well under 64; larger values would loop for hours.
        if table_width == 0
            || table_width > 4096
            || root_rows > 64
            || start_block == 0
            || !start_block.is_power_of_two()
            || max_direct_block > 1 << 32
            || max_direct_block < start_block
        {
            return Err(H5Error::malformed("fractal heap with an invalid doubling table"));
        }
        let offset_bytes = max_heap_bits.div_ceil(8) as usize;
        let length_bits = 64 - max_direct_block.min(max_managed).leading_zeros() as u64;
        Ok(Self {
            id_length,
            huge_btree,
            table_width,
            start_block,
            max_direct_block,
            offset_bytes,
            length_bytes: length_bits.div_ceil(8) as usize,
            root,
            root_rows,
            filtered: filter_length > 0,
        })
    }

    /// The bytes of a managed object, by heap ID.
    async fn object(&self, file: &Reader, id: &[u8]) -> H5Result<Bytes> {
        let id = id.get(..self.id_length).ok_or_else(|| H5Error::malformed("short heap ID"))?;
        let mut c = file.cursor(id);
        let kind = (c.u8()? >> 4) & 0x03;
        match kind {
            0 => {}
            1 => return self.huge_object(file, id).await,
            2 => {
                // Tiny objects live in the ID itself; the low nibble of the first byte is the length − 1.
                let length = usize::from(id[0] & 0x0F) + 1;
                return id
                    .get(1..1 + length)
                    .map(Bytes::copy_from_slice)
                    .ok_or_else(|| H5Error::malformed("short tiny heap ID"));
            }
            _ => return Err(H5Error::malformed("heap ID of unknown type")),
        }
        if self.filtered {
            return Err(H5Error::unsupported("filtered fractal heap"));
        }
        let offset = c.uint(self.offset_bytes)?;
        let length = c.uint(self.length_bytes)?;
        let (block, block_offset, block_size) = self.locate(file, offset).await?;
        let header = 5 + u64::from(file.offset_size) + self.offset_bytes as u64;
        let within = offset - block_offset;
        if within < header || within.checked_add(length).is_none_or(|end| end > block_size) {
            return Err(H5Error::malformed(format!("heap object {offset}+{length} outside its direct block")));
        }
        file.read_meta(block.checked_add(within).ok_or_else(|| H5Error::malformed("address overflow"))?, length).await
    }

    /// A huge object: its address and length are in the ID when it is long enough, else in the huge-object
    /// B-tree under the ID's key.
    async fn huge_object(&self, file: &Reader, id: &[u8]) -> H5Result<Bytes> {
        if self.filtered {
            return Err(H5Error::unsupported("filtered huge fractal heap object"));
        }
        let (o, l) = (usize::from(file.offset_size), usize::from(file.length_size));
        if self.id_length >= 1 + o + l {
            let mut c = file.cursor(&id[1..]);
            let address = c.offset()?.ok_or_else(|| H5Error::malformed("huge object at an undefined address"))?;
            return file.read_meta(address, c.length()?).await;
        }
        let key = file.cursor(&id[1..]).uint((self.id_length - 1).min(8))?;
        let btree = self.huge_btree.ok_or_else(|| H5Error::malformed("huge object without a huge-object B-tree"))?;
        for record in super::btree::btree_v2_records(file, btree).await? {
            let mut c = file.cursor(&record.data);
            let address = c.offset()?;
            let length = c.length()?;
            if record.kind == 1 && c.length()? == key {
                let address = address.ok_or_else(|| H5Error::malformed("huge object at an undefined address"))?;
                return file.read_meta(address, length).await;
            }
        }
        Err(H5Error::malformed(format!("huge heap object {key} not in its B-tree")))
    }

    /// Finds the direct block holding heap offset `offset`: (address, block offset, block size).
    async fn locate(&self, file: &Reader, offset: u64) -> H5Result<(u64, u64, u64)> {
        let root = self.root.ok_or_else(|| H5Error::malformed("empty fractal heap"))?;
        if self.root_rows == 0 {
            return Ok((root, 0, self.start_block));
        }
        let mut block = root;
        let mut block_offset = 0u64;
        let mut rows = self.root_rows;
        for _ in 0..64 {
            // Rows of the doubling table: sizes start, start, 2·start, 4·start, …
            let row_size = |row: u64| {
                if row == 0 {
                    self.start_block
                } else {
                    self.start_block.checked_shl((row - 1) as u32).unwrap_or(u64::MAX)
                }
            };
            let max_direct_rows = (self.max_direct_block / self.start_block).trailing_zeros() as u64 + 2;
            let direct_rows = rows.min(max_direct_rows);
            let o = u64::from(file.offset_size);
            let header = 4 + 1 + o + self.offset_bytes as u64;
            let mut entry = 0u64;
            let mut start = block_offset;
            let mut found = None;
            for row in 0..rows {
                let size = row_size(row);
                for _ in 0..self.table_width {
                    if offset >= start && offset - start < size {
                        found = Some((row, entry, start, size));
                    }
                    start = start.saturating_add(size);
                    entry += 1;
                }
                if found.is_some() {
                    break;
                }
            }
            let (row, entry, child_offset, size) =
                found.ok_or_else(|| H5Error::malformed(format!("heap offset {offset} outside the heap")))?;
            let child = file.read_meta(block + header + entry * o, o).await?;
            let child = file.cursor(&child).offset()?.ok_or_else(|| H5Error::malformed("missing heap block"))?;
            if row < direct_rows {
                return Ok((child, child_offset, size));
            }
            block = child;
            block_offset = child_offset;
            rows = ((size / self.start_block).trailing_zeros() as u64 + 1)
                .saturating_sub(self.table_width.trailing_zeros() as u64)
                .min(64);
        }
        Err(H5Error::malformed("fractal heap indirect blocks nest too deeply"))
    }
}

/// Reads variable-length data from global heap collections, caching each collection's objects.
#[derive(Default)]
pub(crate) struct GlobalHeaps {
    collections: HashMap<u64, HashMap<u16, Bytes>>,
}

impl GlobalHeaps {
    pub async fn object(&mut self, file: &Reader, collection: u64, index: u32) -> H5Result<Bytes> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.collections.entry(collection) {
            entry.insert(read_collection(file, collection).await?);
        }
        let index = u16::try_from(index).map_err(|_| H5Error::malformed("global heap index out of range"))?;
        self.collections
            .get(&collection)
            .and_then(|objects| objects.get(&index))
            .cloned()
            .ok_or_else(|| H5Error::malformed(format!("global heap object {index} missing in collection {collection}")))
    }
}

async fn read_collection(file: &Reader, address: u64) -> H5Result<HashMap<u16, Bytes>> {
    let l = u64::from(file.length_size);
    let head = file.read_meta(address, 8 + l).await?;
    let mut c = file.cursor(&head);
    c.signature(b"GCOL", "global heap collection")?;
    c.skip(4)?;
    let size = c.length()?;
    let bytes = file.read_meta(address, size).await?;
    let mut c = file.cursor(&bytes);
    c.skip(8 + l as usize)?;
    let mut objects = HashMap::new();
    while c.remaining() >= 8 + l as usize {
        let index = c.u16()?;
        if index == 0 {
            break;
        }
        c.skip(6)?;
        let length = c.length()? as usize;
        let start = c.pos();
        c.skip(length)?;
        objects.insert(index, bytes.slice(start..start + length));
        let padding = (8 - length % 8) % 8;
        c.skip(padding.min(c.remaining()))?;
    }
    Ok(objects)
}
