//! The superblock (versions 0–3): where the root group is and how wide the file's offsets and lengths are.

use super::cursor::Cursor;
use super::{H5Error, H5Result};

/// The 8-byte signature that starts a superblock.
pub(super) const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// What the reader needs from a superblock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Superblock {
    pub version: u8,
    pub offset_size: u8,
    pub length_size: u8,
    /// Addresses are relative to this (a user block shifts it).
    pub base: u64,
    /// Address of the root group's object header.
    pub root: u64,
}

/// Parses the superblock that starts `bytes` (its signature included).
pub(super) fn parse(bytes: &[u8]) -> H5Result<Superblock> {
    let mut c = Cursor::new(bytes, 8, 8);
    if c.take(8)? != SIGNATURE {
        return Err(H5Error::malformed("no HDF5 signature"));
    }
    let version = c.u8()?;
    match version {
        0 | 1 => {
            c.skip(3)?; // free-space, root symbol table and reserved versions
            c.skip(1)?; // shared header message format version
            let (offset_size, length_size) = (c.u8()?, c.u8()?);
            check_sizes(offset_size, length_size)?;
            let mut c = Cursor::new(bytes, offset_size, length_size);
            c.seek(if version == 1 { 28 } else { 24 })?;
            let base = c.offset()?.unwrap_or(0);
            c.offset()?; // free-space info
            c.offset()?; // end of file
            c.offset()?; // driver info
            c.offset()?; // root link name offset
            let root = c.offset()?.ok_or_else(|| H5Error::malformed("root group has no object header"))?;
            Ok(Superblock { version, offset_size, length_size, base, root })
        }
        2 | 3 => {
            let (offset_size, length_size) = (c.u8()?, c.u8()?);
            check_sizes(offset_size, length_size)?;
            let mut c = Cursor::new(bytes, offset_size, length_size);
            c.seek(12)?;
            let base = c.offset()?.unwrap_or(0);
            c.offset()?; // superblock extension
            c.offset()?; // end of file
            let root = c.offset()?.ok_or_else(|| H5Error::malformed("root group has no object header"))?;
            Ok(Superblock { version, offset_size, length_size, base, root })
        }
        other => Err(H5Error::unsupported(format!("superblock version {other}"))),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 0 superblock as libhdf5 writes it (8-byte offsets, no user block), root header at 96.
    fn v0(offset_size: u8) -> Vec<u8> {
        let mut b = SIGNATURE.to_vec();
        b.extend([0, 0, 0, 0, 0, offset_size, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0]);
        for value in [0u64, u64::MAX, 2048, u64::MAX, 0, 96] {
            b.extend(value.to_le_bytes());
        }
        b
    }

    #[test]
    fn version_0_gives_sizes_base_and_root() {
        let parsed = parse(&v0(8)).unwrap();
        assert_eq!(parsed, Superblock { version: 0, offset_size: 8, length_size: 8, base: 0, root: 96 });
    }

    #[test]
    fn version_2_gives_sizes_base_and_root() {
        let mut b = SIGNATURE.to_vec();
        b.extend([2, 8, 8, 0]);
        for value in [512u64, u64::MAX, 4096, 48] {
            b.extend(value.to_le_bytes());
        }
        b.extend([0, 0, 0, 0]); // checksum (not verified here)
        let parsed = parse(&b).unwrap();
        assert_eq!(parsed, Superblock { version: 2, offset_size: 8, length_size: 8, base: 512, root: 48 });
    }

    #[test]
    fn odd_offset_sizes_and_versions_are_refused() {
        assert_eq!(parse(&v0(3)).unwrap_err().to_string(), "size of offsets is 3 bytes");
        let mut b = v0(8);
        b[8] = 7;
        assert_eq!(parse(&b).unwrap_err().to_string(), "unsupported: superblock version 7");
        assert_eq!(
            parse(&v0(8)[..40]).unwrap_err().to_string(),
            "truncated: needed 8 bytes at offset 40 of a 40-byte block"
        );
    }
}
