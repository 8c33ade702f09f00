//! `floe cat`: print an HDF5 dataset's values, as a user checks a value without Python.

use std::sync::Arc;

use floe_io::hdf5::Hdf5File;

use crate::cli::CatArgs;

pub fn run(args: &CatArgs) -> anyhow::Result<()> {
    let rows = args.rows.as_deref().map(parse_rows).transpose()?;
    let runtime = crate::runtime()?;
    let (info, values) = runtime.block_on(async {
        let file = Hdf5File::open(Arc::new(floe_io::source::open_input(&args.input).await?)).await?;
        let info = file.dataset(&args.dataset).await?;
        let values = file.read(&info, rows).await?;
        Ok::<_, floe_io::IoError>((info, values))
    })?;
    let width = info.shape.iter().skip(1).product::<u64>().max(1) as usize;
    let text = values.to_strings();
    if args.json {
        let is_text = matches!(values, floe_io::hdf5::Values::Str(_));
        let item = |s: &String| -> serde_json::Value {
            if is_text {
                serde_json::Value::String(s.clone())
            } else {
                // NaN and infinities are not JSON numbers: print them as null.
                s.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        };
        let json: Vec<serde_json::Value> = if info.shape.len() > 1 {
            text.chunks(width).map(|row| serde_json::Value::Array(row.iter().map(item).collect())).collect()
        } else {
            text.iter().map(item).collect()
        };
        println!("{}", serde_json::Value::Array(json));
    } else {
        for row in text.chunks(width) {
            println!("{}", row.join(" "));
        }
    }
    Ok(())
}

fn parse_rows(text: &str) -> anyhow::Result<std::ops::Range<u64>> {
    let (a, b) = text.split_once("..").ok_or_else(|| anyhow::anyhow!("--rows `{text}`: expected A..B"))?;
    let parse =
        |v: &str| v.trim().parse::<u64>().map_err(|_| anyhow::anyhow!("--rows `{text}`: `{v}` is not a row number"));
    let (a, b) = (parse(a)?, parse(b)?);
    anyhow::ensure!(a <= b, "--rows `{text}`: A must not exceed B");
    Ok(a..b)
}
