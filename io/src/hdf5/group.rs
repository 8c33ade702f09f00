//! Group members: symbol-table groups (v1 B-tree + local heap), compact link messages, dense links.

use bytes::Bytes;

use super::object_header::ObjectHeader;
use super::object_header::{LINK, LINK_INFO, SYMBOL_TABLE};
use super::reader::Reader;
use super::{H5Error, H5Result};

/// A named member of a group. `address` is `None` for soft and external links.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub name: String,
    pub address: Option<u64>,
}

pub(crate) async fn links(file: &Reader, header: &ObjectHeader) -> H5Result<Vec<Link>> {
    let mut out = Vec::new();
    if let Some(table) = header.find(SYMBOL_TABLE) {
        let mut c = file.cursor(&table.data);
        let btree = c.offset()?.ok_or_else(|| H5Error::malformed("symbol table without a B-tree"))?;
        let heap = c.offset()?.ok_or_else(|| H5Error::malformed("symbol table without a local heap"))?;
        let heap_data = super::heap::local_heap(file, heap).await?;
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
fn link_message(file: &Reader, data: &[u8]) -> H5Result<Link> {
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

async fn symbol_node(file: &Reader, address: u64, heap: &Bytes, out: &mut Vec<Link>) -> H5Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::object_header::Message;
    use crate::hdf5::reader::tests::reader_over;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    fn header(kind: u16, data: Vec<u8>) -> ObjectHeader {
        ObjectHeader { messages: vec![Message { kind, flags: 0, data: data.into() }] }
    }

    /// A symbol-table group as libhdf5 1.8 writes it: a v1 B-tree (at 0) with one symbol table node (at 48)
    /// of two entries whose names are in a local heap (at 136, data at 168).
    #[test]
    fn symbol_table_group_lists_its_members() {
        let u64s = |values: &[u64]| values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
        let mut bytes = b"TREE".to_vec();
        bytes.extend([0, 0, 1, 0]); // groups, leaf, one entry
        bytes.extend(u64s(&[u64::MAX, u64::MAX])); // siblings
        bytes.extend(u64s(&[0, 48, 7])); // key, child, key
        bytes.extend(b"SNOD");
        bytes.extend([1, 0, 2, 0]);
        for (name_offset, object) in [(1u64, 1000u64), (7, 2000)] {
            bytes.extend(u64s(&[name_offset, object]));
            bytes.extend([0; 24]);
        }
        bytes.extend(b"HEAP");
        bytes.extend([0; 4]);
        bytes.extend(u64s(&[16, u64::MAX, 168]));
        bytes.extend(b"\0first\0second\0\0\0");
        assert_eq!(bytes.len(), 184);
        let mut table = u64s(&[0, 136]);
        table.truncate(16);
        let links = block_on(links(&reader_over(bytes), &header(SYMBOL_TABLE, table))).unwrap();
        let found: Vec<(&str, Option<u64>)> = links.iter().map(|l| (l.name.as_str(), l.address)).collect();
        assert_eq!(found, vec![("first", Some(1000)), ("second", Some(2000))]);
    }

    #[test]
    fn link_messages_hard_and_soft() {
        let file = reader_over(Vec::new());
        let mut hard = vec![1, 0, 5];
        hard.extend(b"hello");
        hard.extend(4242u64.to_le_bytes());
        let mut soft = vec![1, 0x08, 1, 4];
        soft.extend(b"soft");
        soft.extend([6, 0]);
        soft.extend(b"/other");
        let link = link_message(&file, &hard).unwrap();
        assert_eq!((link.name.as_str(), link.address), ("hello", Some(4242)));
        let link = link_message(&file, &soft).unwrap();
        assert_eq!((link.name.as_str(), link.address), ("soft", None));
        assert_eq!(link_message(&file, &[2, 0]).unwrap_err().to_string(), "unsupported: link message version 2");
    }
}
