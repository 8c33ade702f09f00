//! Object headers (versions 1 and 2, with continuation blocks): splitting a header into its messages. What
//! each message means is decoded above this layer (`message`, `layout`, `group`).

use std::collections::HashSet;

use bytes::Bytes;

use super::reader::{Reader, verify_checksum};
use super::{H5Error, H5Result};

pub const DATASPACE: u16 = 0x0001;
pub const LINK_INFO: u16 = 0x0002;
pub const DATATYPE: u16 = 0x0003;
pub const FILL_VALUE_OLD: u16 = 0x0004;
pub const FILL_VALUE: u16 = 0x0005;
pub const LINK: u16 = 0x0006;
pub const LAYOUT: u16 = 0x0008;
pub const FILTER_PIPELINE: u16 = 0x000B;
pub const ATTRIBUTE: u16 = 0x000C;
pub const CONTINUATION: u16 = 0x0010;
pub const SYMBOL_TABLE: u16 = 0x0011;
pub const ATTRIBUTE_INFO: u16 = 0x0015;

/// Continuation blocks per object header, at most.
const MAX_CONTINUATIONS: usize = 4096;

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Group,
    Dataset,
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub kind: u16,
    pub flags: u8,
    pub data: Bytes,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectHeader {
    pub messages: Vec<Message>,
}

impl ObjectHeader {
    pub fn find(&self, kind: u16) -> Option<&Message> {
        self.messages.iter().find(|m| m.kind == kind)
    }

    /// A dataset has a layout; a group has a symbol table or links (or nothing at all).
    pub fn kind(&self) -> NodeKind {
        let has = |kind| self.messages.iter().any(|m| m.kind == kind);
        if has(LAYOUT) {
            NodeKind::Dataset
        } else if has(SYMBOL_TABLE) || has(LINK_INFO) || has(LINK) || self.messages.is_empty() {
            NodeKind::Group
        } else {
            NodeKind::Other
        }
    }

    /// Reads and splits the object header at `address`, following its continuation blocks.
    pub async fn read(file: &Reader, address: u64) -> H5Result<Self> {
        let prefix = file.read_meta(address, file.clamp_to_file(address, 16)).await?;
        let mut messages = Vec::new();
        let mut pending: Vec<(u64, u64)> = Vec::new();
        if prefix.get(..4) == Some(b"OHDR") {
            let mut c = file.cursor(&prefix);
            c.skip(4)?;
            let version = c.u8()?;
            if version != 2 {
                return Err(H5Error::unsupported(format!("object header version {version}")));
            }
            let flags = c.u8()?;
            let mut header_len = 6 + if flags & 0x20 != 0 { 16 } else { 0 } + if flags & 0x10 != 0 { 4 } else { 0 };
            let size_bytes = 1usize << (flags & 3);
            let head = file.read_meta(address, (header_len + size_bytes) as u64).await?;
            let mut c = file.cursor(&head);
            c.seek(header_len)?;
            let chunk_size = c.uint(size_bytes)?;
            header_len += size_bytes;
            let total = chunk_size
                .checked_add(header_len as u64 + 4)
                .ok_or_else(|| H5Error::malformed("object header size overflow"))?;
            let block = file.read_meta(address, total).await?;
            verify_checksum(&block)?;
            let body = block.slice(header_len..header_len + chunk_size as usize);
            split_v2(&body, flags, file, &mut messages, &mut pending)?;
            let mut seen = HashSet::new();
            while let Some((at, len)) = pending.pop() {
                if !seen.insert(at) || seen.len() > MAX_CONTINUATIONS {
                    return Err(H5Error::malformed("object header continuations form a cycle"));
                }
                let block = file.read_meta(at, len).await?;
                if block.get(..4) != Some(b"OCHK") || block.len() < 8 {
                    return Err(H5Error::malformed("continuation block without OCHK signature"));
                }
                verify_checksum(&block)?;
                let body = block.slice(4..block.len() - 4);
                split_v2(&body, flags, file, &mut messages, &mut pending)?;
            }
        } else {
            let mut c = file.cursor(&prefix);
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
            let body = file
                .read_meta(address.checked_add(16).ok_or_else(|| H5Error::malformed("address overflow"))?, size)
                .await?;
            split_v1(&body, file, &mut messages, &mut pending)?;
            let mut seen = HashSet::new();
            while let Some((at, len)) = pending.pop() {
                if !seen.insert(at) || seen.len() > MAX_CONTINUATIONS {
                    return Err(H5Error::malformed("object header continuations form a cycle"));
                }
                let body = file.read_meta(at, len).await?;
                split_v1(&body, file, &mut messages, &mut pending)?;
            }
        }
        Ok(ObjectHeader { messages })
    }
}

fn split_v1(
    body: &Bytes,
    file: &Reader,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    let mut c = file.cursor(body);
    while c.remaining() >= 8 {
        let kind = c.u16()?;
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        c.skip(3)?;
        let start = c.pos();
        c.skip(size)?;
        push(body.slice(start..start + size), kind, flags, file, messages, continuations)?;
    }
    Ok(())
}

fn split_v2(
    body: &Bytes,
    header_flags: u8,
    file: &Reader,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    let mut c = file.cursor(body);
    let prefix = if header_flags & 0x04 != 0 { 6 } else { 4 };
    while c.remaining() >= prefix {
        let kind = u16::from(c.u8()?);
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        if header_flags & 0x04 != 0 {
            c.skip(2)?;
        }
        let start = c.pos();
        c.skip(size)?;
        push(body.slice(start..start + size), kind, flags, file, messages, continuations)?;
    }
    Ok(())
}

fn push(
    data: Bytes,
    kind: u16,
    flags: u8,
    file: &Reader,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    if kind == CONTINUATION {
        let mut c = file.cursor(&data);
        let at = c.offset()?.ok_or_else(|| H5Error::malformed("continuation to an undefined address"))?;
        continuations.push((at, c.length()?));
    } else if kind != 0 {
        messages.push(Message { kind, flags, data });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::lookup3;
    use crate::hdf5::reader::tests::reader_over;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    /// A v1 header at 0 with a dataspace message and a continuation to a block holding a layout message.
    #[test]
    fn version_1_header_follows_its_continuation() {
        let mut bytes = vec![1, 0, 2, 0, 1, 0, 0, 0];
        bytes.extend(40u32.to_le_bytes()); // header body size
        bytes.extend([0; 4]);
        // dataspace message, 8 bytes
        bytes.extend([1, 0, 8, 0, 0, 0, 0, 0]);
        bytes.extend([1, 1, 0, 0, 0, 0, 0, 0]);
        // continuation to 64, 16 bytes
        bytes.extend([0x10, 0, 16, 0, 0, 0, 0, 0]);
        bytes.extend(64u64.to_le_bytes());
        bytes.extend(16u64.to_le_bytes());
        bytes.resize(64, 0);
        bytes.extend([8, 0, 8, 0, 0, 0, 0, 0]);
        bytes.extend([3, 1, 0, 0, 0, 0, 0, 0]);
        let header = block_on(ObjectHeader::read(&reader_over(bytes), 0)).unwrap();
        let kinds: Vec<u16> = header.messages.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, vec![DATASPACE, LAYOUT]);
        assert_eq!(header.kind(), NodeKind::Dataset);
        assert_eq!(header.find(DATASPACE).unwrap().data.as_ref(), &[1, 1, 0, 0, 0, 0, 0, 0]);
    }

    /// A v2 header ("OHDR") with one link-info message and a valid checksum; flipping a byte breaks it.
    #[test]
    fn version_2_header_is_checksummed() {
        let mut bytes = b"OHDR".to_vec();
        bytes.extend([2, 0]); // version, flags: 1-byte chunk size
        bytes.push(6); // chunk 0 size
        bytes.extend([2, 2, 0, 0, 0, 0]); // link info message: kind 2, 2 bytes, flags 0, data [0, 0]
        bytes.extend(lookup3(&bytes).to_le_bytes());
        let header = block_on(ObjectHeader::read(&reader_over(bytes.clone()), 0)).unwrap();
        assert_eq!(header.kind(), NodeKind::Group);
        assert_eq!(header.messages.len(), 1);
        bytes[9] ^= 1;
        let error = block_on(ObjectHeader::read(&reader_over(bytes), 0)).unwrap_err().to_string();
        assert!(error.starts_with("metadata checksum mismatch"), "{error}");
    }

    #[test]
    fn continuation_cycles_end_in_an_error() {
        let mut bytes = vec![1, 0, 1, 0, 1, 0, 0, 0];
        bytes.extend(24u32.to_le_bytes());
        bytes.extend([0; 4]);
        bytes.extend([0x10, 0, 16, 0, 0, 0, 0, 0]);
        bytes.extend(16u64.to_le_bytes()); // points back at its own message list
        bytes.extend(24u64.to_le_bytes());
        let error = block_on(ObjectHeader::read(&reader_over(bytes), 0)).unwrap_err().to_string();
        assert_eq!(error, "object header continuations form a cycle");
    }
}
