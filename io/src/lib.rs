//! `floe-io`: bytes → Arrow point batches.
//!
//! Sources (local, HTTP(S), S3, memory) → readers (GeoParquet) → `PointBatch` streams with progress and
//! cancellation. No GUI or GPU dependency; builds for `wasm32-unknown-unknown`.

#![forbid(unsafe_code)]

pub mod aoi;
pub mod batch;
pub mod bbox;
pub mod dataset;
pub mod error;
pub mod geo_meta;
pub mod geoparquet;
pub mod hdf5;
pub mod icesat2;
pub mod info;
pub mod layer;
mod parquet_source;
pub mod partition;
pub mod progress;
pub mod qa;
pub mod sample;
pub mod source;
mod time;
#[cfg(target_arch = "wasm32")]
pub mod web_source;
pub mod wkb;
pub mod writer;

pub use batch::PointBatch;
pub use bbox::LonLatBox;
pub use dataset::{Dataset, DatasetOptions};
pub use error::{IoError, Result};
pub use geoparquet::{ColumnSelection, GeoParquetFile, GeometrySource, OpenOptions, ReadOptions};
pub use partition::PartitionFilter;
pub use progress::{CancelToken, Progress, ProgressSnapshot};
pub use time::utc_text;
