//! Benchmark helper for `scripts/bench-profile`: loads a one-track photon file as the viewer does, then times what
//! the profile costs once the load has finished (building the track's profile chunks, uploading them and drawing the
//! first frame, headless) and per frame while panning (the CPU side: camera, culling, one uniform per visible
//! chunk). Prints one JSON line.
//!
//! `cargo run --release --example profile_bench -- FILE`

use std::sync::Arc;
use std::time::Instant;

use floe::load::{LoadEvent, open_dataset, parallelism, run_load};
use floe::profile::{CollectedPoints, ProfileSeries, TrackPoints, XAxis, default_y_column, tracks_of};
use floe_io::{CancelToken, DatasetOptions, Progress, ReadOptions};
use floe_render::{Headless, LayerStyle, ProfileCamera};

fn main() -> anyhow::Result<()> {
    let input = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: profile_bench FILE"))?;
    let runtime = floe::runtime()?;
    let started = Instant::now();
    let dataset = runtime.block_on(open_dataset(&input, &DatasetOptions::default()))?;
    let mut loaded = CollectedPoints::default();
    let mut batches = Vec::new();
    let mut failure = None;
    runtime.block_on(run_load(
        dataset,
        ReadOptions::default(),
        floe::load::LoadOptions::default(),
        parallelism(),
        Arc::new(Progress::default()),
        CancelToken::default(),
        |event| {
            match event {
                LoadEvent::Opened { columns, .. } => loaded.set_columns(columns),
                LoadEvent::Batch(batch) => batches.push(batch),
                LoadEvent::Failed(e) => failure = Some(e),
                LoadEvent::Finished => {}
            }
            std::future::ready(true)
        },
    ));
    if let Some(e) = failure {
        return Err(e.into());
    }
    batches.sort_by(|a, b| a.along_track.first().unwrap_or(&0.0).total_cmp(b.along_track.first().unwrap_or(&0.0)));
    for batch in batches {
        loaded.push(batch);
    }
    let load_s = started.elapsed().as_secs_f64();

    // Load finished → first profile frame: the track's profile chunks, their upload, one frame drawn and read back.
    let mut headless = Headless::new()?;
    let first_frame = Instant::now();
    let track = tracks_of(&loaded).into_iter().next().ok_or_else(|| anyhow::anyhow!("{input}: no track"))?;
    let y = default_y_column(loaded.columns()).ok_or_else(|| anyhow::anyhow!("{input}: no height column"))?;
    let series = ProfileSeries::build(&loaded, &track, XAxis::AlongTrack, y);
    let built_s = first_frame.elapsed().as_secs_f64();
    let (min, max) = series.bounds.ok_or_else(|| anyhow::anyhow!("{input}: no points"))?;
    let size = [1200, 400];
    let mut camera = ProfileCamera::fit(min, max, size, 0.05);
    let style = LayerStyle { value_range: (min[1] as f32, max[1] as f32), point_size: 2.0, ..LayerStyle::default() };
    let upload = Instant::now();
    let mut layer = headless.renderer.create_layer(&headless.device, &headless.queue, style);
    for chunk in &series.chunks {
        let values = loaded.column_values(y).get(chunk.points.clone()).unwrap_or(&[]);
        layer.push_chunk(&headless.device, &chunk.chunk, values);
    }
    let upload_s = upload.elapsed().as_secs_f64();
    let draw = Instant::now();
    headless.render(&camera, [255; 4], &[], &[&layer])?;
    let draw_s = draw.elapsed().as_secs_f64();
    let first_frame_s = first_frame.elapsed().as_secs_f64();

    // Panning at a 2 km wide view: the CPU's work per frame (camera, culling, per-chunk uniforms).
    camera.px_per_unit[0] = f64::from(size[0]) / 2_000.0;
    camera.centre_profile[0] = min[0] + 1_000.0;
    let frames = 200;
    let pan = Instant::now();
    for _ in 0..frames {
        camera.pan_px([-((max[0] - min[0] - 2_000.0) / f64::from(frames)) * camera.px_per_unit[0], 0.0]);
        headless.renderer.prepare(&headless.device, &headless.queue, &camera, &[], &[&layer]);
    }
    let pan_ms = pan.elapsed().as_secs_f64() * 1000.0 / f64::from(frames);
    println!(
        "{{\"points\": {}, \"track_points\": {}, \"chunks\": {}, \"load_s\": {load_s:.3}, \"build_s\": {built_s:.3}, \
         \"upload_s\": {upload_s:.3}, \"draw_s\": {draw_s:.3}, \"first_frame_s\": {first_frame_s:.3}, \"pan_cpu_ms_per_frame\": {pan_ms:.4}, \"adapter\": \"{}\"}}",
        loaded.column_values(0).len(),
        series.num_points(),
        series.chunks.len(),
        headless.adapter_info.name
    );
    Ok(())
}
