//! `floe index`: the spatial chunk index of granules (see `floe_io::icesat2::GranuleIndex`), one GeoParquet file;
//! with `--kerchunk`, kerchunk references of each granule too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use floe_io::icesat2::Granule;
use floe_io::source::ByteSource as _;

use crate::cli::IndexArgs;

pub fn run(args: &IndexArgs) -> anyhow::Result<()> {
    let runtime = crate::runtime()?;
    // Directories and s3:// prefixes stand for every granule under them.
    let mut granules = Vec::new();
    for input in &args.inputs {
        granules.extend(runtime.block_on(floe_io::source::list_granules(input))?);
    }
    let args = &IndexArgs { inputs: granules, ..args.clone() };
    let inputs: Vec<&str> = args.inputs.iter().map(String::as_str).collect();
    if !args.out.to_string_lossy().ends_with('/') {
        crate::output::check(&args.out, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&args.out)))?;
    }
    let kerchunk_paths = match &args.kerchunk {
        Some(target) => Some(kerchunk_paths(target, &args.inputs)?),
        None => None,
    };
    for path in kerchunk_paths.iter().flatten() {
        crate::output::check(path, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(path)))?;
    }
    let started = std::time::Instant::now();
    let mut indexes = Vec::new();
    let (mut read, mut size) = (0, 0);
    let bar = crate::cli::progress_bar::counter(args.inputs.len() as u64, "granules");
    bar.set_prefix("0.0 MB");
    for (number, input) in args.inputs.iter().enumerate() {
        bar.set_message(input.clone());
        let (index, references, fetched, bytes) = runtime.block_on(async {
            let source = Arc::new(floe_io::source::open_input(input).await?);
            let granule = Granule::open(source.clone()).await?;
            let index = granule.chunk_index().await?;
            let references = match &kerchunk_paths {
                Some(_) => Some(granule.kerchunk_references(input).await?),
                None => None,
            };
            Ok::<_, floe_io::IoError>((index, references, source.stats().bytes(), source.size()))
        })?;
        bar.inc(1);
        bar.set_prefix(format!("{:.1} MB", (read + fetched) as f64 / 1e6));
        say(
            &bar,
            format!(
                "{input}: {} chunks of {} datasets in {} beams",
                index.rows.len(),
                index.datasets.len(),
                index.rows.iter().map(|r| r.beam.as_str()).collect::<std::collections::BTreeSet<_>>().len()
            ),
        );
        if let (Some((references, left_out)), Some(path)) =
            (references, kerchunk_paths.as_ref().and_then(|p| p.get(number)))
        {
            let text = references.to_string();
            floe_io::write_file_atomically(path, |out| {
                std::io::Write::write_all(out, text.as_bytes()).map_err(|e| floe_io::IoError::Write {
                    location: path.display().to_string(),
                    message: e.to_string(),
                    source: Some(Box::new(e)),
                })
            })?;
            say(&bar, format!("wrote {}: kerchunk references", path.display()));
            for reason in left_out {
                say(&bar, format!("  left out of the references: {reason}"));
            }
        }
        (read, size) = (read + fetched, size + bytes);
        indexes.push(index);
    }
    bar.finish_and_clear();
    // `DIR/`: one file per product, hive-partitioned, so a reader lists only the products it wants.
    let partitioned = args.out.to_string_lossy().ends_with('/');
    let mut products: Vec<floe_io::icesat2::Product> = indexes.iter().map(|i| i.product).collect();
    products.sort_by_key(|p| p.name());
    products.dedup();
    let parts: Vec<(PathBuf, Vec<floe_io::icesat2::GranuleIndex>)> = if partitioned {
        products
            .iter()
            .map(|product| {
                let part = args.out.join(format!("product={}", product.name())).join("index.parquet");
                (part, indexes.iter().filter(|i| i.product == *product).cloned().collect())
            })
            .collect()
    } else {
        vec![(args.out.clone(), indexes.clone())]
    };
    for (path, part) in parts {
        if let Some(parent) = path.parent().filter(|_| partitioned) {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("{}: cannot make the directory: {e}", parent.display()))?;
        }
        crate::output::check(&path, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&path)))?;
        let summary = floe_io::icesat2::write_index_file(&path, &part)?;
        eprintln!(
            "wrote {}: {} chunks from {} granule(s), {:.1} MB",
            path.display(),
            summary.rows,
            part.len(),
            summary.bytes as f64 / 1e6
        );
    }
    eprintln!(
        "read {:.1} of {:.1} MB from {} granule(s) in {:.1} s",
        read as f64 / 1e6,
        size as f64 / 1e6,
        indexes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where each granule's references go: the `.json` file named for one granule, `DIR/<granule>.json` otherwise.
fn kerchunk_paths(target: &Path, inputs: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let is_file = target.extension().is_some_and(|e| e == "json");
    if is_file {
        anyhow::ensure!(
            inputs.len() == 1,
            "--kerchunk {}: one .json file holds one granule's references; name a directory for {} granules",
            target.display(),
            inputs.len()
        );
        return Ok(vec![target.to_path_buf()]);
    }
    std::fs::create_dir_all(target)
        .map_err(|e| anyhow::anyhow!("--kerchunk {}: cannot make the directory: {e}", target.display()))?;
    Ok(inputs
        .iter()
        .map(|input| {
            let name = input.rsplit('/').next().unwrap_or(input);
            let stem = name.strip_suffix(".h5").unwrap_or(name);
            target.join(format!("{stem}.json"))
        })
        .collect())
}

/// A line above the progress bar (on stderr as it is when there is no bar).
fn say(bar: &indicatif::ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
