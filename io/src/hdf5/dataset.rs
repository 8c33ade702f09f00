//! Datasets: their description (shape, type, layout, filters, fill value) and reading a selection of rows,
//! touching only the chunks that hold it.

use std::ops::Range;

use bytes::Bytes;

use super::file::{Hdf5File, NodeKind, ObjectHeader, verify_checksum};
use super::filters::{self, Filter};
use super::heap::GlobalHeaps;
use super::message::{self, AttributeValue, DATASPACE, FILTER_PIPELINE, LAYOUT};
use super::{H5Error, H5Result};
use crate::error::Result;

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
    Single { address: Option<u64>, filtered_size: Option<u64>, mask: u32 },
    Implicit(Option<u64>),
    FixedArray(Option<u64>),
    ExtensibleArray(Option<u64>),
    BTreeV2(Option<u64>),
    Other(String),
}

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
            LayoutInfo::Chunked { chunk, index } => chunk_list(file, self, chunk, index)
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
                    ChunkIndex::Other(name) => name,
                };
                format!("chunked {chunk:?} ({index})")
            }
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

    pub(crate) fn into_attribute(self) -> AttributeValue {
        match self {
            Values::F32(v) => AttributeValue::Numbers(v.into_iter().map(f64::from).collect()),
            Values::F64(v) => AttributeValue::Numbers(v),
            Values::Str(v) => AttributeValue::Strings(v),
            Values::U64(v) => AttributeValue::Integers(v.into_iter().map(|x| x as i64).collect()),
            other => AttributeValue::Integers(other.to_strings().iter().filter_map(|s| s.parse().ok()).collect()),
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
pub(crate) async fn decode_values(file: &Hdf5File, dtype: &Dtype, bytes: &[u8], count: usize) -> H5Result<Values> {
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

impl Hdf5File {
    /// Describes the dataset at `path`.
    pub async fn dataset(&self, path: &str) -> Result<DatasetInfo> {
        let address = self.resolve(path).await?;
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        if Hdf5File::kind_of(&header) == NodeKind::Group {
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
        describe(self, &header, path).map_err(|e| e.at(&self.location, path))
    }

    /// Reads the rows `rows` (all when `None`) of a dataset; rows index the first dimension.
    pub async fn read(&self, info: &DatasetInfo, rows: Option<Range<u64>>) -> Result<Values> {
        read(self, info, rows).await.map_err(|e| e.at(&self.location, &info.path))
    }

    /// Reads a whole dataset by path.
    pub async fn read_path(&self, path: &str) -> Result<Values> {
        let info = self.dataset(path).await?;
        self.read(&info, None).await
    }
}

fn describe(file: &Hdf5File, header: &ObjectHeader, path: &str) -> H5Result<DatasetInfo> {
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

fn parse_layout(file: &Hdf5File, data: &Bytes, rank: usize) -> H5Result<LayoutInfo> {
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

/// One stored chunk: its position in the dataset (element coordinates), where it is, and its filter mask.
struct ChunkRef {
    offset: Vec<u64>,
    address: u64,
    size: u64,
    mask: u32,
}

async fn chunk_list(file: &Hdf5File, info: &DatasetInfo, chunk: &[u64], index: &ChunkIndex) -> H5Result<Vec<ChunkRef>> {
    let element = info.dtype.size() as u64;
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
            for (key, address) in super::group::btree_v1(file, *root, chunk.len()).await? {
                let mut c = file.cursor(&key);
                let size = u64::from(c.u32()?);
                let mask = c.u32()?;
                let offset = (0..chunk.len()).map(|_| c.u64()).collect::<H5Result<Vec<_>>>()?;
                out.push(ChunkRef { offset, address, size, mask });
            }
            Ok(out)
        }
        ChunkIndex::Single { address: None, .. } => Ok(Vec::new()),
        ChunkIndex::Single { address: Some(address), filtered_size, mask } => Ok(vec![ChunkRef {
            offset: vec![0; chunk.len()],
            address: *address,
            size: filtered_size.unwrap_or(chunk_bytes),
            mask: *mask,
        }]),
        ChunkIndex::Implicit(Some(address)) => {
            if !info.filters.is_empty() {
                return Err(H5Error::malformed("implicit chunk index with filters"));
            }
            Ok(grid(&info.shape, chunk)?
                .into_iter()
                .enumerate()
                .map(|(i, offset)| ChunkRef {
                    offset,
                    address: address.saturating_add((i as u64).saturating_mul(chunk_bytes)),
                    size: chunk_bytes,
                    mask: 0,
                })
                .collect())
        }
        ChunkIndex::FixedArray(Some(address)) => fixed_array(file, info, chunk, *address, chunk_bytes).await,
        ChunkIndex::Other(what) => Err(H5Error::unsupported(what.clone())),
    }
}

/// Chunk origins in C order over the whole dataspace.
/// One read returns at most this many bytes: larger selections come from corrupt dataspaces, or must be read
/// in row ranges.
const MAX_SELECTION_BYTES: u64 = 4 << 30;

/// HDF5 chunks hold at most 4 GiB.
fn chunk_size(chunk: &[u64], element: usize) -> H5Result<usize> {
    chunk
        .iter()
        .try_fold(element as u64, |acc, d| acc.checked_mul(*d))
        .filter(|bytes| *bytes <= 1 << 32)
        .map(|bytes| bytes as usize)
        .ok_or_else(|| H5Error::malformed(format!("chunk of {chunk:?} elements of {element} bytes exceeds 4 GiB")))
}

/// Chunks in a grid at most: more come from corrupt dimensions, not real files.
const MAX_CHUNKS: u64 = 1 << 26;

/// Chunk origins in C order over the whole dataspace.
fn grid(shape: &[u64], chunk: &[u64]) -> H5Result<Vec<Vec<u64>>> {
    let counts: Vec<u64> = shape.iter().zip(chunk).map(|(s, c)| s.div_ceil((*c).max(1))).collect();
    let total =
        counts.iter().try_fold(1u64, |acc, c| acc.checked_mul(*c)).filter(|t| *t <= MAX_CHUNKS).ok_or_else(|| {
            H5Error::malformed(format!("dataspace {shape:?} in chunks of {chunk:?} has implausibly many chunks"))
        })?;
    Ok((0..total)
        .map(|mut linear| {
            let mut offset = vec![0; counts.len()];
            for d in (0..counts.len()).rev() {
                offset[d] = (linear % counts[d]) * chunk[d];
                linear /= counts[d];
            }
            offset
        })
        .collect())
}

async fn fixed_array(
    file: &Hdf5File,
    info: &DatasetInfo,
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
    let offsets = grid(&info.shape, chunk)?;
    let header = 4 + 1 + 1 + o;
    let mut out = Vec::new();
    let paged = page_bits > 0 && count > (1u64 << page_bits);
    if !paged {
        let block = file.read_meta(data_block, header + count * entry_size).await?;
        let mut c = file.cursor(&block);
        c.signature(b"FADB", "fixed array data block")?;
        c.seek(header as usize)?;
        for offset in offsets.into_iter().take(count as usize) {
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
    let mut offsets = offsets.into_iter();
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
        out.push(ChunkRef { offset, address, size, mask });
    }
    Ok(())
}

/// Chunks indexed by a v2 B-tree (datasets with several unlimited dimensions): records hold the address,
/// for filtered chunks the size and filter mask, and the chunk's scaled offset in each dimension.
async fn btree_v2_chunks(
    file: &Hdf5File,
    info: &DatasetInfo,
    chunk: &[u64],
    address: u64,
    chunk_bytes: u64,
) -> H5Result<Vec<ChunkRef>> {
    let o = usize::from(file.offset_size);
    let rank = chunk.len();
    let mut out = Vec::new();
    for record in super::heap::btree_v2_records(file, address).await? {
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
        if offset.iter().zip(&info.shape).any(|(o, s)| o >= s && *s > 0) {
            continue;
        }
        if let Some(address) = address {
            out.push(ChunkRef { offset, address, size, mask });
        }
    }
    Ok(out)
}

/// Chunks indexed by an extensible array (one unlimited dimension). HDF5 numbers the chunks with the unlimited
/// dimension slowest; when that is the first dimension (rows that grow) this is C order over the chunk grid.
async fn extensible_array(
    file: &Hdf5File,
    info: &DatasetInfo,
    chunk: &[u64],
    address: u64,
    chunk_bytes: u64,
) -> H5Result<Vec<ChunkRef>> {
    if info.max_shape.iter().skip(1).any(|m| *m == u64::MAX) {
        return Err(H5Error::unsupported(
            "extensible array chunk index with an unlimited dimension other than the first",
        ));
    }
    let grid_offsets = grid(&info.shape, chunk)?;
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
    let chunks = grid_offsets.len() as u64;
    let offset_of = |i: u64| grid_offsets.get(i as usize).cloned().unwrap_or_default();
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

async fn read(file: &Hdf5File, info: &DatasetInfo, rows: Option<Range<u64>>) -> H5Result<Values> {
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
    let mut out = match &info.fill {
        Some(fill) if fill.len() == element => fill.repeat(count as usize),
        _ => vec![0u8; out_bytes],
    };
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
            let chunks: Vec<ChunkRef> = chunk_list(file, info, chunk, index)
                .await?
                .into_iter()
                .filter(|c| c.offset.first().is_some_and(|o| *o < rows.end && o + chunk[0] > rows.start))
                .collect();
            let ranges: Vec<_> = chunks.iter().map(|c| c.address..c.address.saturating_add(c.size)).collect();
            let raw = file.read_raw(&ranges).await?;
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
