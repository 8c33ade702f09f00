//! `floe subset`: the command-line face of [`crate::subset`]: parse the options, show progress, write the file
//! atomically and summarise.

use std::sync::Arc;

use floe_io::LonLatBox;
use floe_io::aoi::Aoi;

use super::progress_bar::ProgressBar;
use crate::cli::SubsetArgs;
use crate::subset::{Request, rows_per_track};
use crate::time_range::TimeRange;

pub fn run(args: &SubsetArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let aoi = match (&args.aoi, &args.bbox) {
        (Some(path), _) => Some(Arc::new(Aoi::read_file(path)?)),
        (None, Some(text)) => {
            Some(Arc::new(Aoi::from_boxes(&LonLatBox::parse_boxes(text).map_err(anyhow::Error::msg)?)))
        }
        (None, None) => None,
    };
    let area = aoi.as_ref().map(|a| a.bbox);
    let request = Request {
        inputs: args.inputs.iter().map(|i| crate::load::Input::Named(i.clone())).collect(),
        aoi,
        beams: floe_io::icesat2::parse_beams(&args.beams).map_err(|e| anyhow::anyhow!("--beams: {e}"))?,
        time: args.input.time.as_deref().map(TimeRange::parse).transpose()?,
        drop_null: args.drop_null.clone(),
        columns: args.columns.clone(),
        dataset: args.input.dataset_options_for(area)?,
        brush: None,
        filters: args.input.row_filters()?,
        map_filters: Vec::new(),
    };
    // After the options are understood, before anything is read: a run that would destroy its own input never
    // starts.
    let mut inputs: Vec<&str> = args.inputs.iter().map(String::as_str).collect();
    inputs.extend(args.aoi.as_deref());
    crate::output::check(&args.out, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&args.out)))?;
    let runtime = crate::runtime()?;
    let subset = runtime.block_on(crate::subset::run(&request, |input, progress| {
        let bar = ProgressBar::start(input, progress);
        Box::new(move || bar.finish())
    }))?;
    let selected = subset.batch;
    if selected.num_rows() == 0 {
        let why = runtime.block_on(why_empty(&request, args, subset.rows_in_aoi, subset.time_span))?;
        if !args.allow_empty {
            return Err(crate::output::EmptyOutput(format!(
                "{why}: nothing written (--allow-empty writes an empty file)"
            ))
            .into());
        }
        eprintln!("warning: {why}");
    }
    let summary = floe_io::geoparquet::write::write_geoparquet_file(
        &args.out,
        &selected.schema(),
        std::slice::from_ref(&selected),
    )?;
    println!("{}", rows_per_track(&selected));
    println!(
        "wrote {}: {} rows, {} row groups, {:.1} MB; read {:.1} MB in {} requests from {} input(s) in {:.1} s",
        args.out.display(),
        summary.rows,
        summary.row_groups,
        summary.bytes as f64 / 1e6,
        subset.bytes_read as f64 / 1e6,
        subset.requests,
        args.inputs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Says why a subset came out empty: the AOI missed the data (and where the data lie), the time window missed
/// the rows inside the AOI (and when they were taken), or the beam and null filters left nothing.
async fn why_empty(
    request: &Request,
    args: &SubsetArgs,
    rows_in_aoi: u64,
    time_span: Option<(i64, i64)>,
) -> anyhow::Result<String> {
    if rows_in_aoi == 0 {
        // Where the rows of the requested beams lie: granules apply --beams as they read.
        let extent = crate::subset::data_extent(request).await?;
        if extent.is_empty() && !request.beams.is_empty() {
            return Ok(format!("the inputs hold no rows of the beams {}", request.beams.join(", ")));
        }
        let Some(aoi) = request.aoi.as_ref().filter(|_| !extent.is_empty()) else {
            return Ok("the inputs hold no rows with a position".to_owned());
        };
        let area = if args.aoi.is_some() { "the AOI" } else { "the bbox" };
        let mut why = format!("no rows inside {area}; the data lie in {} (W,S,E,N)", extent.to_text());
        let b = aoi.bbox;
        let swapped = LonLatBox::new(b.south, b.west, b.north, b.east);
        if swapped.intersects(&extent) && !b.intersects(&extent) {
            why.push_str(&format!(
                "; {area} lies in {} and would meet the data with longitude and latitude swapped: GeoJSON and \
                 --bbox take longitude first",
                b.to_text()
            ));
        }
        return Ok(why);
    }
    if let (Some(time), Some((first, last))) = (&args.input.time, time_span) {
        let window = request.time.as_ref().map(|t| (t.start_ns, t.end_ns));
        if window.is_some_and(|(start, end)| last < start || first >= end) {
            return Ok(format!(
                "no rows in the time window {time}; the {rows_in_aoi} rows inside the area were taken from {} to {}",
                floe_io::utc_text(first),
                floe_io::utc_text(last)
            ));
        }
    }
    Ok(format!("none of the {rows_in_aoi} rows inside the area is left after --time, --beams and --drop-null"))
}
