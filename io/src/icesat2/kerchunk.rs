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
use base64::Engine as _;

use crate::hdf5::{AttributeValue, DatasetInfo, Dtype, Hdf5File, LayoutInfo, NodeKind, Values};

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
    super::described::number_json(stored.unwrap_or(0.0))
}

/// Adds a `.zgroup` (and `.zattrs`, when there are attributes) for a group at `key` (`""` for the root).
fn group_refs(refs: &mut Map<String, Value>, key: &str, attributes: Map<String, Value>) {
    let prefix = if key.is_empty() { String::new() } else { format!("{key}/") };
    refs.insert(format!("{prefix}.zgroup"), json!({"zarr_format": 2}).to_string().into());
    if !attributes.is_empty() {
        refs.insert(format!("{prefix}.zattrs"), Value::Object(attributes).to_string().into());
    }
}

impl Granule {
    /// The granule's beams as kerchunk references; `url` is what the chunk references point at (the granule's
    /// location by default). With the root's `short_name`, the release, orbit, epoch and beam attributes, so that a
    /// reader (Floe itself) can open the granule from them alone. Datasets whose type or filters references cannot
    /// describe are left out and named in the second value.
    pub async fn kerchunk_references(&self, url: &str) -> Result<(Value, Vec<String>)> {
        let mut refs = Map::new();
        let mut left_out = Vec::new();
        let text = |v: &str| Value::String(v.to_owned());
        group_refs(&mut refs, "", Map::from_iter([("short_name".to_owned(), text(self.product.name()))]));
        group_refs(&mut refs, "METADATA", Map::new());
        let identification = self.release.iter().map(|r| ("VersionID".to_owned(), text(r))).collect();
        group_refs(&mut refs, "METADATA/DatasetIdentification", identification);
        for (group, datasets) in
            [("orbit_info", ["rgt", "cycle_number"].as_slice()), ("ancillary_data", ["atlas_sdp_gps_epoch"].as_slice())]
        {
            group_refs(&mut refs, group, Map::new());
            for name in datasets {
                let path = format!("/{group}/{name}");
                // Absent from some subsets: the reader then falls back on its defaults, as it does for the file.
                if let Ok(info) = self.file.dataset(&path).await {
                    self.array_refs(&info, &mut refs, &mut left_out, url, &|i, n| format!("{name}_dim_{i}_{n}"))
                        .await?;
                }
            }
        }
        for beam in &self.beams {
            let mut beam_attributes = Map::from_iter([("atlas_beam_type".to_owned(), text(&beam.strength))]);
            if let Some(spot) = beam.spot {
                beam_attributes.insert("atlas_spot_number".into(), text(&spot.to_string()));
            }
            group_refs(&mut refs, &beam.name, beam_attributes);
            for (group, _, _, rows) in self.indexed_groups(beam).await {
                for node in self.file.walk_under(&group).await? {
                    let key = node.path.trim_start_matches('/').to_owned();
                    if node.kind == NodeKind::Group {
                        group_refs(&mut refs, &key, Map::new());
                        continue;
                    }
                    let info = self.file.dataset(&node.path).await?;
                    if info.shape.first() != Some(&rows) {
                        continue;
                    }
                    // Dimension names xarray can share within a group: the group's rows, then each other extent.
                    let rows_name = format!("{}_rows", group.trim_start_matches('/').replace('/', "_"));
                    let dims = |i: usize, n: u64| if i == 0 { rows_name.clone() } else { format!("dim_{n}") };
                    self.array_refs(&info, &mut refs, &mut left_out, url, &dims).await?;
                }
            }
        }
        if !refs.keys().any(|k| k.ends_with("/.zarray")) {
            return Err(IoError::Format {
                location: self.location().to_owned(),
                message: "no along-track dataset kerchunk references can describe".into(),
            });
        }
        Ok((json!({"version": 1, "refs": refs}), left_out))
    }

    /// Adds one dataset's `.zarray`, `.zattrs` (`_FillValue`, `units`, dimension names) and chunk references: each
    /// stored chunk by its byte range, compact data inline.
    async fn array_refs(
        &self,
        info: &DatasetInfo,
        refs: &mut Map<String, Value>,
        left_out: &mut Vec<String>,
        url: &str,
        dims: &dyn Fn(usize, u64) -> String,
    ) -> Result<()> {
        let key = info.path.trim_start_matches('/').to_owned();
        let Some(dtype) = zarr_dtype(&info.dtype) else {
            left_out.push(format!("{}: type {}", info.path, info.dtype.name()));
            return Ok(());
        };
        let filters = match zarr_filters(info, info.dtype.size()) {
            Ok(filters) => filters,
            Err(filter) => {
                left_out.push(format!("{}: filter {filter}", info.path));
                return Ok(());
            }
        };
        let chunks = info.chunk_shape().map_or_else(|| info.shape.clone(), <[u64]>::to_vec);
        let attributes = self.file.attributes(&info.path).await.unwrap_or_default();
        let zarray = json!({
            "shape": info.shape,
            "chunks": chunks,
            "dtype": dtype,
            "fill_value": fill_value(&self.file, info, &attributes).await,
            "order": "C",
            "filters": if filters.is_empty() { Value::Null } else { Value::Array(filters) },
            "dimension_separator": ".",
            "compressor": null,
            "zarr_format": 2,
        });
        refs.insert(format!("{key}/.zarray"), zarray.to_string().into());
        let mut zattrs = super::described::attributes_json(&attributes);
        let names: Vec<String> = info.shape.iter().enumerate().map(|(i, n)| dims(i, *n)).collect();
        zattrs.insert("_ARRAY_DIMENSIONS".into(), json!(names));
        refs.insert(format!("{key}/.zattrs"), Value::Object(zattrs).to_string().into());
        let first_chunk = vec!["0"; info.shape.len().max(1)].join(".");
        if let LayoutInfo::Compact(data) = &info.layout {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            refs.insert(format!("{key}/{first_chunk}"), format!("base64:{encoded}").into());
            return Ok(());
        }
        let mut masked = false;
        for chunk in info.stored_chunks(&self.file).await? {
            if chunk.filter_mask != 0 {
                masked = true;
                break;
            }
            let index: Vec<String> =
                chunk.offset.iter().zip(&chunks).map(|(offset, size)| (offset / (*size).max(1)).to_string()).collect();
            let index = if index.is_empty() { first_chunk.clone() } else { index.join(".") };
            refs.insert(format!("{key}/{index}"), json!([url, chunk.address, chunk.size]));
        }
        if masked {
            // A chunk stored with a filter skipped cannot be described by the array's one pipeline.
            refs.retain(|k, _| !k.starts_with(&format!("{key}/")));
            left_out.push(format!("{}: a chunk with a filter skipped", info.path));
        }
        Ok(())
    }
}
