//! Benchmark helper for `scripts/bench`: decodes a GeoParquet file into GPU-ready buffers (f32 offsets from
//! per-chunk f64 origins + one f32 value per point) and prints one JSON line with the time and peak memory.
//!
//! `cargo run --release --example decode -- FILE [COLUMN]`

use std::sync::Arc;
use std::time::Instant;

use floe::load::{LoadEvent, open_dataset, parallelism, run_load};
use floe_io::{CancelToken, ColumnSelection, DatasetOptions, Progress, ReadOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or_else(|| anyhow::anyhow!("usage: decode FILE [COLUMN]"))?;
    let column = args.next().unwrap_or_else(|| "value".to_owned());
    let runtime = floe::runtime()?;
    let start = Instant::now();
    let dataset = runtime.block_on(open_dataset(&input, &DatasetOptions::default()))?;
    let rows = usize::try_from(dataset.num_rows())?;
    // The GPU-ready buffers, allocated once at their final size.
    let mut positions: Vec<[f32; 2]> = Vec::with_capacity(rows);
    let mut values: Vec<f32> = Vec::with_capacity(rows);
    let mut origins: Vec<[f64; 2]> = Vec::new();
    let mut failure = None;
    let read =
        ReadOptions { columns: ColumnSelection::Named(vec![column]), batch_rows: 128 * 1024, ..ReadOptions::default() };
    runtime.block_on(run_load(
        dataset,
        read,
        floe::load::LoadOptions::default(),
        parallelism(),
        Arc::new(Progress::default()),
        CancelToken::default(),
        |event| {
            match event {
                LoadEvent::Batch(batch) => {
                    for chunk in &batch.chunks {
                        origins.push(chunk.origin_world);
                        positions.extend_from_slice(&chunk.offsets);
                    }
                    if let Some(v) = batch.values.first() {
                        values.extend_from_slice(v);
                    }
                }
                LoadEvent::Failed(e) => failure = Some(e),
                LoadEvent::Opened { .. } | LoadEvent::Finished => {}
            }
            std::future::ready(true)
        },
    ));
    let seconds = start.elapsed().as_secs_f64();
    if let Some(e) = failure {
        return Err(e.into());
    }
    let buffer_bytes = positions.len() * 8 + values.len() * 4 + origins.len() * 16;
    let peak_rss_kib = std::fs::read_to_string("/proc/self/status")?
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({"seconds": seconds, "points": positions.len(), "chunks": origins.len(), "buffer_bytes": buffer_bytes, "peak_rss_bytes": peak_rss_kib * 1024})
    );
    Ok(())
}
