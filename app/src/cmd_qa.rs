//! `floe qa`: checks GeoParquet conversion outputs (metadata, layout, values) and, given the source granules,
//! whether rows were lost or changed. Exit 0 when every check passes (warnings allowed), 1 otherwise.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use arrow_array::cast::AsArray as _;
use arrow_schema::DataType;
use floe_io::qa::{Report, SourceTrack, Status, check_file};

use crate::cli::QaArgs;

pub fn run(args: &QaArgs) -> anyhow::Result<()> {
    let aoi = match &args.aoi {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read the AOI file"))?;
            Some(floe_io::aoi::Aoi::from_geojson(path, &bytes)?)
        }
        None => None,
    };
    let sources = read_sources(&args.sources, aoi.as_ref())?;
    let path = Path::new(&args.input);
    let mut files = Vec::new();
    if path.is_dir() {
        collect_parquet(path, &mut files)?;
        anyhow::ensure!(!files.is_empty(), "{}: no .parquet files in the dataset", args.input);
    } else {
        files.push(path.to_path_buf());
    }
    let mut reports = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        let data = std::fs::read(file).with_context(|| format!("{name}: cannot read"))?;
        reports.push(check_file(&name, data.into(), &sources));
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

fn collect_parquet(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_parquet(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "parquet") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Every beam of every source granule (rows inside `aoi` only, when given), keyed by track name, with its
/// numeric variables.
fn read_sources(inputs: &[String], aoi: Option<&floe_io::aoi::Aoi>) -> anyhow::Result<BTreeMap<String, SourceTrack>> {
    let mut tracks: BTreeMap<String, SourceTrack> = BTreeMap::new();
    if inputs.is_empty() {
        return Ok(tracks);
    }
    let runtime = crate::runtime()?;
    for input in inputs {
        let layer = runtime.block_on(floe_io::layer::Layer::open(input, &floe_io::DatasetOptions::default()))?;
        let floe_io::layer::Layer::Granule { granule, surface, .. } = layer else {
            anyhow::bail!("{input}: --source must be an ICESat-2 granule (HDF5)");
        };
        for beam in &granule.beams {
            let batch = runtime.block_on(granule.read_beam(beam, aoi.map(|a| a.bbox), surface))?;
            let batch = match aoi {
                Some(aoi) => aoi.filter(batch)?,
                None => batch,
            };
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
