//! Kerchunk references (version 1) for a granule's beams: every along-track numeric dataset of each beam's product
//! group as a Zarr v2 array whose chunks point at byte ranges of the HDF5 file, so that xarray/zarr users
//! (fsspec's `ReferenceFileSystem`, VirtualiZarr) get the same chunk map as Floe's index.
//!
//! As kerchunk's own `SingleHdf5ToZarr` writes them: the HDF5 filter pipeline, in order, as Zarr filters (`shuffle`
//! with the element size, `zlib` with its level, `fletcher32`) and no compressor; `fill_value` from `_FillValue`
//! (else the dataset's fill value); `_ARRAY_DIMENSIONS` so xarray can open the groups.

use serde_json::{Map, Value, json};

use super::Granule;
use crate::error::{IoError, Result};
use crate::hdf5::{AttributeValue, DatasetInfo, Dtype, Hdf5File, NodeKind, Values};

/// The Zarr (numpy) type string of an HDF5 element type; `None` for types references cannot describe.
fn zarr_dtype(dtype: &Dtype) -> Option<String> {
    let order = |size: usize, big: bool| {
        if size == 1 {
            '|'
        } else if big {
            '>'
        } else {
            '<'
        }
    };
    match dtype {
        Dtype::Int { size, signed, big_endian } => {
            Some(format!("{}{}{size}", order(*size, *big_endian), if *signed { 'i' } else { 'u' }))
        }
        Dtype::Float { size, big_endian } => Some(format!("{}f{size}", order(*size, *big_endian))),
        _ => None,
    }
}

/// The numcodecs codecs of an HDF5 filter pipeline, in the order HDF5 applies them when writing.
fn zarr_filters(info: &DatasetInfo, element: usize) -> std::result::Result<Vec<Value>, String> {
    info.filters
        .iter()
        .map(|filter| match filter.id {
            1 => Ok(json!({"id": "zlib", "level": filter.client_data.first().copied().unwrap_or(6)})),
            2 => Ok(json!({"id": "shuffle", "elementsize": element})),
            3 => Ok(json!({"id": "fletcher32"})),
            _ => Err(filter.label()),
        })
        .collect()
}

/// A fill value as JSON: a number, or "NaN"/"Infinity"/"-Infinity" as Zarr v2 writes them.
fn fill_json(value: f64) -> Value {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The dataset's fill value as a number: its `_FillValue` attribute, else the HDF5 fill value, else 0.
async fn fill_value(file: &Hdf5File, info: &DatasetInfo, attributes: &[(String, AttributeValue)]) -> Value {
    let attribute = attributes.iter().find(|(k, _)| k == "_FillValue").and_then(|(_, v)| match v {
        AttributeValue::Numbers(n) => n.first().copied(),
        AttributeValue::Integers(i) => i.first().map(|v| *v as f64),
        _ => None,
    });
    let stored = match attribute {
        Some(value) => Some(value),
        None => match info.fill_values(file).await {
            Some(Values::F64(v)) => v.first().copied(),
            Some(Values::F32(v)) => v.first().map(|x| f64::from(*x)),
            Some(other) => other.to_strings().first().and_then(|s| s.parse().ok()),
            None => None,
        },
    };
    fill_json(stored.unwrap_or(0.0))
}

impl Granule {
    /// The granule's beams as kerchunk references; `url` is what the chunk references point at (the granule's
    /// location by default). Datasets whose type or filters references cannot describe are left out and named in
    /// the second value.
    pub async fn kerchunk_references(&self, url: &str) -> Result<(Value, Vec<String>)> {
        let mut refs = Map::new();
        let mut left_out = Vec::new();
        refs.insert(".zgroup".into(), json!({"zarr_format": 2}).to_string().into());
        for beam in &self.beams {
            let group = format!("/{}/{}", beam.name, self.product.group());
            for level in [format!("/{}", beam.name), group.clone()] {
                refs.insert(
                    format!("{}/.zgroup", level.trim_start_matches('/')),
                    json!({"zarr_format": 2}).to_string().into(),
                );
            }
            for node in self.file.walk_under(&group).await? {
                let key = node.path.trim_start_matches('/').to_owned();
                if node.kind == NodeKind::Group {
                    refs.insert(format!("{key}/.zgroup"), json!({"zarr_format": 2}).to_string().into());
                    continue;
                }
                let info = self.file.dataset(&node.path).await?;
                if info.shape.first() != Some(&beam.rows) {
                    continue;
                }
                let Some(dtype) = zarr_dtype(&info.dtype) else {
                    left_out.push(format!("{}: type {}", node.path, info.dtype.name()));
                    continue;
                };
                let filters = match zarr_filters(&info, info.dtype.size()) {
                    Ok(filters) => filters,
                    Err(filter) => {
                        left_out.push(format!("{}: filter {filter}", node.path));
                        continue;
                    }
                };
                let chunks = info.chunk_shape().map_or_else(|| info.shape.clone(), <[u64]>::to_vec);
                let attributes = self.file.attributes(&node.path).await.unwrap_or_default();
                let zarray = json!({
                    "shape": info.shape,
                    "chunks": chunks,
                    "dtype": dtype,
                    "fill_value": fill_value(&self.file, &info, &attributes).await,
                    "order": "C",
                    "filters": if filters.is_empty() { Value::Null } else { Value::Array(filters) },
                    "dimension_separator": ".",
                    "compressor": null,
                    "zarr_format": 2,
                });
                refs.insert(format!("{key}/.zarray"), zarray.to_string().into());
                // Dimension names xarray can share within a group: the beam's rows, then each other extent.
                let dims: Vec<String> = info
                    .shape
                    .iter()
                    .enumerate()
                    .map(|(i, n)| if i == 0 { format!("{}_rows", beam.name) } else { format!("dim_{n}") })
                    .collect();
                refs.insert(format!("{key}/.zattrs"), json!({"_ARRAY_DIMENSIONS": dims}).to_string().into());
                let mut masked = false;
                for chunk in info.stored_chunks(&self.file).await? {
                    if chunk.filter_mask != 0 {
                        masked = true;
                        break;
                    }
                    let index: Vec<String> = chunk
                        .offset
                        .iter()
                        .zip(&chunks)
                        .map(|(offset, size)| (offset / (*size).max(1)).to_string())
                        .collect();
                    refs.insert(format!("{key}/{}", index.join(".")), json!([url, chunk.address, chunk.size]));
                }
                if masked {
                    // A chunk stored with a filter skipped cannot be described by the array's one pipeline.
                    refs.retain(|k, _| !k.starts_with(&format!("{key}/")));
                    left_out.push(format!("{}: a chunk with a filter skipped", node.path));
                }
            }
        }
        if refs.len() <= 1 {
            return Err(IoError::Format {
                location: self.location().to_owned(),
                message: "no along-track dataset kerchunk references can describe".into(),
            });
        }
        Ok((json!({"version": 1, "refs": refs}), left_out))
    }
}
