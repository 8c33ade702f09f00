//! `floe index`: the spatial chunk index of granules (see `floe_io::icesat2::GranuleIndex`), one GeoParquet file.

use std::sync::Arc;

use floe_io::icesat2::Granule;
use floe_io::source::ByteSource as _;

use crate::cli::IndexArgs;

pub fn run(args: &IndexArgs) -> anyhow::Result<()> {
    let inputs: Vec<&str> = args.inputs.iter().map(String::as_str).collect();
    crate::output::check(&args.out, &inputs, args.force).map_err(|r| anyhow::anyhow!(r.cli_message(&args.out)))?;
    let runtime = crate::runtime()?;
    let started = std::time::Instant::now();
    let mut indexes = Vec::new();
    let (mut read, mut size) = (0, 0);
    for input in &args.inputs {
        let (index, fetched, bytes) = runtime.block_on(async {
            let source = Arc::new(floe_io::source::open_input(input).await?);
            let granule = Granule::open(source.clone()).await?;
            let index = granule.chunk_index().await?;
            Ok::<_, floe_io::IoError>((index, source.stats().bytes(), source.size()))
        })?;
        eprintln!(
            "{input}: {} chunks of {} datasets in {} beams",
            index.rows.len(),
            index.datasets.len(),
            index.rows.iter().map(|r| r.beam.as_str()).collect::<std::collections::BTreeSet<_>>().len()
        );
        (read, size) = (read + fetched, size + bytes);
        indexes.push(index);
    }
    let summary = floe_io::icesat2::write_index_file(&args.out, &indexes)?;
    eprintln!(
        "wrote {}: {} chunks from {} granule(s), {:.1} MB; read {:.1} of {:.1} MB in {:.1} s",
        args.out.display(),
        summary.rows,
        indexes.len(),
        summary.bytes as f64 / 1e6,
        read as f64 / 1e6,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
