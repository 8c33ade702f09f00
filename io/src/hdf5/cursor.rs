//! Bounds-checked little-endian reads over metadata bytes: every read of untrusted bytes goes through here.

use super::H5Error;

pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    pub offset_size: u8,
    pub length_size: u8,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], offset_size: u8, length_size: u8) -> Self {
        Self { data, pos: 0, offset_size, length_size }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn seek(&mut self, pos: usize) -> Result<(), H5Error> {
        if pos > self.data.len() {
            return Err(H5Error::malformed(format!("seek to {pos} past the end of a {}-byte block", self.data.len())));
        }
        self.pos = pos;
        Ok(())
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], H5Error> {
        let end = self.pos.checked_add(n).filter(|end| *end <= self.data.len()).ok_or_else(|| {
            H5Error::malformed(format!(
                "truncated: needed {n} bytes at offset {} of a {}-byte block",
                self.pos,
                self.data.len()
            ))
        })?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), H5Error> {
        self.take(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8, H5Error> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, H5Error> {
        Ok(self.uint(2)? as u16)
    }

    pub fn u32(&mut self) -> Result<u32, H5Error> {
        Ok(self.uint(4)? as u32)
    }

    pub fn u64(&mut self) -> Result<u64, H5Error> {
        self.uint(8)
    }

    /// An unsigned little-endian integer of `n` ≤ 8 bytes.
    pub fn uint(&mut self, n: usize) -> Result<u64, H5Error> {
        if n > 8 {
            return Err(H5Error::malformed(format!("{n}-byte integer field")));
        }
        Ok(self.take(n)?.iter().rev().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A file address; `None` for the undefined address (all bits set).
    pub fn offset(&mut self) -> Result<Option<u64>, H5Error> {
        let n = usize::from(self.offset_size);
        let value = self.uint(n)?;
        let undefined = if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
        Ok((value != undefined).then_some(value))
    }

    pub fn length(&mut self) -> Result<u64, H5Error> {
        self.uint(usize::from(self.length_size))
    }

    /// Checks a 4-byte signature.
    pub fn signature(&mut self, expected: &[u8; 4], what: &str) -> Result<(), H5Error> {
        let found = self.take(4)?;
        if found != expected {
            return Err(H5Error::malformed(format!(
                "{what}: expected signature {:?}, found {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(found)
            )));
        }
        Ok(())
    }

    /// Symbol table entries store the name offset in an offset-sized field.
    pub fn length_or_offset(&mut self) -> Result<u64, H5Error> {
        self.uint(usize::from(self.offset_size))
    }
}

/// Jenkins' lookup3 hash, which HDF5 uses for metadata checksums.
pub(crate) fn lookup3(data: &[u8]) -> u32 {
    let init = 0xdeadbeefu32.wrapping_add(data.len() as u32);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = data;
    let word = |s: &[u8]| -> u32 { s.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (8 * i))) };
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        a = a.wrapping_sub(c) ^ c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(4);
        b = b.wrapping_add(a);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    a = a.wrapping_add(word(&tail[0..4]));
    b = b.wrapping_add(word(&tail[4..8]));
    c = c.wrapping_add(word(&tail[8..12]));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c.wrapping_sub(b.rotate_left(24))
}
