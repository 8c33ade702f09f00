//! Entry points for coverage-guided fuzzing (`fuzz/`) and for replaying its corpus as a test
//! (`io/tests/fuzz_corpus.rs`): each takes arbitrary bytes, drives one reader as far as the bytes allow, and must
//! return — an error is a pass, a panic, hang or unbounded allocation is a finding.
//!
//! Results are folded into a checksum that is returned, so the optimiser cannot drop the work (a discarded pure
//! result is not explored).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use crate::source::{ByteSource, MemorySource};

/// libFuzzer's Rust harness aborts on every panic, caught or not; Floe catches the parquet crate's panics on
/// malformed pages on purpose (`geoparquet::read::guard_panics`). Called first by each target: a panic is printed,
/// and one that escapes still aborts the run (the harness wraps each input in `catch_unwind`).
pub fn allow_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| eprintln!("{info}"))));
}

/// The HDF5 reader alone: open, walk every object, read every attribute and every dataset.
pub fn hdf5(bytes: &[u8]) -> u64 {
    futures::executor::block_on(async {
        let source: Arc<dyn ByteSource> = Arc::new(MemorySource::new("fuzz.h5", Bytes::copy_from_slice(bytes)));
        let Ok(file) = crate::hdf5::Hdf5File::open(source).await else { return 0 };
        let Ok(nodes) = file.walk().await else { return 1 };
        let mut sum = nodes.len() as u64;
        for node in nodes.iter().take(256) {
            if let Ok(attributes) = file.attributes(&node.path).await {
                sum += attributes.len() as u64;
            }
            if node.kind == crate::hdf5::NodeKind::Dataset
                && let Ok(values) = file.read_path(&node.path).await
            {
                sum += values.len() as u64;
            }
        }
        sum
    })
}

/// Any file Floe opens by its signature (an ICESat-2 granule, GeoParquet, FlatGeobuf), streamed whole.
pub fn point_file(name: &str, bytes: &[u8]) -> u64 {
    futures::executor::block_on(async {
        let source: Arc<dyn ByteSource> = Arc::new(MemorySource::new(name, Bytes::copy_from_slice(bytes)));
        let options = crate::DatasetOptions { no_index: true, ..Default::default() };
        let Ok(points) = crate::PointSource::from_source(source, &options).await else { return 0 };
        let progress = Arc::new(crate::Progress::default());
        let Ok(mut stream) = points.stream(&crate::ReadOptions::default(), 1, progress, crate::CancelToken::default())
        else {
            return 1;
        };
        let mut sum = 2;
        while let Some(batch) = stream.next().await {
            match batch {
                Ok(batch) => sum += batch.num_rows() as u64,
                Err(_) => break,
            }
        }
        sum
    })
}

/// One WKB value: decoded to a drawable point and to its extent.
pub fn wkb(bytes: &[u8]) -> u64 {
    let decoded = crate::geoparquet::wkb::decode(bytes).map(|d| format!("{d:?}").len()).unwrap_or(0);
    let extent = crate::geoparquet::wkb::extent(bytes).ok().flatten().map(|e| e.iter().fold(0, |a, v| a ^ v.to_bits()));
    (decoded as u64).wrapping_add(extent.unwrap_or(0))
}

/// A GeoJSON AOI: parsed, asked whether it holds a few points, and written back.
pub fn geojson_aoi(bytes: &[u8]) -> u64 {
    let Ok(aoi) = crate::aoi::Aoi::from_geojson("fuzz.geojson", bytes) else { return 0 };
    let inside = [(0.0, 0.0), (-45.0, 72.0), (120.0, -80.0), (180.0, 90.0)]
        .iter()
        .filter(|(lon, lat)| aoi.contains(*lon, *lat))
        .count();
    (inside + aoi.to_geojson().len() + aoi.num_vertices()) as u64
}

/// Kerchunk references (JSON) to a granule, as `floe subset X.json` reads them.
pub fn kerchunk(bytes: &[u8]) -> u64 {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) else { return 0 };
    match crate::icesat2::Described::from_references("fuzz.json", &json) {
        Ok((url, described)) => url.len() as u64 + described.datasets_under("/").len() as u64,
        Err(_) => 1,
    }
}
