//! Group members: symbol-table groups (v1 B-tree + local heap), compact link messages, dense links.

use bytes::Bytes;

use super::file::{Hdf5File, ObjectHeader};
use super::message::{LINK, LINK_INFO, SYMBOL_TABLE};
use super::{H5Error, H5Result};

/// A named member of a group. `address` is `None` for soft and external links.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub name: String,
    pub address: Option<u64>,
}

pub(crate) async fn links(file: &Hdf5File, header: &ObjectHeader) -> H5Result<Vec<Link>> {
    let mut out = Vec::new();
    if let Some(table) = header.find(SYMBOL_TABLE) {
        let mut c = file.cursor(&table.data);
        let btree = c.offset()?.ok_or_else(|| H5Error::malformed("symbol table without a B-tree"))?;
        let heap = c.offset()?.ok_or_else(|| H5Error::malformed("symbol table without a local heap"))?;
        let heap_data = local_heap(file, heap).await?;
        for (_, node) in super::btree::btree_v1(file, btree, 0).await? {
            symbol_node(file, node, &heap_data, &mut out).await?;
        }
    }
    for message in header.messages.iter().filter(|m| m.kind == LINK) {
        out.push(link_message(file, &message.data)?);
    }
    if let Some(info) = header.find(LINK_INFO) {
        let mut c = file.cursor(&info.data);
        c.u8()?;
        let flags = c.u8()?;
        if flags & 1 != 0 {
            c.skip(8)?;
        }
        if let Some(heap) = c.offset()? {
            let btree = c.offset()?;
            for object in super::heap::dense_objects(file, heap, btree).await? {
                out.push(link_message(file, &object)?);
            }
        }
    }
    Ok(out)
}

/// A link message (compact groups, and each object of a dense group's heap).
fn link_message(file: &Hdf5File, data: &[u8]) -> H5Result<Link> {
    let mut c = file.cursor(data);
    let version = c.u8()?;
    if version != 1 {
        return Err(H5Error::unsupported(format!("link message version {version}")));
    }
    let flags = c.u8()?;
    let link_type = if flags & 0x08 != 0 { c.u8()? } else { 0 };
    if flags & 0x04 != 0 {
        c.skip(8)?;
    }
    if flags & 0x10 != 0 {
        c.skip(1)?;
    }
    let name_length = c.uint(1 << (flags & 3))? as usize;
    let name = String::from_utf8_lossy(c.take(name_length)?).into_owned();
    let address = if link_type == 0 { c.offset()? } else { None };
    Ok(Link { name, address })
}

/// The data segment of a local heap (symbol-table group names).
pub(crate) async fn local_heap(file: &Hdf5File, address: u64) -> H5Result<Bytes> {
    let head = file.read_meta(address, 8 + 3 * u64::from(file.length_size.max(file.offset_size))).await?;
    let mut c = file.cursor(&head);
    c.signature(b"HEAP", "local heap")?;
    c.skip(4)?;
    let size = c.length()?;
    c.length()?;
    let data = c.offset()?.ok_or_else(|| H5Error::malformed("local heap without data"))?;
    file.read_meta(data, size).await
}

async fn symbol_node(file: &Hdf5File, address: u64, heap: &Bytes, out: &mut Vec<Link>) -> H5Result<()> {
    let entry_size = 2 * usize::from(file.offset_size) + 24;
    let head = file.read_meta(address, 8).await?;
    let mut c = file.cursor(&head);
    c.signature(b"SNOD", "symbol table node")?;
    c.skip(2)?;
    let count = usize::from(c.u16()?);
    let body_at = address.checked_add(8).ok_or_else(|| H5Error::malformed("address overflow"))?;
    let body = file.read_meta(body_at, (count * entry_size) as u64).await?;
    let mut c = file.cursor(&body);
    for _ in 0..count {
        let name_offset = c.length_or_offset()?;
        let object = c.offset()?;
        c.skip(24)?;
        let name = heap
            .get(name_offset as usize..)
            .and_then(|s| s.split(|b| *b == 0).next())
            .ok_or_else(|| H5Error::malformed(format!("link name offset {name_offset} outside the local heap")))?;
        out.push(Link { name: String::from_utf8_lossy(name).into_owned(), address: object });
    }
    Ok(())
}
