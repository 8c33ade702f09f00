//! `floe info`: describe a file or dataset.

use crate::cli::InfoArgs;
use crate::load::open_dataset;

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let options = args.options.dataset_options()?;
    let runtime = crate::runtime()?;
    let info = runtime.block_on(async {
        let dataset = open_dataset(&args.input, &options).await?;
        floe_io::info::describe(&dataset).await
    })?;
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
