//! Benchmark helper for `scripts/bench-hdf5`: reads lat_ph/lon_ph/h_ph of every beam of an ATL03-shaped
//! file, then an AOI of one beam, and prints one JSON line (times, bytes fetched, bytes of the datasets).
//!
//! `cargo run --release -p floe-io --example h5read -- FILE`

use std::sync::Arc;
use std::time::Instant;

use floe_io::LonLatBox;
use floe_io::hdf5::{Hdf5File, Values};
use floe_io::icesat2::{Granule, Surface};
use floe_io::source::{ByteSource, open_input};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: h5read FILE")?;
    let start = Instant::now();
    let file = Arc::new(Hdf5File::open(Arc::new(open_input(&path).await?)).await?);
    let mut tasks = Vec::new();
    for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"] {
        for variable in ["lat_ph", "lon_ph", "h_ph"] {
            let file = Arc::clone(&file);
            let dataset = format!("/{beam}/heights/{variable}");
            tasks.push(tokio::spawn(async move { file.read_path(&dataset).await }));
        }
    }
    let mut values = 0usize;
    for task in tasks {
        values += task.await??.len();
    }
    let full_seconds = start.elapsed().as_secs_f64();

    // AOI: the southernmost ~5 % of gt1l, read through a fresh source so its bytes are counted alone.
    let source: Arc<dyn ByteSource> = Arc::new(open_input(&path).await?);
    let granule = Granule::open(Arc::clone(&source)).await?;
    let lat = match file.read_path("/gt1l/heights/lat_ph").await? {
        Values::F64(v) => v,
        _ => return Err("lat_ph is not float64".into()),
    };
    let (south, north) = lat.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let aoi = LonLatBox::new(-180.0, south, 180.0, south + 0.05 * (north - south));
    let before = source.stats().bytes();
    let aoi_start = Instant::now();
    let beam = granule.beams.first().ok_or("no beams")?.clone();
    let batch = granule.read_beam(&beam, Some(aoi), None, Surface::Land).await?;
    let aoi_seconds = aoi_start.elapsed().as_secs_f64();
    let aoi_bytes = source.stats().bytes() - before;
    let mut beam_bytes = 0u64;
    for variable in ["lat_ph", "lon_ph", "h_ph", "delta_time", "quality_ph", "signal_conf_ph"] {
        if let Ok(info) = file.dataset(&format!("/gt1l/heights/{variable}")).await {
            beam_bytes += info.stored_bytes(&file).await?;
        }
    }
    println!(
        "{{\"seconds\": {full_seconds}, \"values\": {values}, \"aoi_seconds\": {aoi_seconds}, \"aoi_rows\": {}, \"aoi_bytes\": {aoi_bytes}, \"beam_dataset_bytes\": {beam_bytes}}}",
        batch.num_rows()
    );
    Ok(())
}
