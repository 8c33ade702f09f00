//! A granule described from outside its file — by a Floe chunk index or by kerchunk references — so that opening
//! it and reading its datasets fetch chunks only, never the HDF5 metadata: the objects a granule read needs, with
//! their attributes, and datasets whose chunks are listed. An object the description does not know is looked up in
//! the file as usual (a request or a few), so a partial description is slower, never wrong.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

use crate::error::{IoError, Result};
use crate::hdf5::{AttributeValue, ChunkIndex, DatasetInfo, Dtype, Filter, Hdf5File, LayoutInfo, StoredChunk, Values};

/// One stored chunk as a Floe index row gives it.
#[derive(Clone, Copy, Debug)]
pub struct IndexedChunk {
    pub row_start: u64,
    pub address: u64,
    pub size: u64,
    pub filter_mask: u32,
}

/// What a description knows of a granule's objects.
#[derive(Debug, Default)]
pub struct Described {
    datasets: HashMap<String, DatasetInfo>,
    attributes: HashMap<String, Vec<(String, AttributeValue)>>,
    /// Paths the description knows are not in the file.
    absent: HashSet<String>,
    /// The beam groups in the file, when the description knows them all.
    pub beams: Option<Vec<String>>,
    /// Groups whose every dataset the description lists: a path in one that it does not describe is not in the
    /// file (no look in the file for it) — unless it is in `undescribed`.
    complete_groups: HashSet<String>,
    /// Datasets listed but not described (a type or codec a description cannot carry): read from the file.
    undescribed: HashSet<String>,
}

/// The group a path lies in (`/` for a top-level object).
fn parent(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((group, _)) => group,
    }
}

/// A number as JSON, with NaN and the infinities as the strings Zarr v2 writes for them.
pub fn number_json(value: f64) -> Value {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if value.fract() == 0.0 && value.abs() < 9e15 {
        serde_json::json!(value as i64)
    } else {
        serde_json::json!(value)
    }
}

/// The attributes a read needs of a dataset (`_FillValue`, `units`) as JSON: numbers as numbers (NaN and the
/// infinities as strings, as Zarr writes them), text as text.
pub fn attributes_json(attributes: &[(String, AttributeValue)]) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (name, value) in attributes.iter().filter(|(k, _)| k == "_FillValue" || k == "units") {
        let json = match value {
            AttributeValue::Numbers(v) => v.first().map(|x| number_json(*x)),
            AttributeValue::Integers(v) => v.first().map(|x| serde_json::json!(x)),
            AttributeValue::Strings(v) => v.first().map(|x| serde_json::json!(x)),
            AttributeValue::Unsupported(_) => None,
        };
        if let Some(json) = json {
            out.insert(name.clone(), json);
        }
    }
    out
}

/// A JSON number, or one of Zarr's strings for NaN and the infinities.
fn json_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A JSON attribute value as an HDF5 one (`_FillValue` strings NaN/Infinity as numbers).
fn attribute_value(name: &str, value: &Value) -> Option<AttributeValue> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    if items.iter().all(|v| v.is_i64()) {
        return Some(AttributeValue::Integers(items.iter().filter_map(|v| v.as_i64()).collect()));
    }
    if items.iter().all(|v| v.is_number()) || (name == "_FillValue" && items.iter().all(|v| json_number(v).is_some())) {
        return Some(AttributeValue::Numbers(items.iter().filter_map(|v| json_number(v)).collect()));
    }
    if items.iter().all(|v| v.is_string()) {
        return Some(AttributeValue::Strings(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()));
    }
    None
}

/// The element type of a Floe index's `dtype` (`float64`, `uint8`, `int16 (big-endian)`); `None` for others.
fn dtype_of_name(name: &str) -> Option<Dtype> {
    let (name, big_endian) = match name.strip_suffix(" (big-endian)") {
        Some(name) => (name, true),
        None => (name, false),
    };
    let bytes = |bits: &str| bits.parse::<usize>().ok().filter(|b| [8, 16, 32, 64].contains(b)).map(|b| b / 8);
    if let Some(bits) = name.strip_prefix("float") {
        return bytes(bits).filter(|s| *s >= 4).map(|size| Dtype::Float { size, big_endian });
    }
    if let Some(bits) = name.strip_prefix("uint") {
        return bytes(bits).map(|size| Dtype::Int { size, signed: false, big_endian });
    }
    name.strip_prefix("int").and_then(bytes).map(|size| Dtype::Int { size, signed: true, big_endian })
}

/// The element type of a Zarr v2 (numpy) type string (`<f8`, `|u1`, `>i2`); `None` for others.
fn dtype_of_zarr(name: &str) -> Option<Dtype> {
    let mut chars = name.chars();
    let big_endian = chars.next()? == '>';
    let kind = chars.next()?;
    let size: usize = chars.as_str().parse().ok().filter(|s| [1, 2, 4, 8].contains(s))?;
    match kind {
        'f' if size >= 4 => Some(Dtype::Float { size, big_endian }),
        'i' => Some(Dtype::Int { size, signed: true, big_endian }),
        'u' => Some(Dtype::Int { size, signed: false, big_endian }),
        _ => None,
    }
}

/// One element of `dtype` holding `value`, as stored.
fn element_bytes(dtype: &Dtype, value: f64) -> Option<Vec<u8>> {
    let (bytes, big): (Vec<u8>, bool) = match *dtype {
        Dtype::Float { size: 4, big_endian } => ((value as f32).to_le_bytes().to_vec(), big_endian),
        Dtype::Float { size: 8, big_endian } => (value.to_le_bytes().to_vec(), big_endian),
        Dtype::Int { size, signed, big_endian } if value.is_finite() => {
            let all = if signed { (value as i64).to_le_bytes() } else { (value as u64).to_le_bytes() };
            (all.get(..size)?.to_vec(), big_endian)
        }
        _ => return None,
    };
    Some(if big { bytes.into_iter().rev().collect() } else { bytes })
}

/// An HDF5 filter pipeline entry of a filter's name or numcodecs id (`deflate`/`zlib`, `shuffle`, `fletcher32`).
fn filter_of(name: &str, element: usize) -> Option<Filter> {
    let (id, client_data) = match name {
        "deflate" | "zlib" => (1, Vec::new()),
        "shuffle" => (2, vec![element as u32]),
        "fletcher32" => (3, Vec::new()),
        _ => return None,
    };
    Some(Filter { id, name: String::new(), client_data })
}

/// A dataset whose chunks are listed: `chunks` as (offset in elements, address, size, filter mask, inline bytes).
fn listed_dataset(
    path: &str,
    shape: Vec<u64>,
    chunk_shape: Vec<u64>,
    dtype: Dtype,
    filters: Vec<Filter>,
    fill: Option<Vec<u8>>,
    chunks: Vec<StoredChunk>,
) -> DatasetInfo {
    let layout = LayoutInfo::Chunked { chunk: chunk_shape, index: ChunkIndex::Listed(Arc::new(chunks)) };
    DatasetInfo::described(path.to_owned(), shape, dtype, layout, filters, fill)
}

/// A small dataset held whole in the description.
fn compact_dataset(path: &str, dtype: Dtype, bytes: Vec<u8>) -> DatasetInfo {
    let shape = vec![(bytes.len() / dtype.size().max(1)) as u64];
    DatasetInfo::described(path.to_owned(), shape, dtype, LayoutInfo::Compact(Bytes::from(bytes)), Vec::new(), None)
}

impl Described {
    /// From one granule's entry of a Floe index's `floe:granules` metadata and its chunk rows (by dataset path:
    /// the first row of each chunk, its address, size and filter mask). Datasets whose type or filters the entry
    /// cannot describe are left to the file.
    pub fn from_index(location: &str, entry: &Value, mut chunks: HashMap<String, Vec<IndexedChunk>>) -> Result<Self> {
        let bad = |what: &str| IoError::Format {
            location: location.to_owned(),
            message: format!("not a Floe index: the granule entry {what}"),
        };
        let metadata = entry.get("metadata").ok_or_else(|| bad("has no metadata"))?;
        let product = metadata.get("product").and_then(Value::as_str).ok_or_else(|| bad("names no product"))?;
        let mut described = Described::default();
        described
            .attributes
            .insert("/".into(), vec![("short_name".into(), AttributeValue::Strings(vec![product.into()]))]);
        let release = metadata.get("release").and_then(Value::as_str);
        described.attributes.insert(
            "/METADATA/DatasetIdentification".into(),
            release.map(|r| ("VersionID".to_owned(), AttributeValue::Strings(vec![r.into()]))).into_iter().collect(),
        );
        let integer = Dtype::Int { size: 8, signed: true, big_endian: false };
        for (key, path) in [("rgt", "/orbit_info/rgt"), ("cycle", "/orbit_info/cycle_number")] {
            match metadata.get(key).and_then(Value::as_i64) {
                Some(v) => {
                    described
                        .datasets
                        .insert(path.into(), compact_dataset(path, integer.clone(), v.to_le_bytes().to_vec()));
                }
                None => {
                    described.absent.insert(path.into());
                }
            }
        }
        // Indexes made before the epoch was recorded leave it to the file.
        if let Some(epoch) = metadata.get("sdp_epoch").and_then(Value::as_f64) {
            let path = "/ancillary_data/atlas_sdp_gps_epoch";
            let float = Dtype::Float { size: 8, big_endian: false };
            described.datasets.insert(path.into(), compact_dataset(path, float, epoch.to_le_bytes().to_vec()));
        }
        let mut beams = Vec::new();
        for beam in metadata.get("beams").and_then(Value::as_array).ok_or_else(|| bad("lists no beams"))? {
            let name = beam.get("name").and_then(Value::as_str).ok_or_else(|| bad("has a beam without a name"))?;
            let mut attributes = Vec::new();
            if let Some(strength) = beam.get("strength").and_then(Value::as_str) {
                attributes.push(("atlas_beam_type".to_owned(), AttributeValue::Strings(vec![strength.into()])));
            }
            if let Some(spot) = beam.get("spot").and_then(Value::as_u64) {
                attributes.push(("atlas_spot_number".to_owned(), AttributeValue::Strings(vec![spot.to_string()])));
            }
            described.attributes.insert(format!("/{name}"), attributes);
            beams.push(name.to_owned());
        }
        described.beams = Some(beams);
        for dataset in entry.get("datasets").and_then(Value::as_array).ok_or_else(|| bad("lists no datasets"))? {
            let Some(path) = dataset.get("path").and_then(Value::as_str) else { continue };
            described.complete_groups.insert(parent(path).to_owned());
            // Until it is described below.
            described.undescribed.insert(path.to_owned());
            let numbers =
                |key: &str| -> Option<Vec<u64>> { dataset.get(key)?.as_array()?.iter().map(Value::as_u64).collect() };
            let (Some(dtype), Some(shape)) =
                (dataset.get("dtype").and_then(Value::as_str).and_then(dtype_of_name), numbers("shape"))
            else {
                continue;
            };
            let element = dtype.size();
            let filters: Option<Vec<Filter>> = dataset
                .get("filters")
                .and_then(Value::as_array)
                .map(|f| f.iter().map(|name| name.as_str().and_then(|n| filter_of(n, element))).collect())
                .unwrap_or(Some(Vec::new()));
            let Some(filters) = filters else { continue };
            let fill = dataset.get("fill_value").and_then(Value::as_str).and_then(|hex| {
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                    .collect::<Option<Vec<u8>>>()
            });
            let chunk_shape = numbers("chunk_shape");
            let rows = chunks.remove(path).unwrap_or_default();
            // One chunk across every dimension but the first: a chunk's first row says where it is.
            let whole_rows = chunk_shape.as_ref().is_none_or(|c| c.get(1..) == shape.get(1..));
            if !whole_rows {
                continue;
            }
            let stored: Vec<StoredChunk> = rows
                .into_iter()
                .map(|c| {
                    let mut offset = vec![0; shape.len().max(1)];
                    offset[0] = c.row_start;
                    StoredChunk { offset, address: c.address, size: c.size, filter_mask: c.filter_mask, inline: None }
                })
                .collect();
            let info = match chunk_shape {
                Some(chunk_shape) => listed_dataset(path, shape, chunk_shape, dtype, filters, fill, stored),
                None => {
                    let (address, size) = stored.first().map_or((None, 0), |c| (Some(c.address), c.size));
                    DatasetInfo::described(
                        path.to_owned(),
                        shape,
                        dtype,
                        LayoutInfo::Contiguous { address, size },
                        filters,
                        fill,
                    )
                }
            };
            described.datasets.insert(path.to_owned(), info);
            described.undescribed.remove(path);
            if let Some(attributes) = dataset.get("attributes").and_then(Value::as_object) {
                let values = attributes.iter().filter_map(|(k, v)| Some((k.clone(), attribute_value(k, v)?))).collect();
                described.attributes.insert(path.to_owned(), values);
            }
        }
        Ok(described)
    }

    /// From kerchunk references (version 1, or version 0: the references alone) to one HDF5 file, as kerchunk's
    /// `SingleHdf5ToZarr` or `floe index --kerchunk` write them; returns the referenced file's URL too. Arrays
    /// whose type or codecs Floe cannot decode are left to the file.
    pub fn from_references(location: &str, references: &Value) -> Result<(String, Self)> {
        let bad = |what: String| IoError::Format {
            location: location.to_owned(),
            message: format!("kerchunk references: {what}"),
        };
        let refs =
            references.get("refs").unwrap_or(references).as_object().ok_or_else(|| bad("no `refs` object".into()))?;
        let templates: HashMap<String, String> = references
            .get("templates")
            .and_then(Value::as_object)
            .map(|t| t.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default();
        let expand = |url: &str| {
            templates.iter().fold(url.to_owned(), |url, (name, value)| url.replace(&format!("{{{{{name}}}}}"), value))
        };
        let metadata = |key: &str| -> Option<Value> {
            match refs.get(key)? {
                Value::String(text) => serde_json::from_str(text).ok(),
                Value::Object(_) => refs.get(key).cloned(),
                _ => None,
            }
        };
        let mut described = Described::default();
        let mut url: Option<String> = None;
        let mut beams = Vec::new();
        for key in refs.keys() {
            let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key.as_str()));
            let path = format!("/{prefix}");
            match name {
                ".zattrs" => {
                    let Some(Value::Object(attributes)) = metadata(key) else { continue };
                    let values = attributes
                        .iter()
                        .filter(|(k, _)| k.as_str() != "_ARRAY_DIMENSIONS")
                        .filter_map(|(k, v)| Some((k.clone(), attribute_value(k, v)?)))
                        .collect();
                    described.attributes.insert(path, values);
                }
                ".zgroup" => {
                    // A group without `.zattrs` has no attributes (it is there all the same).
                    described.attributes.entry(path.clone()).or_default();
                    described.complete_groups.insert(path.clone());
                    if crate::icesat2::BEAMS.contains(&prefix) {
                        beams.push(prefix.to_owned());
                    }
                }
                ".zarray" => {
                    let Some(zarray) = metadata(key) else {
                        described.undescribed.insert(path);
                        continue;
                    };
                    match Self::reference_array(&path, prefix, &zarray, refs, &expand)? {
                        Some((info, target)) => {
                            if let Some(target) = target {
                                match &url {
                                    None => url = Some(target),
                                    Some(known) if *known != target => {
                                        return Err(bad(format!("they point at several files ({known}, {target})")));
                                    }
                                    Some(_) => {}
                                }
                            }
                            described.datasets.insert(path, info);
                        }
                        None => {
                            described.undescribed.insert(path);
                        }
                    }
                }
                _ => {}
            }
        }
        beams.sort();
        described.beams = Some(beams);
        let url = url.ok_or_else(|| bad("no chunk points at a file".into()))?;
        Ok((url, described))
    }

    /// One array of kerchunk references: its description and the URL its chunks point at; `None` when Floe cannot
    /// decode it (the file's own metadata then serves it).
    #[allow(clippy::type_complexity)]
    fn reference_array(
        path: &str,
        prefix: &str,
        zarray: &Value,
        refs: &serde_json::Map<String, Value>,
        expand: &dyn Fn(&str) -> String,
    ) -> Result<Option<(DatasetInfo, Option<String>)>> {
        let numbers =
            |key: &str| -> Option<Vec<u64>> { zarray.get(key)?.as_array()?.iter().map(Value::as_u64).collect() };
        let (Some(dtype), Some(shape), Some(chunk_shape)) =
            (zarray.get("dtype").and_then(Value::as_str).and_then(dtype_of_zarr), numbers("shape"), numbers("chunks"))
        else {
            return Ok(None);
        };
        if zarray.get("order").and_then(Value::as_str).is_some_and(|o| o != "C") || chunk_shape.len() != shape.len() {
            return Ok(None);
        }
        let element = dtype.size();
        // Zarr applies its filters in order, then the compressor: HDF5's pipeline order.
        let mut codecs: Vec<&Value> =
            zarray.get("filters").and_then(Value::as_array).map(|f| f.iter().collect()).unwrap_or_default();
        codecs.extend(zarray.get("compressor").filter(|c| !c.is_null()));
        let filters: Option<Vec<Filter>> = codecs
            .iter()
            .map(|codec| {
                let id = codec.get("id").and_then(Value::as_str)?;
                let mut filter = filter_of(id, element)?;
                if id == "shuffle" {
                    let size = codec.get("elementsize").and_then(Value::as_u64).unwrap_or(element as u64);
                    filter.client_data = vec![u32::try_from(size).ok()?];
                }
                Some(filter)
            })
            .collect();
        let Some(filters) = filters else { return Ok(None) };
        let fill = zarray.get("fill_value").and_then(json_number).and_then(|v| element_bytes(&dtype, v));
        let separator = zarray.get("dimension_separator").and_then(Value::as_str).unwrap_or(".");
        let grid: Vec<u64> = shape.iter().zip(&chunk_shape).map(|(s, c)| s.div_ceil((*c).max(1))).collect();
        let mut chunks = Vec::new();
        let mut target = None;
        let key_prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        // Every chunk of the grid: a reference absent is a chunk never written (the fill value).
        let count: u64 = grid.iter().product();
        if count > 100_000_000 {
            return Ok(None);
        }
        let mut index = vec![0u64; grid.len()];
        for _ in 0..count {
            let name: Vec<String> = index.iter().map(u64::to_string).collect();
            let key = if shape.is_empty() {
                format!("{key_prefix}0")
            } else {
                format!("{key_prefix}{}", name.join(separator))
            };
            let offset: Vec<u64> = index.iter().zip(&chunk_shape).map(|(i, c)| i * c).collect();
            match refs.get(&key) {
                None => {}
                Some(Value::String(text)) => {
                    let inline = match text.strip_prefix("base64:") {
                        Some(encoded) => match base64::engine::general_purpose::STANDARD.decode(encoded) {
                            Ok(bytes) => bytes,
                            Err(_) => return Ok(None),
                        },
                        None => text.as_bytes().to_vec(),
                    };
                    let size = inline.len() as u64;
                    chunks.push(StoredChunk {
                        offset,
                        address: 0,
                        size,
                        filter_mask: 0,
                        inline: Some(Bytes::from(inline)),
                    });
                }
                Some(Value::Array(parts)) => {
                    let (Some(url), Some(address), Some(size)) = (
                        parts.first().and_then(Value::as_str),
                        parts.get(1).and_then(Value::as_u64),
                        parts.get(2).and_then(Value::as_u64),
                    ) else {
                        // A whole-file reference: not an HDF5 chunk.
                        return Ok(None);
                    };
                    let url = expand(url);
                    match &target {
                        None => target = Some(url),
                        Some(known) if *known != url => return Ok(None),
                        Some(_) => {}
                    }
                    chunks.push(StoredChunk { offset, address, size, filter_mask: 0, inline: None });
                }
                Some(_) => return Ok(None),
            }
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < grid[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        let shape = if shape.is_empty() { vec![1] } else { shape };
        let chunk_shape = if chunk_shape.is_empty() { vec![1] } else { chunk_shape };
        Ok(Some((listed_dataset(path, shape, chunk_shape, dtype, filters, fill, chunks), target)))
    }
}

/// A granule's objects: what a description knows, else the file.
#[derive(Clone, Copy)]
pub struct Objects<'a> {
    pub file: &'a Hdf5File,
    pub described: Option<&'a Described>,
}

impl Described {
    /// The described datasets whose paths start with `prefix`, by path.
    pub fn datasets_under(&self, prefix: &str) -> Vec<DatasetInfo> {
        let mut out: Vec<DatasetInfo> =
            self.datasets.values().filter(|d| d.path.starts_with(prefix)).cloned().collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Whether the description knows `path` is not in the file.
    fn knows_absent(&self, path: &str) -> bool {
        if self.absent.contains(path) {
            return true;
        }
        if self.datasets.contains_key(path) || self.attributes.contains_key(path) || self.undescribed.contains(path) {
            return false;
        }
        // Under a group listed whole, a path is there only if something listed lies below it (a subgroup).
        let mut group = parent(path);
        loop {
            if self.complete_groups.contains(group) {
                let below = format!("{path}/");
                return !self.datasets.keys().chain(&self.undescribed).any(|k| k.starts_with(&below));
            }
            if group == "/" {
                return false;
            }
            group = parent(group);
        }
    }
}

impl Objects<'_> {
    fn absent(&self, path: &str) -> IoError {
        IoError::NotFound { location: self.file.location.to_string(), object: path.to_owned() }
    }

    pub async fn dataset(&self, path: &str) -> Result<DatasetInfo> {
        if let Some(described) = self.described {
            if let Some(info) = described.datasets.get(path) {
                return Ok(info.clone());
            }
            if described.knows_absent(path) {
                return Err(self.absent(path));
            }
        }
        self.file.dataset(path).await
    }

    pub async fn attributes(&self, path: &str) -> Result<Vec<(String, AttributeValue)>> {
        if let Some(described) = self.described {
            if let Some(attributes) = described.attributes.get(path) {
                return Ok(attributes.clone());
            }
            if described.knows_absent(path) {
                return Err(self.absent(path));
            }
        }
        self.file.attributes(path).await
    }

    pub async fn read_path(&self, path: &str) -> Result<Values> {
        let info = self.dataset(path).await?;
        self.file.read(&info, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_of_the_index_and_of_zarr() {
        assert_eq!(dtype_of_name("float64"), Some(Dtype::Float { size: 8, big_endian: false }));
        assert_eq!(dtype_of_name("uint8"), Some(Dtype::Int { size: 1, signed: false, big_endian: false }));
        assert_eq!(dtype_of_name("int16 (big-endian)"), Some(Dtype::Int { size: 2, signed: true, big_endian: true }));
        assert_eq!(dtype_of_name("string[8]"), None);
        assert_eq!(dtype_of_zarr("<f4"), Some(Dtype::Float { size: 4, big_endian: false }));
        assert_eq!(dtype_of_zarr("|i1"), Some(Dtype::Int { size: 1, signed: true, big_endian: false }));
        assert_eq!(dtype_of_zarr(">u8"), Some(Dtype::Int { size: 8, signed: false, big_endian: true }));
        assert_eq!(dtype_of_zarr("<U8"), None);
    }

    #[test]
    fn a_group_listed_whole_knows_what_it_lacks() {
        let mut described = Described::default();
        let float = Dtype::Float { size: 8, big_endian: false };
        let path = "/gt1l/land_ice_segments/h_li";
        described.datasets.insert(path.into(), compact_dataset(path, float.clone(), vec![0; 8]));
        let nested = "/gt1l/land_ice_segments/fit_statistics/n_fit";
        described.datasets.insert(nested.into(), compact_dataset(nested, float, vec![0; 8]));
        described.complete_groups.insert("/gt1l/land_ice_segments".into());
        described.complete_groups.insert("/gt1l/land_ice_segments/fit_statistics".into());
        assert!(!described.knows_absent(path));
        assert!(described.knows_absent("/gt1l/land_ice_segments/h_li_sigma"));
        // A subgroup with nothing listed below it is not there; one with a dataset below it is.
        assert!(described.knows_absent("/gt1l/land_ice_segments/ground_track/x_atc"));
        assert!(!described.knows_absent("/gt1l/land_ice_segments/fit_statistics"));
        // Outside every group listed whole, the file says.
        assert!(!described.knows_absent("/gt1l/geolocation/segment_id"));
        assert!(!described.knows_absent("/orbit_info/rgt"));
    }

    #[test]
    fn fill_values_become_the_bytes_of_one_element() {
        let f4 = Dtype::Float { size: 4, big_endian: false };
        assert_eq!(element_bytes(&f4, 3.4028235e38), Some(f32::MAX.to_le_bytes().to_vec()));
        let i2 = Dtype::Int { size: 2, signed: true, big_endian: true };
        assert_eq!(element_bytes(&i2, -2.0), Some(vec![0xff, 0xfe]));
        assert_eq!(json_number(&Value::from("NaN")).map(f64::is_nan), Some(true));
        assert_eq!(number_json(f64::NEG_INFINITY), Value::from("-Infinity"));
    }
}
