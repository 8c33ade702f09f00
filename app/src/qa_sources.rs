//! The source granules' rows, by track, as `floe qa --source` and the viewer's QA panel compare a conversion
//! output with them.

use std::collections::BTreeMap;

use anyhow::Context as _;
use arrow_array::cast::AsArray as _;
use arrow_schema::DataType;
use floe_io::icesat2::Surface;
use floe_io::qa::SourceTrack;

use crate::load::Input;

/// Every beam of every source granule (rows inside `aoi` only, when given), keyed by track name, with its numeric
/// variables; ATL03 `signal_conf_ph` for `surface`.
pub async fn read_sources(
    inputs: &[Input],
    aoi: Option<&floe_io::aoi::Aoi>,
    surface: Surface,
) -> anyhow::Result<BTreeMap<String, SourceTrack>> {
    let mut tracks: BTreeMap<String, SourceTrack> = BTreeMap::new();
    for input in inputs {
        let layer = input.open(&floe_io::DatasetOptions::default()).await?;
        let floe_io::PointSource::Granule { granule, .. } = layer else {
            anyhow::bail!("{}: --source must be an ICESat-2 granule (HDF5)", input.name());
        };
        for beam in &granule.beams {
            let batch = granule.read_beam(beam, None, aoi, surface).await?;
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
