//! B-trees: version 1 (symbol-table groups, chunk indexes of old files) and version 2 (dense links and attributes,
//! chunk indexes of new files). Both are walked with a depth budget and a visited set: a corrupt tree ends in an
//! error, never a loop.

use std::collections::HashSet;

use bytes::Bytes;

use super::reader::{Reader, verify_checksum};
use super::{H5Error, H5Result};

/// B-trees deeper than this are corrupt (or a cycle).
const MAX_BTREE_DEPTH: u32 = 64;

/// Walks a v1 B-tree (node type 0: groups, 1: chunks) and returns, for each leaf child, the key that
/// precedes it and the child's address. Cycles and absurd depths end in an error.
pub(crate) async fn btree_v1(file: &Reader, root: u64, dims: usize) -> H5Result<Vec<(Bytes, u64)>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![(root, MAX_BTREE_DEPTH)];
    while let Some((address, budget)) = stack.pop() {
        if !seen.insert(address) || budget == 0 {
            return Err(H5Error::malformed("B-tree nodes form a cycle or are implausibly deep"));
        }
        let offset = usize::from(file.offset_size);
        let head_len = 8 + 2 * offset;
        let head = file.read_meta(address, head_len as u64).await?;
        let mut c = file.cursor(&head);
        c.signature(b"TREE", "v1 B-tree node")?;
        let node_type = c.u8()?;
        let level = c.u8()?;
        let entries = usize::from(c.u16()?);
        let key_size = match node_type {
            0 => usize::from(file.length_size),
            1 => 8 + 8 * (dims + 1),
            other => return Err(H5Error::malformed(format!("v1 B-tree node type {other}"))),
        };
        let body_len = (entries * (key_size + offset) + key_size) as u64;
        let body_at = address.checked_add(head_len as u64).ok_or_else(|| H5Error::malformed("address overflow"))?;
        let body = file.read_meta(body_at, body_len).await?;
        let mut c = file.cursor(&body);
        let mut children = Vec::with_capacity(entries);
        for _ in 0..entries {
            let key_start = c.pos();
            c.skip(key_size)?;
            let child = c.offset()?.ok_or_else(|| H5Error::malformed("B-tree child at an undefined address"))?;
            children.push((body.slice(key_start..key_start + key_size), child));
        }
        if level == 0 {
            out.extend(children);
        } else {
            stack.extend(children.into_iter().rev().map(|(_, child)| (child, budget - 1)));
        }
    }
    Ok(out)
}

pub(crate) struct Record {
    pub kind: u8,
    pub data: Bytes,
}

/// All records of a v2 B-tree, in order.
pub(crate) async fn btree_v2_records(file: &Reader, address: u64) -> H5Result<Vec<Record>> {
    let o = u64::from(file.offset_size);
    let l = u64::from(file.length_size);
    let head = file.read_meta(address, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + o + 2 + l + 4).await?;
    verify_checksum(&head)?;
    let mut c = file.cursor(&head);
    c.signature(b"BTHD", "v2 B-tree header")?;
    c.skip(1)?;
    let kind = c.u8()?;
    let node_size = u64::from(c.u32()?);
    let record_size = usize::from(c.u16()?);
    let depth = c.u16()?;
    c.skip(2)?;
    let root = c.offset()?;
    let root_records = u64::from(c.u16()?);
    let Some(root) = root else { return Ok(Vec::new()) };
    if record_size == 0 || !(16..=1 << 20).contains(&node_size) || depth > 16 {
        return Err(H5Error::malformed("v2 B-tree with an invalid node size"));
    }
    // Bytes needed for "number of records" fields: enough for the most records a node can hold.
    let leaf_max = (node_size - 10) / record_size as u64;
    let bytes_for = |n: u64| ((64 - n.leading_zeros()) as u64).div_ceil(8).max(1) as usize;
    let mut max_records = vec![leaf_max];
    let mut total_max = vec![leaf_max];
    for level in 1..=u64::from(depth) {
        let pointer = o as usize
            + bytes_for(max_records[level as usize - 1])
            + if level > 1 { bytes_for(total_max[level as usize - 1]) } else { 0 };
        let fit = (node_size - 10).saturating_sub(pointer as u64) / (record_size + pointer) as u64;
        max_records.push(fit);
        total_max.push((fit + 1).saturating_mul(total_max[level as usize - 1]).saturating_add(fit));
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    collect(
        file,
        root,
        root_records,
        depth,
        kind,
        record_size,
        node_size,
        &max_records,
        &total_max,
        &mut seen,
        &mut out,
    )
    .await?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn collect<'a>(
    file: &'a Reader,
    address: u64,
    records: u64,
    depth: u16,
    kind: u8,
    record_size: usize,
    node_size: u64,
    max_records: &'a [u64],
    total_max: &'a [u64],
    seen: &'a mut HashSet<u64>,
    out: &'a mut Vec<Record>,
) -> futures::future::BoxFuture<'a, H5Result<()>> {
    Box::pin(async move {
        if !seen.insert(address) {
            return Err(H5Error::malformed("v2 B-tree nodes form a cycle"));
        }
        let node = file.read_meta(address, node_size).await?;
        let mut c = file.cursor(&node);
        c.signature(if depth == 0 { b"BTLF" } else { b"BTIN" }, "v2 B-tree node")?;
        c.skip(2)?;
        let mut own = Vec::new();
        for _ in 0..records {
            own.push(Bytes::copy_from_slice(c.take(record_size)?));
        }
        if depth == 0 {
            out.extend(own.into_iter().map(|data| Record { kind, data }));
            return Ok(());
        }
        let bytes_for = |n: u64| ((64 - n.leading_zeros()) as u64).div_ceil(8).max(1) as usize;
        let child_depth = depth - 1;
        let mut children = Vec::new();
        for _ in 0..=records {
            let child = c.offset()?.ok_or_else(|| H5Error::malformed("v2 B-tree child at an undefined address"))?;
            let count = c.uint(bytes_for(max_records[usize::from(child_depth)]))?;
            if child_depth > 0 {
                c.uint(bytes_for(total_max[usize::from(child_depth)]))?;
            }
            children.push((child, count));
        }
        for (index, (child, count)) in children.into_iter().enumerate() {
            collect(file, child, count, child_depth, kind, record_size, node_size, max_records, total_max, seen, out)
                .await?;
            if let Some(record) = own.get(index) {
                out.push(Record { kind, data: record.clone() });
            }
        }
        Ok(())
    })
}
