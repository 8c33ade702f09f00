//! `floe qa`: checks GeoParquet conversion outputs (metadata, layout, values) and, given the source granules,
//! whether rows were lost or changed. Exit 0 when every check passes (warnings allowed), 1 otherwise.

use std::collections::BTreeMap;

use anyhow::Context as _;
use arrow_array::cast::AsArray as _;
use arrow_schema::DataType;
use floe_io::qa::{Report, SourceTrack, Status, check_file};
use floe_io::source::ByteSource as _;

use crate::cli::QaArgs;

pub fn run(args: &QaArgs) -> anyhow::Result<()> {
    let aoi = match &args.aoi {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read the AOI file"))?;
            Some(floe_io::aoi::Aoi::from_geojson(path, &bytes)?)
        }
        None => None,
    };
    let runtime = crate::runtime()?;
    let sources = read_sources(&runtime, &args.sources, aoi.as_ref())?;
    // A file, or every Parquet file of a dataset directory / S3 prefix; local, https:// or s3://.
    let listing = runtime.block_on(floe_io::dataset::list_files(&args.input, &[]))?;
    let mut reports = Vec::new();
    for (source, _) in &listing.files {
        let name = source.location().to_owned();
        let data = runtime.block_on(source.fetch(0..source.size()))?;
        reports.push(check_file(&name, data, &sources));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for report in &reports {
            print_table(report);
        }
    }
    let failed: usize = reports.iter().map(|r| r.checks.iter().filter(|c| c.status == Status::Fail).count()).sum();
    anyhow::ensure!(failed == 0, "{}: {failed} check(s) failed", args.input);
    Ok(())
}

fn print_table(report: &Report) {
    println!("{}", report.file);
    let width = report.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for check in &report.checks {
        let status = match check.status {
            Status::Pass => "pass",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        println!("  {status}  {:width$}  {}", check.name, check.detail);
    }
}

/// Every beam of every source granule (rows inside `aoi` only, when given), keyed by track name, with its
/// numeric variables.
fn read_sources(
    runtime: &tokio::runtime::Runtime,
    inputs: &[String],
    aoi: Option<&floe_io::aoi::Aoi>,
) -> anyhow::Result<BTreeMap<String, SourceTrack>> {
    let mut tracks: BTreeMap<String, SourceTrack> = BTreeMap::new();
    for input in inputs {
        let layer = runtime.block_on(floe_io::layer::Layer::open(input, &floe_io::DatasetOptions::default()))?;
        let floe_io::layer::Layer::Granule { granule, surface, .. } = layer else {
            anyhow::bail!("{input}: --source must be an ICESat-2 granule (HDF5)");
        };
        for beam in &granule.beams {
            let batch = runtime.block_on(granule.read_beam(beam, None, aoi, surface))?;
            let track = tracks.entry(beam.name.clone()).or_default();
            let time = arrow_cast::cast(
                batch.batch.column_by_name("time").context("source batch without time")?,
                &DataType::Timestamp(arrow_schema::TimeUnit::Nanosecond, None),
            )?;
            let time = time.as_primitive::<arrow_array::types::TimestampNanosecondType>();
            track.times.extend(time.iter().map(|t| t.unwrap_or(i64::MIN)));
            for field in batch.batch.schema().fields() {
                let name = field.name();
                if ["lon", "lat", "time", "spot", "rgt", "cycle"].contains(&name.as_str())
                    || !field.data_type().is_numeric()
                {
                    continue;
                }
                let Some(column) = batch.batch.column_by_name(name) else { continue };
                let values = arrow_cast::cast(column, &DataType::Float64)?;
                let values = values.as_primitive::<arrow_array::types::Float64Type>();
                track.variables.entry(name.clone()).or_default().extend(values.iter());
            }
        }
    }
    Ok(tracks)
}
