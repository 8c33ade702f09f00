//! `floe subset`: the command-line face of [`crate::subset`]: parse the options, show progress, write the file
//! atomically and summarise.

use std::sync::Arc;

use anyhow::Context as _;
use floe_io::LonLatBox;
use floe_io::aoi::Aoi;

use crate::cli::SubsetArgs;
use crate::progress_bar::ProgressBar;
use crate::subset::{Request, rows_per_track};
use crate::time_range::TimeRange;

pub fn run(args: &SubsetArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let aoi = match (&args.aoi, &args.bbox) {
        (Some(path), _) => {
            let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read the AOI file"))?;
            Some(Arc::new(Aoi::from_geojson(path, &bytes)?))
        }
        (None, Some(text)) => Some(Arc::new(Aoi::from_bbox(LonLatBox::parse(text).map_err(anyhow::Error::msg)?))),
        (None, None) => None,
    };
    let request = Request {
        inputs: args.inputs.iter().map(|i| crate::load::Input::Named(i.clone())).collect(),
        aoi,
        beams: args.beams.clone(),
        time: args.time.as_deref().map(TimeRange::parse).transpose()?,
        drop_null: args.drop_null.clone(),
        columns: args.columns.clone(),
        dataset: args.input.dataset_options()?,
    };
    let runtime = crate::runtime()?;
    let subset = runtime.block_on(crate::subset::run(&request, |input, progress| {
        let bar = ProgressBar::start(input, progress);
        Box::new(move || bar.finish())
    }))?;
    let selected = subset.batch;
    let summary =
        floe_io::writer::write_geoparquet_file(&args.out, &selected.schema(), std::slice::from_ref(&selected))?;
    println!("{}", rows_per_track(&selected));
    println!(
        "wrote {}: {} rows, {} row groups, {:.1} MB; read {:.1} MB from {} input(s) in {:.1} s",
        args.out.display(),
        summary.rows,
        summary.row_groups,
        summary.bytes as f64 / 1e6,
        subset.bytes_read as f64 / 1e6,
        args.inputs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
