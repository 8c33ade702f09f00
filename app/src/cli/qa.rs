//! `floe qa`: checks GeoParquet conversion outputs (metadata, layout, values) and, given the source granules,
//! whether rows were lost or changed. Exit 0 when every check passes (warnings allowed), 1 otherwise.

use std::collections::{BTreeMap, HashMap};

use floe_io::icesat2::Surface;
use floe_io::qa::{Report, SourceTrack, Status, check_file};
use floe_io::source::ByteSource as _;

use crate::cli::QaArgs;
use crate::load::Input;
use crate::qa_sources::read_sources;

pub fn run(args: &QaArgs) -> anyhow::Result<()> {
    let aoi = match &args.aoi {
        Some(path) => Some(floe_io::aoi::Aoi::read_file(path)?),
        None => None,
    };
    let surface = args.surface.as_deref().map(super::parse_surface).transpose()?;
    let runtime = crate::runtime()?;
    // The granules are read once per surface type the outputs were made for (ATL03 `signal_conf_ph`).
    let mut sources: HashMap<Surface, BTreeMap<String, SourceTrack>> = HashMap::new();
    // A file, or every Parquet file of a dataset directory / S3 prefix; local, https:// or s3://.
    let listing = runtime.block_on(floe_io::geoparquet::hive::list_files(&args.input, &[]))?;
    let mut reports = Vec::new();
    for (source, _) in &listing.files {
        let name = source.location().to_owned();
        let data = runtime.block_on(source.fetch(0..source.size()))?;
        let surface = surface.or_else(|| floe_io::qa::recorded_surface(&data)).unwrap_or_default();
        let tracks = match sources.entry(surface) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let inputs: Vec<Input> = args.sources.iter().map(|s| Input::Named(s.clone())).collect();
                entry.insert(runtime.block_on(read_sources(&inputs, aoi.as_ref(), surface))?)
            }
        };
        reports.push(check_file(&name, data, tracks));
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
