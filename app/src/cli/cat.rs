//! `floe cat`: print an HDF5 dataset's values, as a user checks a value without Python.

use std::sync::Arc;

use floe_io::hdf5::{AttributeValue, Hdf5File, Values};

use crate::cli::CatArgs;

pub fn run(args: &CatArgs) -> anyhow::Result<()> {
    let rows = args.rows.as_deref().map(parse_rows).transpose()?;
    let runtime = crate::runtime()?;
    let (info, values, fill) = runtime.block_on(async {
        let file = Hdf5File::open(Arc::new(floe_io::source::open_input(&args.input).await?)).await?;
        let info = file.dataset(&args.dataset).await?;
        let values = file.read(&info, rows).await?;
        let attributes = file.attributes(&args.dataset).await.unwrap_or_default();
        let fill = attributes.into_iter().find(|(name, _)| name == "_FillValue").map(|(_, value)| value);
        Ok::<_, floe_io::IoError>((info, values, fill))
    })?;
    let width = info.shape.iter().skip(1).product::<u64>().max(1) as usize;
    let text = values.to_strings();
    if args.json {
        let is_text = matches!(values, floe_io::hdf5::Values::Str(_));
        let item = |s: &String| -> serde_json::Value { if is_text { s.clone().into() } else { json_number(s) } };
        let json = if info.shape.is_empty() {
            // A scalar dataset is a value, not a list of one.
            text.first().map_or(serde_json::Value::Null, item)
        } else if info.shape.len() > 1 {
            text.chunks(width).map(|row| serde_json::Value::Array(row.iter().map(item).collect())).collect()
        } else {
            text.iter().map(item).collect()
        };
        println!("{json}");
    } else {
        for row in text.chunks(width) {
            println!("{}", row.join(" "));
        }
    }
    // On stderr, so stdout stays the values alone for pipes.
    if let Some(note) = fill.and_then(|fill| fill_note(&fill, &values, &text)) {
        eprintln!("{note}");
    }
    Ok(())
}

/// A value as JSON: integers as integers, floats as numbers, and what JSON has no number for as the strings
/// `"NaN"`, `"Infinity"` and `"-Infinity"` (pandas' and JavaScript's names; `json.loads(..., parse_constant)` and
/// `float("Infinity")` read them back).
fn json_number(text: &str) -> serde_json::Value {
    if let Ok(int) = text.parse::<i64>() {
        return int.into();
    }
    if let Ok(int) = text.parse::<u64>() {
        return int.into();
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_nan() => "NaN".into(),
        Ok(v) if v == f64::INFINITY => "Infinity".into(),
        Ok(v) if v == f64::NEG_INFINITY => "-Infinity".into(),
        Ok(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Err(_) => text.into(),
    }
}

fn parse_rows(text: &str) -> anyhow::Result<std::ops::Range<u64>> {
    let (a, b) = text.split_once("..").ok_or_else(|| anyhow::anyhow!("--rows `{text}`: expected A..B"))?;
    let parse =
        |v: &str| v.trim().parse::<u64>().map_err(|_| anyhow::anyhow!("--rows `{text}`: `{v}` is not a row number"));
    let (a, b) = (parse(a)?, parse(b)?);
    anyhow::ensure!(a <= b, "--rows `{text}`: A must not exceed B");
    Ok(a..b)
}

/// Which printed value is the dataset's `_FillValue` (readers turn it into "no data"), and how often it occurs.
fn fill_note(fill: &AttributeValue, values: &Values, text: &[String]) -> Option<String> {
    let fill_text = match (fill, values) {
        // The attribute holds the fill in the dataset's own type: print it as the values are printed.
        (AttributeValue::Numbers(v), Values::F32(_)) => Values::F32(vec![*v.first()? as f32]).to_strings().pop()?,
        (AttributeValue::Numbers(v), _) => Values::F64(vec![*v.first()?]).to_strings().pop()?,
        (AttributeValue::Integers(v), _) => v.first()?.to_string(),
        (AttributeValue::Strings(v), _) => v.first()?.clone(),
        (AttributeValue::Unsupported(_), _) => return None,
    };
    let count = text.iter().filter(|t| **t == fill_text).count();
    Some(format!("_FillValue: {fill_text} (no data; {count} of the {} values printed)", text.len()))
}
