//! A bounded walk over a Parquet footer (Thrift compact protocol) before the parquet crate decodes it.
//!
//! The parquet crate trusts the element counts a footer claims: a list of booleans takes no bytes per element in
//! its skipping code, so a 10 KB footer of nested lists claiming 2^31 elements each spins for hours (found by
//! fuzzing), and a claimed count sizes allocations. Here every element must take at least one byte of what is
//! left, nesting is bounded, and the walk is linear in the footer's length; a footer that passes cannot make the
//! decoder do more than a few steps per byte.

/// Thrift structs nest a handful of levels in a Parquet footer (schema, column chunks, statistics, …).
const MAX_DEPTH: usize = 64;

struct Walk<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Walk<'_> {
    fn left(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self.bytes.get(self.pos).ok_or("the footer ends inside a value")?;
        self.pos += 1;
        Ok(byte)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.left() as u64 {
            return Err(format!("a value of {n} bytes where {} are left", self.left()));
        }
        self.pos += n as usize;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a varint longer than 10 bytes".into())
    }

    /// A count of elements, each of which takes at least one byte of what is left.
    fn count(&mut self, count: u64) -> Result<u64, String> {
        if count > self.left() as u64 {
            return Err(format!("a list claims {count} elements where {} bytes are left", self.left()));
        }
        Ok(count)
    }

    fn value(&mut self, kind: u8, depth: usize, in_list: bool) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nest more than {MAX_DEPTH} levels deep"));
        }
        match kind {
            // A boolean field carries its value in its type; a boolean list element is a byte.
            1 | 2 if !in_list => Ok(()),
            1..=3 => self.skip(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let len = self.varint()?;
                self.skip(len)
            }
            9 | 10 => {
                let header = self.byte()?;
                let (short, element) = (u64::from(header >> 4), header & 0x0f);
                let count = if short == 15 { self.varint()? } else { short };
                for _ in 0..self.count(count)? {
                    self.value(element, depth + 1, true)?;
                }
                Ok(())
            }
            11 => {
                let count = self.varint()?;
                if count > 0 {
                    let types = self.byte()?;
                    for _ in 0..self.count(count)? {
                        self.value(types >> 4, depth + 1, true)?;
                        self.value(types & 0x0f, depth + 1, true)?;
                    }
                }
                Ok(())
            }
            12 => self.fields(depth + 1),
            13 => self.skip(16),
            other => Err(format!("unknown Thrift type {other}")),
        }
    }

    fn fields(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nest more than {MAX_DEPTH} levels deep"));
        }
        self.each_field(|walk, _, kind| walk.value(kind, depth, false))
    }

    /// Calls `field(walk, id, type)` for each field of a struct, which must consume the field's value.
    fn each_field(&mut self, mut field: impl FnMut(&mut Self, i64, u8) -> Result<(), String>) -> Result<(), String> {
        let mut id = 0i64;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(());
            }
            id = match header >> 4 {
                0 => zigzag(self.varint()?), // a field id given in full
                delta => id + i64::from(delta),
            };
            field(self, id, header & 0x0f)?;
        }
    }

    /// An i32 field's value.
    fn int(&mut self) -> Result<i64, String> {
        Ok(zigzag(self.varint()?))
    }

    /// A `PageHeader`'s sizes; every other field is skipped with the bounded walk.
    fn page_header(&mut self) -> Result<PageHeader, String> {
        let mut header = PageHeader { uncompressed: None, compressed: None, levels: 0, body_compressed: true };
        self.each_field(|walk, id, kind| {
            match (id, kind) {
                (2, 5) => header.uncompressed = Some(walk.int()?),
                (3, 5) => header.compressed = Some(walk.int()?),
                // DataPageHeaderV2: its levels (fields 5 and 6) come first, never compressed; field 7 says whether the
                // values after them are.
                (8, 12) => walk.each_field(|walk, id, kind| {
                    match (id, kind) {
                        (5 | 6, 5) => header.levels = header.levels.saturating_add(walk.int()?),
                        (7, 1 | 2) => header.body_compressed = kind == 1,
                        _ => walk.value(kind, 2, false)?,
                    }
                    Ok(())
                })?,
                _ => walk.value(kind, 1, false)?,
            }
            Ok(())
        })?;
        Ok(header)
    }
}

/// The sizes a page header claims.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageHeader {
    pub uncompressed: Option<i64>,
    pub compressed: Option<i64>,
    /// Bytes of repetition and definition levels at the start of a v2 data page, stored uncompressed.
    pub levels: i64,
    pub body_compressed: bool,
}

/// A page of a column chunk: its header's claims and where its bytes are in the chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub at: usize,
    pub header: PageHeader,
    pub body: std::ops::Range<usize>,
}

fn zigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

/// Checks that `footer` (the Thrift-encoded FileMetaData) is one struct whose claims its bytes can hold.
pub fn check_footer(footer: &[u8]) -> Result<(), String> {
    Walk { bytes: footer, pos: 0 }.fields(0).map_err(|e| format!("malformed footer: {e}"))
}

/// Walks the pages of a whole column chunk: each page header (Thrift, the same bounded walk) is followed by its
/// `compressed_page_size` bytes, and the pages end where the chunk does. Page headers are decoded by the parquet
/// crate with the same unbounded skipping as footers.
pub fn pages(chunk: &[u8]) -> Result<Vec<Page>, String> {
    let mut walk = Walk { bytes: chunk, pos: 0 };
    let mut pages = Vec::new();
    while walk.left() > 0 {
        let at = walk.pos;
        let header =
            walk.page_header().map_err(|e| format!("malformed page header at byte {at} of its column chunk: {e}"))?;
        let size = header
            .compressed
            .ok_or_else(|| format!("page header at byte {at} of its column chunk without a compressed size"))?;
        let size = u64::try_from(size).map_err(|_| format!("page at byte {at} claims {size} bytes"))?;
        let start = walk.pos;
        walk.skip(size)
            .map_err(|_| format!("page at byte {at} claims {size} bytes, past the end of its column chunk"))?;
        pages.push(Page { at, header, body: start..walk.pos });
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_the_bytes_cannot_hold_are_refused() {
        // Field 1, a list of 2^31 booleans in six bytes: what made the parquet crate spin.
        let list_of_bools = [0x19, 0xf1, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00];
        assert_eq!(
            check_footer(&list_of_bools).unwrap_err(),
            "malformed footer: a list claims 2147483648 elements where 1 bytes are left"
        );
        // Field 1 an i32 (5), field 2 a string "ab", a list of two i32, stop.
        assert_eq!(check_footer(&[0x15, 0x0a, 0x18, 0x02, b'a', b'b', 0x19, 0x25, 0x02, 0x04, 0x00]), Ok(()));
        let deep: Vec<u8> = std::iter::repeat_n(0x1c, 100).collect();
        assert_eq!(check_footer(&deep).unwrap_err(), "malformed footer: values nest more than 64 levels deep");
        assert_eq!(check_footer(&[0x18, 0x7f]).unwrap_err(), "malformed footer: a value of 127 bytes where 0 are left");
    }

    #[test]
    fn pages_must_fill_their_column_chunk() {
        // Page header: type 0 (field 1), uncompressed 4 (field 2), compressed 4 (field 3, zigzag 8), stop; 4 bytes.
        let page = [0x15, 0x00, 0x15, 0x08, 0x15, 0x08, 0x00, 1, 2, 3, 4];
        let header = PageHeader { uncompressed: Some(4), compressed: Some(4), levels: 0, body_compressed: true };
        assert_eq!(
            pages(&[page.as_slice(), page.as_slice()].concat()),
            Ok(vec![Page { at: 0, header, body: 7..11 }, Page { at: 11, header, body: 18..22 }])
        );
        assert_eq!(pages(&page[..10]).unwrap_err(), "page at byte 0 claims 4 bytes, past the end of its column chunk");
        let spinning = [0x19, 0xf1, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00];
        assert_eq!(
            pages(&spinning).unwrap_err(),
            "malformed page header at byte 0 of its column chunk: a list claims 2147483648 elements where 1 bytes are \
             left"
        );
    }
}
