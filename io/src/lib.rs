//! `floe-io`: bytes → Arrow point batches.
//!
//! Sources (`source`: local, HTTP(S), S3, memory, browser) → readers (`geoparquet`, and `hdf5` with the ICESat-2
//! products on top in `icesat2`) → `PointBatch` streams with progress and cancellation, opened through one
//! [`PointSource`]. Also AOIs (`aoi`), the QA checks of conversion outputs (`qa`) and the embedded sample. No GUI
//! or GPU dependency; builds for `wasm32-unknown-unknown`; no `unsafe`.

#![forbid(unsafe_code)]

pub mod aoi;
#[cfg(not(target_arch = "wasm32"))]
mod atomic_file;
mod batch;

mod error;
pub mod fgb;
#[doc(hidden)]
pub mod fuzzing;
pub mod geoparquet;
pub mod hdf5;
pub mod icesat2;
mod lonlat_box;
mod point_source;
mod progress;
pub mod qa;
pub mod sample;
pub mod scene;
pub mod source;
mod source_rows;
mod time;
mod track;

#[cfg(not(target_arch = "wasm32"))]
pub use atomic_file::{remove_pending_files, write_bytes_atomically, write_file_atomically};
pub use batch::PointBatch;
pub use error::{IoError, Result, panic_is_caught};
pub use geoparquet::hive::{DatasetOptions, HiveDataset};
pub use geoparquet::partition::{CompareOp, PartitionFilter};
pub use geoparquet::{
    ColumnSelection, GeoParquetFile, GeometrySource, OpenOptions, ReadOptions, TimeBounds, ValueRange,
};
pub use lonlat_box::LonLatBox;
pub use point_source::PointSource;
pub use progress::{CancelToken, Progress, ProgressSnapshot};
pub use source_rows::SourceRows;
pub use time::utc_text;
pub use track::geodesic_along_track;
