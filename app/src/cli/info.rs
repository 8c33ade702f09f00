//! `floe info`: describe a file or dataset.

use std::sync::Arc;

use floe_io::PointSource;
use floe_io::hdf5::{Hdf5File, NodeKind};
use floe_io::icesat2::Granule;
use serde::Serialize;

use crate::cli::InfoArgs;
use crate::load::open_dataset;

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let options = args.options.dataset_options()?;
    let runtime = crate::runtime()?;
    if args.tree {
        return runtime.block_on(tree(&args.input));
    }
    let layer = runtime.block_on(open_dataset(&args.input, &options))?;
    let dataset = match layer {
        PointSource::GeoParquet(dataset) => dataset,
        PointSource::Granule { granule, index_fetched, .. } => {
            // The index's requests count too: one given, or one found beside the granule.
            let given = options.index.as_ref().map_or((0, 0), |index| index.fetched);
            let index = Stats { requests: given.0 + index_fetched.0, bytes: given.1 + index_fetched.1 };
            return runtime.block_on(granule_info(&granule, args, index));
        }
        PointSource::FlatGeobuf(file) => {
            println!("{}", file.location());
            println!("  format       FlatGeobuf (points)");
            println!("  features     {}", file.num_rows());
            println!("  columns      {}", file.column_names().join(", "));
            println!("  index        {}", if file.has_index() { "packed Hilbert R-tree" } else { "none" });
            return Ok(());
        }
        PointSource::Scene(scene) => {
            anyhow::bail!(
                "{}: the synthetic scene ({}, {} points) is generated in memory: floe info describes files",
                args.input,
                scene.name,
                scene.num_rows()
            )
        }
    };
    let info = runtime.block_on(floe_io::geoparquet::info::describe(&dataset))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    let bbox = match info.bbox {
        Some([w, s, e, n]) => format!("{w:.6}, {s:.6}, {e:.6}, {n:.6} (W, S, E, N; from {})", info.bbox_source),
        None => "none (no valid points)".to_owned(),
    };
    println!("{}", info.location);
    println!("  rows         {}", info.rows);
    if info.files > 1 {
        println!("  files        {}", info.files);
    }
    println!("  row groups   {}", info.row_groups);
    println!(
        "  geometry     {} in `{}` ({})",
        info.geometry_encoding,
        info.geometry_column,
        info.geometry_types.join(", ")
    );
    println!("  crs          {}", info.crs);
    println!("  bbox         {bbox}");
    println!("  geo version  {}", info.geo_version.as_deref().unwrap_or("none (plain Parquet)"));
    println!("  covering     {}", if info.has_bbox_covering { "bbox" } else { "none" });
    println!("  compression  {}", info.compression.join(", "));
    if !info.partition_columns.is_empty() {
        println!("  partitions   {}", info.partition_columns.join(", "));
    }
    println!("  columns");
    let width = info.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for column in &info.columns {
        let unit = column.unit.as_deref().map(|u| format!(" [{u}]")).unwrap_or_default();
        println!("    {:width$}  {}{unit}", column.name, column.data_type);
    }
    Ok(())
}

#[derive(Serialize)]
struct VariableInfo {
    path: String,
    #[serde(rename = "type")]
    data_type: String,
    shape: Vec<u64>,
    layout: String,
    filters: Vec<String>,
}

#[derive(Serialize)]
struct Stats {
    requests: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct GranuleInfo<'a> {
    location: &'a str,
    product: &'static str,
    release: Option<&'a str>,
    rgt: Option<i64>,
    cycle: Option<i64>,
    beams: &'a [floe_io::icesat2::Beam],
    variables: Vec<VariableInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<Stats>,
}

async fn granule_info(granule: &Granule, args: &InfoArgs, index: Stats) -> anyhow::Result<()> {
    let mut variables = Vec::new();
    if let Some(beam) = granule.beams.first() {
        let prefix = format!("/{}/", beam.name);
        for info in granule.beam_datasets(&beam.name).await? {
            variables.push(VariableInfo {
                path: info.path.trim_start_matches(&prefix).to_owned(),
                data_type: info.dtype.name(),
                shape: info.shape.clone(),
                layout: info.layout_name(),
                filters: info.filters.iter().map(|f| f.label()).collect(),
            });
        }
    }
    let stats = granule.file.byte_source().stats();
    let info = GranuleInfo {
        location: granule.location(),
        product: granule.product.name(),
        release: granule.release.as_deref(),
        rgt: granule.rgt,
        cycle: granule.cycle,
        beams: &granule.beams,
        variables,
        stats: args
            .stats
            .then(|| Stats { requests: stats.requests() + index.requests, bytes: stats.bytes() + index.bytes }),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("{}", info.location);
    println!("  product      {} (release {})", info.product, info.release.unwrap_or("unknown"));
    let show = |v: Option<i64>| v.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    println!("  rgt          {}", show(info.rgt));
    println!("  cycle        {}", show(info.cycle));
    println!("  beams");
    for beam in info.beams {
        println!("    {}  {:6}  {} rows", beam.name, beam.strength, beam.rows);
    }
    let first = info.beams.first().map_or("", |b| b.name.as_str());
    println!("  variables (per beam, as in {first})");
    for v in &info.variables {
        let filters = if v.filters.is_empty() { String::new() } else { format!(" [{}]", v.filters.join(", ")) };
        println!("    {}  {} {:?}  {}{filters}", v.path, v.data_type, v.shape, v.layout);
    }
    if let Some(stats) = &info.stats {
        println!("  fetched      {} requests, {} bytes", stats.requests, stats.bytes);
    }
    Ok(())
}

/// `floe info --tree`: every group and dataset of any HDF5 file, with attributes.
async fn tree(input: &str) -> anyhow::Result<()> {
    let file = Hdf5File::open(Arc::new(floe_io::source::open_input(input).await?)).await?;
    for node in file.walk().await? {
        let depth = node.path.matches('/').count().saturating_sub(1);
        let indent = "  ".repeat(depth);
        let name = node.path.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("");
        match node.kind {
            NodeKind::Dataset => match file.dataset(&node.path).await {
                Ok(info) => {
                    let filters: Vec<String> = info.filters.iter().map(|f| f.label()).collect();
                    let filters = if filters.is_empty() { String::new() } else { format!(" [{}]", filters.join(", ")) };
                    println!("{indent}{name}  {} {:?}  {}{filters}", info.dtype.name(), info.shape, info.layout_name());
                }
                Err(e) => println!("{indent}{name}  ({e})"),
            },
            NodeKind::Group => println!("{indent}{name}/"),
            NodeKind::Other => println!("{indent}{name}  (link or other object)"),
        }
        if node.kind != NodeKind::Other {
            for (key, value) in file.attributes(&node.path).await.unwrap_or_default() {
                println!("{indent}  @{key} = {value}");
            }
        }
    }
    Ok(())
}
