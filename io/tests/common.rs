//! Helpers shared by the io integration tests: fixture paths, reading a whole dataset.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use floe_io::{CancelToken, DatasetOptions, HiveDataset, PointBatch, Progress, ReadOptions};
use futures::StreamExt;

/// `../shared/data/geoparquet` from the repository root.
pub fn shared_geoparquet() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/geoparquet")
}

/// The generated fixtures (`scripts/fixtures.py`), as `./scripts/test` sets them up.
pub fn fixtures() -> PathBuf {
    let dir = std::env::var_os("FLOE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"));
    assert!(
        dir.join("oracle_geoparquet.json").exists(),
        "fixtures missing in {}: run ./scripts/test (or python3 scripts/fixtures.py DIR and set FLOE_FIXTURES)",
        dir.display()
    );
    dir
}

pub struct ReadAll {
    pub batches: Vec<PointBatch>,
    pub progress: floe_io::ProgressSnapshot,
    pub dataset: HiveDataset,
}

impl ReadAll {
    pub fn lon(&self) -> Vec<f64> {
        self.batches.iter().flat_map(|b| b.lon().values().iter().copied().collect::<Vec<_>>()).collect()
    }

    pub fn lat(&self) -> Vec<f64> {
        self.batches.iter().flat_map(|b| b.lat().values().iter().copied().collect::<Vec<_>>()).collect()
    }

    pub fn rows(&self) -> usize {
        self.batches.iter().map(PointBatch::num_rows).sum()
    }

    /// A value column as f64 (nulls as None), in read order.
    pub fn values(&self, name: &str) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for batch in &self.batches {
            let array = batch.column(name).unwrap_or_else(|| panic!("no column {name}"));
            let cast = arrow_cast::cast(array, &arrow_schema::DataType::Float64).unwrap();
            let floats = cast.as_any().downcast_ref::<arrow_array::Float64Array>().unwrap();
            out.extend(floats.iter());
        }
        out
    }
}

pub async fn read_all(input: &str, options: &DatasetOptions, read: &ReadOptions) -> floe_io::Result<ReadAll> {
    let dataset = HiveDataset::open(input, options).await?;
    let progress = Arc::new(Progress::default());
    // One partition keeps batches in file order, so rows compare by position.
    let mut stream = dataset.stream(read, 1, Arc::clone(&progress), CancelToken::default())?;
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        batches.push(batch?);
    }
    Ok(ReadAll { batches, progress: progress.snapshot(), dataset })
}
