//! An open HDF5 file: superblock, the metadata block cache, object headers (parsed once, cached), and
//! walking paths and trees.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::cursor::Cursor;
use super::group::Link;
use super::message::{self, Message};
use super::{H5Error, H5Result};
use crate::error::{IoError, Result};
use crate::source::{ByteSource, fetch_ranges};

/// Metadata is read in aligned blocks of this size and cached. Small, because in files without paged
/// aggregation B-tree nodes sit between data chunks: a large block would fetch the chunks an AOI skips.
const BLOCK: u64 = 8 * 1024;
/// No single metadata structure is larger than this: bigger claims come from corrupt or hostile files.
pub(crate) const MAX_METADATA: u64 = 64 * 1024 * 1024;
/// Continuation blocks per object header, at most.
const MAX_CONTINUATIONS: usize = 4096;

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Group,
    Dataset,
    Other,
}

/// One entry of a tree walk.
#[derive(Clone, Debug)]
pub struct Node {
    pub path: String,
    pub kind: NodeKind,
    pub address: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectHeader {
    pub messages: Vec<Message>,
}

pub struct Hdf5File {
    pub location: Arc<str>,
    source: Arc<dyn ByteSource>,
    pub(crate) offset_size: u8,
    pub(crate) length_size: u8,
    /// All addresses are relative to this (a user block shifts it).
    base: u64,
    root: u64,
    pub superblock_version: u8,
    blocks: Mutex<HashMap<u64, Bytes>>,
    headers: Mutex<HashMap<u64, Arc<ObjectHeader>>>,
}

impl std::fmt::Debug for Hdf5File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5File").field("location", &self.location).finish_non_exhaustive()
    }
}

impl Hdf5File {
    /// Finds the superblock (at 0, 512, 1024, … for files with a user block) and reads it.
    pub async fn open(source: Arc<dyn ByteSource>) -> Result<Self> {
        let location: Arc<str> = source.location().into();
        let size = source.size();
        let mut file = Self {
            location: Arc::clone(&location),
            source,
            offset_size: 8,
            length_size: 8,
            base: 0,
            root: 0,
            superblock_version: 0,
            blocks: Mutex::default(),
            headers: Mutex::default(),
        };
        let mut position = 0u64;
        loop {
            if position + 8 > size {
                return Err(IoError::Hdf5 {
                    location: location.to_string(),
                    object: "superblock".into(),
                    message: "not an HDF5 file (no HDF5 signature found)".into(),
                });
            }
            let head = file.read_meta(position, 8).await.map_err(|e| e.at(&location, "superblock"))?;
            if head.as_ref() == b"\x89HDF\r\n\x1a\n" {
                break;
            }
            position = if position == 0 { 512 } else { position * 2 };
        }
        file.read_superblock(position).await.map_err(|e| e.at(&location, "superblock"))?;
        Ok(file)
    }

    async fn read_superblock(&mut self, position: u64) -> H5Result<()> {
        let bytes = self.read_meta(position, 256.min(self.source.size() - position)).await?;
        let mut c = Cursor::new(&bytes, 8, 8);
        c.skip(8)?;
        let version = c.u8()?;
        self.superblock_version = version;
        match version {
            0 | 1 => {
                c.skip(3)?; // free-space, root symbol table and reserved versions
                c.skip(1)?; // shared header message format version
                let (offsets, lengths) = (c.u8()?, c.u8()?);
                check_sizes(offsets, lengths)?;
                c.skip(1 + 2 + 2 + 4)?;
                if version == 1 {
                    c.skip(4)?;
                }
                let mut c = Cursor::new(&bytes, offsets, lengths);
                c.seek(if version == 1 { 28 } else { 24 })?;
                let base = c.offset()?.unwrap_or(0);
                c.offset()?; // free-space info
                c.offset()?; // end of file
                c.offset()?; // driver info
                c.offset()?; // root link name offset
                let root = c.offset()?.ok_or_else(|| H5Error::malformed("root group has no object header"))?;
                (self.offset_size, self.length_size, self.base, self.root) = (offsets, lengths, base, root);
            }
            2 | 3 => {
                let (offsets, lengths) = (c.u8()?, c.u8()?);
                check_sizes(offsets, lengths)?;
                c.skip(1)?; // flags
                let mut c = Cursor::new(&bytes, offsets, lengths);
                c.seek(12)?;
                let base = c.offset()?.unwrap_or(0);
                c.offset()?; // superblock extension
                c.offset()?; // end of file
                let root = c.offset()?.ok_or_else(|| H5Error::malformed("root group has no object header"))?;
                (self.offset_size, self.length_size, self.base, self.root) = (offsets, lengths, base, root);
            }
            other => return Err(H5Error::unsupported(format!("superblock version {other}"))),
        }
        Ok(())
    }

    pub(crate) fn cursor<'a>(&self, bytes: &'a [u8]) -> Cursor<'a> {
        Cursor::new(bytes, self.offset_size, self.length_size)
    }

    pub fn byte_source(&self) -> &Arc<dyn ByteSource> {
        &self.source
    }

    /// Reads `len` bytes of metadata at relative address `address`, through the block cache.
    pub(crate) async fn read_meta(&self, address: u64, len: u64) -> H5Result<Bytes> {
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

    /// Reads raw data ranges (chunks), coalesced, bypassing the metadata cache.
    pub(crate) async fn read_raw(&self, ranges: &[std::ops::Range<u64>]) -> H5Result<Vec<Bytes>> {
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
        Ok(fetch_ranges(self.source.as_ref(), &shifted).await?)
    }

    /// The object header at `address`, parsed once.
    pub(crate) async fn object_header(&self, address: u64) -> H5Result<Arc<ObjectHeader>> {
        if let Some(header) = self.headers.lock().ok().and_then(|h| h.get(&address).cloned()) {
            return Ok(header);
        }
        let header = Arc::new(self.parse_object_header(address).await?);
        if let Ok(mut headers) = self.headers.lock() {
            headers.insert(address, Arc::clone(&header));
        }
        Ok(header)
    }

    async fn parse_object_header(&self, address: u64) -> H5Result<ObjectHeader> {
        let prefix = self.read_meta(address, 16.min(self.source.size().saturating_sub(self.base + address))).await?;
        let mut messages = Vec::new();
        let mut pending: Vec<(u64, u64)> = Vec::new();
        let version_two = prefix.get(..4) == Some(b"OHDR");
        if version_two {
            let mut c = self.cursor(&prefix);
            c.skip(4)?;
            let version = c.u8()?;
            if version != 2 {
                return Err(H5Error::unsupported(format!("object header version {version}")));
            }
            let flags = c.u8()?;
            let mut header_len = 6 + if flags & 0x20 != 0 { 16 } else { 0 } + if flags & 0x10 != 0 { 4 } else { 0 };
            let size_bytes = 1usize << (flags & 3);
            let head = self.read_meta(address, (header_len + size_bytes) as u64).await?;
            let mut c = self.cursor(&head);
            c.seek(header_len)?;
            let chunk_size = c.uint(size_bytes)?;
            header_len += size_bytes;
            let total = chunk_size
                .checked_add(header_len as u64 + 4)
                .ok_or_else(|| H5Error::malformed("object header size overflow"))?;
            let block = self.read_meta(address, total).await?;
            verify_checksum(&block)?;
            let body = block.slice(header_len..header_len + chunk_size as usize);
            message::parse_v2_messages(&body, flags, self, &mut messages, &mut pending)?;
            let mut seen = HashSet::new();
            while let Some((at, len)) = pending.pop() {
                if !seen.insert(at) || seen.len() > MAX_CONTINUATIONS {
                    return Err(H5Error::malformed("object header continuations form a cycle"));
                }
                let block = self.read_meta(at, len).await?;
                if block.get(..4) != Some(b"OCHK") || block.len() < 8 {
                    return Err(H5Error::malformed("continuation block without OCHK signature"));
                }
                verify_checksum(&block)?;
                let body = block.slice(4..block.len() - 4);
                message::parse_v2_messages(&body, flags, self, &mut messages, &mut pending)?;
            }
        } else {
            let mut c = self.cursor(&prefix);
            let version = c.u8()?;
            if version != 1 {
                return Err(H5Error::malformed(format!(
                    "unknown object header version {version} at address {address}"
                )));
            }
            c.skip(1)?;
            let _count = c.u16()?;
            c.skip(4)?;
            let size = u64::from(c.u32()?);
            let body = self
                .read_meta(address.checked_add(16).ok_or_else(|| H5Error::malformed("address overflow"))?, size)
                .await?;
            message::parse_v1_messages(&body, self, &mut messages, &mut pending)?;
            let mut seen = HashSet::new();
            while let Some((at, len)) = pending.pop() {
                if !seen.insert(at) || seen.len() > MAX_CONTINUATIONS {
                    return Err(H5Error::malformed("object header continuations form a cycle"));
                }
                let body = self.read_meta(at, len).await?;
                message::parse_v1_messages(&body, self, &mut messages, &mut pending)?;
            }
        }
        Ok(ObjectHeader { messages })
    }

    /// Resolves `/a/b/c` to an object header address.
    pub async fn resolve(&self, path: &str) -> Result<u64> {
        let mut address = self.root;
        let mut walked = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let links = self.links_of(address, if walked.is_empty() { "/" } else { &walked }).await?;
            walked.push('/');
            walked.push_str(part);
            let link = links
                .into_iter()
                .find(|l| l.name == part)
                .ok_or_else(|| IoError::NotFound { location: self.location.to_string(), object: walked.clone() })?;
            address = link
                .address
                .ok_or_else(|| H5Error::unsupported("soft or external link").at(&self.location, &walked))?;
        }
        Ok(address)
    }

    pub(crate) async fn links_of(&self, address: u64, path: &str) -> Result<Vec<Link>> {
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        super::group::links(self, &header).await.map_err(|e| e.at(&self.location, path))
    }

    pub(crate) fn kind_of(header: &ObjectHeader) -> NodeKind {
        let has = |kind| header.messages.iter().any(|m| m.kind == kind);
        if has(message::LAYOUT) {
            NodeKind::Dataset
        } else if has(message::SYMBOL_TABLE)
            || has(message::LINK_INFO)
            || has(message::LINK)
            || header.messages.is_empty()
        {
            NodeKind::Group
        } else {
            NodeKind::Other
        }
    }

    /// Every group and dataset, depth first, each object once (hard-link cycles are cut).
    pub async fn walk(&self) -> Result<Vec<Node>> {
        let mut out = vec![Node { path: "/".into(), kind: NodeKind::Group, address: self.root }];
        let mut seen = HashSet::from([self.root]);
        let mut stack = vec![(self.root, String::new())];
        while let Some((address, path)) = stack.pop() {
            let mut links = self.links_of(address, if path.is_empty() { "/" } else { &path }).await?;
            links.sort_by(|a, b| b.name.cmp(&a.name));
            for link in links {
                let child = format!("{path}/{}", link.name);
                let Some(target) = link.address else {
                    out.push(Node { path: child, kind: NodeKind::Other, address: 0 });
                    continue;
                };
                let header = self.object_header(target).await.map_err(|e| e.at(&self.location, &child))?;
                let kind = Self::kind_of(&header);
                out.push(Node { path: child.clone(), kind: kind.clone(), address: target });
                if kind == NodeKind::Group && seen.insert(target) {
                    stack.push((target, child));
                }
            }
        }
        Ok(out)
    }

    /// Attributes of the object at `path`.
    pub async fn attributes(&self, path: &str) -> Result<Vec<(String, message::AttributeValue)>> {
        let address = self.resolve(path).await?;
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        message::attributes(self, &header).await.map_err(|e| e.at(&self.location, path))
    }
}

fn check_sizes(offsets: u8, lengths: u8) -> H5Result<()> {
    for (what, size) in [("offsets", offsets), ("lengths", lengths)] {
        if ![2, 4, 8].contains(&size) {
            return Err(H5Error::malformed(format!("size of {what} is {size} bytes")));
        }
    }
    Ok(())
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
