//! Datasets: their description (shape, type, layout, filters, fill value) and reading a selection of rows,
//! touching only the chunks that hold it.

use std::ops::Range;

use bytes::Bytes;

use super::chunk_index::{ChunkRef, ChunkedSpace, MAX_SELECTION_BYTES, chunk_list, chunk_size};
use super::dtype::{Dtype, Values, decode_values};
use super::file::Hdf5File;
use super::filters::{self, Filter};
use super::layout::{ChunkIndex, LayoutInfo, StoredChunk, parse_layout};
use super::message;
use super::object_header::{DATASPACE, FILTER_PIPELINE, LAYOUT, NodeKind, ObjectHeader};
use super::reader::Reader;
use super::{H5Error, H5Result};
use crate::error::Result;

/// A dataset's description.
#[derive(Clone, Debug)]
pub struct DatasetInfo {
    pub path: String,
    pub shape: Vec<u64>,
    /// Maximum dimensions, `u64::MAX` where unlimited.
    pub max_shape: Vec<u64>,
    pub dtype: Dtype,
    pub layout: LayoutInfo,
    pub filters: Vec<Filter>,
    fill: Option<Vec<u8>>,
}

impl DatasetInfo {
    /// A dataset described from outside the file (a chunk index, kerchunk references): reads of it fetch only its
    /// chunks, never the file's metadata.
    pub fn described(
        path: String,
        shape: Vec<u64>,
        dtype: Dtype,
        layout: LayoutInfo,
        filters: Vec<Filter>,
        fill: Option<Vec<u8>>,
    ) -> Self {
        Self { path, max_shape: shape.clone(), shape, dtype, layout, filters, fill }
    }

    /// The chunk shape of a chunked dataset.
    pub fn chunk_shape(&self) -> Option<&[u64]> {
        match &self.layout {
            LayoutInfo::Chunked { chunk, .. } => Some(chunk),
            _ => None,
        }
    }

    /// The fill value's bytes as stored, when the dataset declares one.
    pub fn fill_bytes(&self) -> Option<&[u8]> {
        self.fill.as_deref()
    }

    /// The fill value decoded as one element of the dataset's type, when the dataset declares one.
    pub async fn fill_values(&self, file: &Hdf5File) -> Option<Values> {
        let bytes = self.fill.as_deref().filter(|b| !b.is_empty())?;
        decode_values(&file.reader, &self.dtype, bytes, 1).await.ok()
    }

    /// Every stored chunk (the whole data for a contiguous dataset; nothing for compact data, which lives in the
    /// object header, or for chunks never written), in the chunk index's order.
    pub async fn stored_chunks(&self, file: &Hdf5File) -> Result<Vec<StoredChunk>> {
        Ok(match &self.layout {
            LayoutInfo::Compact(_) => Vec::new(),
            LayoutInfo::Contiguous { address: None, .. } => Vec::new(),
            LayoutInfo::Contiguous { address: Some(address), size } => {
                vec![StoredChunk {
                    offset: vec![0; self.shape.len()],
                    address: *address,
                    size: *size,
                    filter_mask: 0,
                    inline: None,
                }]
            }
            LayoutInfo::Chunked { chunk, index } => chunk_list(&file.reader, &self.chunked_space(), chunk, index)
                .await
                .map_err(|e| e.at(&file.location, &self.path))?
                .into_iter()
                .map(|c| StoredChunk {
                    offset: c.offset,
                    address: c.address,
                    size: c.size,
                    filter_mask: c.mask,
                    inline: c.inline,
                })
                .collect(),
        })
    }

    fn chunked_space(&self) -> ChunkedSpace<'_> {
        ChunkedSpace {
            element: self.dtype.size(),
            shape: &self.shape,
            max_shape: &self.max_shape,
            filtered: !self.filters.is_empty(),
        }
    }

    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the dataset's elements occupy in the file (compressed chunks summed).
    pub async fn stored_bytes(&self, file: &Hdf5File) -> Result<u64> {
        Ok(match &self.layout {
            LayoutInfo::Compact(data) => data.len() as u64,
            LayoutInfo::Contiguous { .. } => self.len() * self.dtype.size() as u64,
            LayoutInfo::Chunked { chunk, index } => chunk_list(&file.reader, &self.chunked_space(), chunk, index)
                .await
                .map_err(|e| e.at(&file.location, &self.path))?
                .iter()
                .map(|c| c.size)
                .sum(),
        })
    }

    pub fn layout_name(&self) -> String {
        match &self.layout {
            LayoutInfo::Compact(_) => "compact".into(),
            LayoutInfo::Contiguous { .. } => "contiguous".into(),
            LayoutInfo::Chunked { chunk, index } => {
                let index = match index {
                    ChunkIndex::BTreeV1(_) => "v1 B-tree",
                    ChunkIndex::Single { .. } => "single chunk",
                    ChunkIndex::Implicit(_) => "implicit",
                    ChunkIndex::FixedArray(_) => "fixed array",
                    ChunkIndex::ExtensibleArray(_) => "extensible array",
                    ChunkIndex::BTreeV2(_) => "v2 B-tree",
                    ChunkIndex::Listed(_) => "listed by a chunk index or references",
                    ChunkIndex::Other(name) => name,
                };
                format!("chunked {chunk:?} ({index})")
            }
        }
    }
}

impl Hdf5File {
    /// Describes the dataset at `path`.
    pub async fn dataset(&self, path: &str) -> Result<DatasetInfo> {
        let address = self.resolve(path).await?;
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        if header.kind() == NodeKind::Group {
            let members = self.links_of(address, path).await?;
            let names: Vec<&str> = members.iter().map(|l| l.name.as_str()).collect();
            let listed = if names.is_empty() {
                "it has no members".to_owned()
            } else {
                format!("its members are {}", names.join(", "))
            };
            return Err(crate::IoError::Format {
                location: self.location.to_string(),
                message: format!("{path} is a group, not a dataset; {listed}"),
            });
        }
        describe(&self.reader, &header, path).map_err(|e| e.at(&self.location, path))
    }

    /// Reads the rows `rows` (all when `None`) of a dataset; rows index the first dimension.
    pub async fn read(&self, info: &DatasetInfo, rows: Option<Range<u64>>) -> Result<Values> {
        read(&self.reader, info, rows).await.map_err(|e| e.at(&self.location, &info.path))
    }

    /// Fetches, in as few requests as coalescing allows, the chunks that reads of these datasets' rows (all when
    /// `None`) will need; the reads then take them without a request. Only chunked datasets are prefetched. Returns
    /// the ranges, for [`Hdf5File::forget_prefetched`] once the reads are done.
    pub async fn prefetch(&self, reads: &[(&DatasetInfo, Option<Range<u64>>)]) -> Result<Vec<Range<u64>>> {
        let mut ranges = Vec::new();
        for (info, rows) in reads {
            let LayoutInfo::Chunked { chunk, index } = &info.layout else { continue };
            let rows = rows.clone().unwrap_or(0..info.shape.first().copied().unwrap_or(1));
            let Some(&chunk_rows) = chunk.first() else { continue };
            let chunks = chunk_list(&self.reader, &info.chunked_space(), chunk, index)
                .await
                .map_err(|e| e.at(&self.location, &info.path))?;
            ranges.extend(
                chunks
                    .iter()
                    .filter(|c| c.inline.is_none())
                    .filter(|c| c.offset.first().is_some_and(|o| *o < rows.end && o + chunk_rows > rows.start))
                    .map(|c| c.address..c.address.saturating_add(c.size)),
            );
        }
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
        self.reader.prefetch(&ranges).await.map_err(|e| e.at(&self.location, "prefetched chunks"))?;
        Ok(ranges)
    }

    /// Drops prefetched chunks no read took.
    pub fn forget_prefetched(&self, ranges: &[Range<u64>]) {
        self.reader.forget_prefetched(ranges);
    }

    /// Reads a whole dataset by path.
    pub async fn read_path(&self, path: &str) -> Result<Values> {
        let info = self.dataset(path).await?;
        self.read(&info, None).await
    }
}

fn describe(file: &Reader, header: &ObjectHeader, path: &str) -> H5Result<DatasetInfo> {
    let space = header.find(DATASPACE).ok_or_else(|| H5Error::malformed("dataset without a dataspace"))?;
    let (shape, max_shape) = message::dataspace_with_max(&space.data, file)?.unwrap_or_else(|| (vec![0], vec![0]));
    let dtype = message::header_datatype(header, file)?;
    if dtype == Dtype::VarString && file.offset_size != 8 {
        return Err(H5Error::unsupported("variable-length strings with non-8-byte offsets"));
    }
    let filters = match header.find(FILTER_PIPELINE) {
        Some(m) => filters::parse_pipeline(&mut file.cursor(&m.data))?,
        None => Vec::new(),
    };
    let layout = header.find(LAYOUT).ok_or_else(|| H5Error::malformed("dataset without a layout"))?;
    let layout = parse_layout(file, &layout.data, shape.len())?;
    let fill = message::fill_value(header, file)?;
    Ok(DatasetInfo { path: path.to_owned(), shape, max_shape, dtype, layout, filters, fill })
}

async fn read(file: &Reader, info: &DatasetInfo, rows: Option<Range<u64>>) -> H5Result<Values> {
    let element = info.dtype.size();
    let shape = if info.shape.is_empty() { vec![1] } else { info.shape.clone() };
    let rows = rows.unwrap_or(0..shape[0]);
    if rows.start > rows.end || rows.end > shape[0] {
        return Err(H5Error::malformed(format!("rows {}..{} outside 0..{}", rows.start, rows.end, shape[0])));
    }
    let too_large = || H5Error::malformed(format!("dataspace {shape:?} is too large"));
    let row_elements = shape[1..].iter().try_fold(1u64, |acc, d| acc.checked_mul(*d)).ok_or_else(too_large)?;
    let count = (rows.end - rows.start).checked_mul(row_elements).ok_or_else(too_large)?;
    let out_bytes = count
        .checked_mul(element as u64)
        .filter(|b| *b <= MAX_SELECTION_BYTES)
        .ok_or_else(|| H5Error::malformed(format!("selection of {count} elements is too large to read at once")))?
        as usize;
    // Sizes the file claims are checked against what it can hold before anything is allocated: no layout yields
    // more than its file deflated at deflate's best ratio (a dataset mostly never written, all fill value, beyond
    // that is refused too: that is a crafted file far more often than a real one).
    let file_size = file.source().size();
    if out_bytes as u64 > file_size.saturating_mul(filters::MAX_DEFLATE_RATIO as u64).max(1 << 20) {
        return Err(H5Error::malformed(format!(
            "its dataspace claims {out_bytes} bytes, more than a file of {file_size} bytes can hold"
        )));
    }
    match &info.layout {
        LayoutInfo::Compact(data) if out_bytes > data.len() => {
            return Err(H5Error::malformed("compact data shorter than its dataspace"));
        }
        LayoutInfo::Contiguous { address: Some(_), .. } if out_bytes as u64 > file_size => {
            return Err(H5Error::malformed(format!(
                "{out_bytes} bytes of contiguous data do not fit in the file's {file_size} bytes"
            )));
        }
        _ => {}
    }
    let mut out = allocate(out_bytes)?;
    match &info.fill {
        Some(fill) if fill.len() == element && fill.iter().any(|b| *b != 0) && out_bytes > 0 => {
            // Doubling copies, as `[T]::repeat` does, into the buffer already reserved.
            out.extend_from_slice(fill);
            while out.len() < out_bytes {
                out.extend_from_within(..(out_bytes - out.len()).min(out.len()));
            }
        }
        _ => out.resize(out_bytes, 0),
    }
    let row_bytes = row_elements.saturating_mul(element as u64);
    match &info.layout {
        LayoutInfo::Compact(data) => {
            let start = usize::try_from(rows.start.saturating_mul(row_bytes)).unwrap_or(usize::MAX);
            let slice = start
                .checked_add(out_bytes)
                .and_then(|end| data.get(start..end))
                .ok_or_else(|| H5Error::malformed("compact data shorter than its dataspace"))?;
            out.copy_from_slice(slice);
        }
        LayoutInfo::Contiguous { address: None, .. } => {}
        LayoutInfo::Contiguous { address: Some(address), .. } => {
            if out_bytes > 0 {
                let start = rows
                    .start
                    .checked_mul(row_bytes)
                    .and_then(|o| address.checked_add(o))
                    .ok_or_else(|| H5Error::malformed("address overflow"))?;
                let data = file.read_raw(std::slice::from_ref(&(start..start + out_bytes as u64))).await?;
                out.copy_from_slice(&data[0]);
            }
        }
        LayoutInfo::Chunked { chunk, index } => {
            filters::check_supported(&info.filters)?;
            if chunk.len() != shape.len() || chunk.contains(&0) {
                return Err(H5Error::malformed("chunk dimensions do not match the dataspace"));
            }
            let chunks: Vec<ChunkRef> = chunk_list(file, &info.chunked_space(), chunk, index)
                .await?
                .into_iter()
                .filter(|c| c.offset.first().is_some_and(|o| *o < rows.end && o + chunk[0] > rows.start))
                .collect();
            // Chunks whose bytes came with their description (inlined references) are not fetched.
            let ranges: Vec<_> = chunks
                .iter()
                .filter(|c| c.inline.is_none())
                .map(|c| c.address..c.address.saturating_add(c.size))
                .collect();
            let mut fetched = file.read_raw(&ranges).await?.into_iter();
            let raw: Vec<Bytes> =
                chunks.iter().map(|c| c.inline.clone().or_else(|| fetched.next()).unwrap_or_default()).collect();
            let chunk_bytes = chunk_size(chunk, element)?;
            let decoded = decode_chunks(&info.filters, &chunks, raw, chunk_bytes)?;
            for (chunk_ref, data) in chunks.iter().zip(decoded) {
                let inside = chunk_ref.offset.len() == shape.len()
                    && chunk_ref.offset.iter().zip(&shape).zip(chunk).all(|((o, s), c)| o < s && o % c == 0);
                if !inside {
                    return Err(H5Error::malformed(format!(
                        "chunk at {:?} does not lie on the chunk grid of the dataspace {shape:?}",
                        chunk_ref.offset
                    )));
                }
                if data.len() < chunk_bytes {
                    return Err(H5Error::malformed(format!(
                        "chunk at {:?} holds {} of {chunk_bytes} bytes",
                        chunk_ref.offset,
                        data.len()
                    )));
                }
                copy_chunk(&mut out, &data, &shape, chunk, &chunk_ref.offset, &rows, element);
            }
        }
    }
    decode_values(file, &info.dtype, &out, count as usize).await
}

/// An output buffer of `bytes`, or an error where the memory is not there (a `prlimit`, the browser's 4 GiB): the
/// size came from the file, and a claim too large must end the read, never the process.
fn allocate(bytes: usize) -> H5Result<Vec<u8>> {
    let mut out = Vec::new();
    out.try_reserve_exact(bytes)
        .map_err(|_| H5Error::malformed(format!("cannot allocate the {bytes} bytes its dataspace claims")))?;
    Ok(out)
}

/// Undoes the filters of every chunk: on both cores on native, in turn on wasm.
fn decode_chunks(
    filters: &[Filter],
    chunks: &[ChunkRef],
    raw: Vec<Bytes>,
    chunk_bytes: usize,
) -> H5Result<Vec<Vec<u8>>> {
    let work: Vec<(u32, Bytes)> = chunks.iter().map(|c| c.mask).zip(raw).collect();
    let decode = |items: &[(u32, Bytes)]| -> H5Result<Vec<Vec<u8>>> {
        items.iter().map(|(mask, data)| filters::unfilter(filters, *mask, data.to_vec(), chunk_bytes)).collect()
    };
    #[cfg(not(target_arch = "wasm32"))]
    if work.len() > 1 && !filters.is_empty() {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(work.len());
        let per_thread = work.len().div_ceil(threads);
        let results: Vec<H5Result<Vec<Vec<u8>>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = work.chunks(per_thread).map(|part| scope.spawn(move || decode(part))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(H5Error::malformed("a decompression thread panicked"))))
                .collect()
        });
        let mut out = Vec::with_capacity(work.len());
        for part in results {
            out.extend(part?);
        }
        return Ok(out);
    }
    decode(&work)
}

/// Copies the part of a decoded chunk that lies in the selected rows into the output.
fn copy_chunk(
    out: &mut [u8],
    data: &[u8],
    shape: &[u64],
    chunk: &[u64],
    origin: &[u64],
    rows: &Range<u64>,
    element: usize,
) {
    let rank = shape.len();
    let last = rank - 1;
    let run = chunk[last].min(shape[last].saturating_sub(origin[last])) as usize;
    let outer: u64 = chunk[..last].iter().product();
    let mut index = vec![0u64; last];
    for _ in 0..outer {
        let global: Vec<u64> = (0..last).map(|d| origin[d] + index[d]).collect();
        let inside = global.iter().zip(shape).all(|(g, s)| g < s)
            && (rank == 1 || (global[0] >= rows.start && global[0] < rows.end));
        if inside || rank == 1 {
            let mut chunk_pos = 0u64;
            let mut out_pos = 0u64;
            for d in 0..last {
                chunk_pos = chunk_pos * chunk[d] + index[d];
                let g = if d == 0 { global[0] - rows.start } else { global[d] };
                out_pos = out_pos * shape[d] + g;
            }
            if rank == 1 {
                // One run along the only dimension, clipped to the selected rows.
                let start = origin[0].max(rows.start);
                let end = (origin[0] + chunk[0]).min(rows.end).min(shape[0]);
                if start < end {
                    let from = (start - origin[0]) as usize * element;
                    let to = (start - rows.start) as usize * element;
                    let len = (end - start) as usize * element;
                    out[to..to + len].copy_from_slice(&data[from..from + len]);
                }
                return;
            }
            let from = (chunk_pos * chunk[last]) as usize * element;
            let to = (out_pos * shape[last] + origin[last]) as usize * element;
            out[to..to + run * element].copy_from_slice(&data[from..from + run * element]);
        }
        for d in (0..last).rev() {
            index[d] += 1;
            if index[d] < chunk[d] {
                break;
            }
            index[d] = 0;
        }
    }
}
