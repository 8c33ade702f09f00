//! A pure-Rust, async HDF5 reader (no C library, safe Rust only, builds for wasm32).
//!
//! Reads through a [`crate::source::ByteSource`]: metadata through a block cache, chunk data with coalesced
//! range requests. Covers superblocks v0–v3, object headers v1/v2 with continuations, symbol-table, compact
//! and dense (fractal heap + v2 B-tree) groups and attributes, contiguous / compact / chunked (v1 B-tree, single
//! chunk, implicit) layouts, deflate / shuffle / fletcher32, fixed-point, floating-point, fixed and
//! variable-length strings. Anything else is reported as `unsupported HDF5 feature: <what> in <object>`.

// Layers, each importing only those above it in this list:
mod btree; // v1 and v2 B-trees
mod chunk_index; // the six chunk indexes
mod cursor; // bounds-checked reads of metadata bytes, lookup3
mod dataset; // DatasetInfo and reading rows
mod dtype; // element types and value decoding
mod file; // Hdf5File: paths, walking, attributes
mod filters; // deflate, shuffle, fletcher32
mod group; // group members (links)
mod heap; // local, fractal and global heaps
mod layout; // the data layout message
mod message; // dataspace, datatype, fill value, attribute messages
mod object_header; // object headers split into messages
mod reader; // bytes at file addresses: block cache, raw ranges
mod superblock; // the superblock

pub use dataset::DatasetInfo;
pub use dtype::{Dtype, Values};
pub use file::{Hdf5File, Node};
pub use filters::Filter;
pub use layout::{ChunkIndex, LayoutInfo, StoredChunk};
pub use message::AttributeValue;
pub use object_header::NodeKind;

/// Errors inside the reader, before they are given the file and object they concern.
#[derive(Debug)]
pub(crate) enum H5Error {
    Malformed(String),
    Unsupported(String),
    Io(crate::IoError),
}

impl H5Error {
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }

    pub fn unsupported(what: impl Into<String>) -> Self {
        Self::Unsupported(what.into())
    }

    /// Names the file and object an error concerns.
    pub fn at(self, location: &str, object: &str) -> crate::IoError {
        match self {
            H5Error::Malformed(message) => {
                crate::IoError::Hdf5 { location: location.to_owned(), object: object.to_owned(), message }
            }
            H5Error::Unsupported(what) => {
                crate::IoError::Unsupported { location: location.to_owned(), object: object.to_owned(), what }
            }
            H5Error::Io(e) => e,
        }
    }
}

impl std::fmt::Display for H5Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            H5Error::Malformed(message) => f.write_str(message),
            H5Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            H5Error::Io(e) => e.fmt(f),
        }
    }
}

impl From<crate::IoError> for H5Error {
    fn from(e: crate::IoError) -> Self {
        H5Error::Io(e)
    }
}

pub(crate) type H5Result<T> = Result<T, H5Error>;
