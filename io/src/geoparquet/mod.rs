//! GeoParquet: reading files and hive-partitioned datasets into point batches, the `geo` metadata, WKB, partition
//! filters, what `floe info` reports, and writing GeoParquet 1.1 point files.
//!
//! Layers, one direction: `metadata`, `wkb`, `partition` → `read` (one file) → `hive` (a listing of files) →
//! `info`; `write` stands apart (it uses only `bbox`).

pub mod hive;
pub mod info;
pub(crate) mod metadata;
pub(crate) mod partition;
mod read;
pub(crate) mod wkb;
pub mod write;

pub(crate) use read::check_not_empty;
pub use read::{ColumnSelection, GeoParquetFile, GeometrySource, OpenOptions, ReadOptions, TimeBounds, ValueRange};
