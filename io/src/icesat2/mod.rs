//! ICESat-2 granules (ATL03, ATL06, ATL08) read straight from HDF5 into `PointBatch`es, one beam at a time.
//!
//! The product is recognised from the file's own metadata (`/short_name`, `METADATA/DatasetIdentification`),
//! never its name. Time is `delta_time` + `/ancillary_data/atlas_sdp_gps_epoch` (GPS seconds), shifted by 18
//! leap seconds to UTC. `_FillValue`s become nulls. A bbox reads lat/lon first and then only the row range of
//! the other variables that holds selected points.

mod described;
mod index;
mod kerchunk;
pub use described::Described;
#[cfg(not(target_arch = "wasm32"))]
pub use index::write_index_file;
pub use index::{DatasetDescription, GranuleChunks, GranuleIndex, IndexLookup, IndexRow, index_schema};

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use serde::Serialize;

use crate::batch::PointBatch;
use crate::error::{IoError, Result};
use crate::hdf5::{AttributeValue, Hdf5File, Values};
use crate::lonlat_box::LonLatBox;
use crate::source::ByteSource;

/// Seconds from 1970-01-01 (Unix) to 1980-01-06 (GPS epoch).
const GPS_EPOCH_UNIX: f64 = 315_964_800.0;
/// GPS − UTC since 2017-01-01: every ICESat-2 granule lies after it.
const LEAP_SECONDS: f64 = 18.0;
/// The ATLAS SDP epoch (2018-01-01, GPS seconds) that every release uses; read from the file when present.
const DEFAULT_SDP_EPOCH: f64 = 1_198_800_018.0;
pub const BEAMS: [&str; 6] = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Product {
    #[serde(rename = "ATL03")]
    Atl03,
    #[serde(rename = "ATL06")]
    Atl06,
    #[serde(rename = "ATL08")]
    Atl08,
}

impl Product {
    /// The product of its name (`ATL06`).
    pub fn from_name(name: &str) -> Option<Self> {
        [Product::Atl03, Product::Atl06, Product::Atl08].into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Product::Atl03 => "ATL03",
            Product::Atl06 => "ATL06",
            Product::Atl08 => "ATL08",
        }
    }

    /// The beam subgroup holding the per-row variables.
    fn group(self) -> &'static str {
        match self {
            Product::Atl03 => "heights",
            Product::Atl06 => "land_ice_segments",
            Product::Atl08 => "land_segments",
        }
    }

    /// (column name, path below the group) of the key variables.
    fn variables(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Product::Atl03 => &[("h_ph", "h_ph"), ("quality_ph", "quality_ph"), ("signal_conf_ph", "signal_conf_ph")],
            Product::Atl06 => &[
                ("h_li", "h_li"),
                ("h_li_sigma", "h_li_sigma"),
                ("atl06_quality_summary", "atl06_quality_summary"),
                ("x_atc", "ground_track/x_atc"),
            ],
            Product::Atl08 => &[
                ("h_canopy", "canopy/h_canopy"),
                ("h_te_best_fit", "terrain/h_te_best_fit"),
                ("canopy_openness", "canopy/canopy_openness"),
            ],
        }
    }

    fn coordinates(self) -> (&'static str, &'static str) {
        match self {
            Product::Atl03 => ("lon_ph", "lat_ph"),
            _ => ("longitude", "latitude"),
        }
    }
}

/// ATL03's `signal_conf_ph` has one column per surface type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Surface {
    #[default]
    Land = 0,
    Ocean = 1,
    SeaIce = 2,
    LandIce = 3,
    InlandWater = 4,
}

impl Surface {
    pub const NAMES: [(&'static str, Surface); 5] = [
        ("land", Surface::Land),
        ("ocean", Surface::Ocean),
        ("sea-ice", Surface::SeaIce),
        ("land-ice", Surface::LandIce),
        ("inland-water", Surface::InlandWater),
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| *s)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, s)| *s == self).map_or("land", |(n, _)| n)
    }
}

/// Checks a beam selection (names such as `gt1l`, or `strong`/`weak`; case ignored) and returns it in lower
/// case. An unknown value is an error naming it, never a selection that matches nothing.
pub fn parse_beams(values: &[String]) -> Result<Vec<String>, String> {
    let mut beams = Vec::new();
    let mut unknown = Vec::new();
    for value in values.iter().map(|v| v.trim().to_ascii_lowercase()).filter(|v| !v.is_empty()) {
        if BEAMS.contains(&value.as_str()) || value == "strong" || value == "weak" {
            if !beams.contains(&value) {
                beams.push(value);
            }
        } else {
            unknown.push(format!("`{value}`"));
        }
    }
    if unknown.is_empty() {
        Ok(beams)
    } else {
        Err(format!("unknown beam {}: expected {}, strong or weak", unknown.join(", "), BEAMS.join(", ")))
    }
}

/// The beam name of a SlideRule `gt` code (10 → gt1l … 60 → gt3r).
pub fn beam_name_of_code(code: i64) -> Option<&'static str> {
    if code % 10 != 0 {
        return None;
    }
    usize::try_from(code / 10 - 1).ok().and_then(|i| BEAMS.get(i)).copied()
}

/// A spot's strength: ATLAS spots 1, 3 and 5 are the strong beams, 2, 4 and 6 the weak ones, whatever the
/// spacecraft's orientation (which only changes which ground track each spot lies on).
pub fn spot_strength(spot: i64) -> Option<&'static str> {
    match spot {
        1 | 3 | 5 => Some("strong"),
        2 | 4 | 6 => Some("weak"),
        _ => None,
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Beam {
    pub name: String,
    /// "strong" or "weak", from the beam's `atlas_beam_type` attribute.
    pub strength: String,
    pub spot: Option<u8>,
    pub rows: u64,
}

/// An open granule.
#[derive(Debug)]
pub struct Granule {
    pub file: Arc<Hdf5File>,
    pub product: Product,
    pub release: Option<String>,
    pub rgt: Option<i64>,
    pub cycle: Option<i64>,
    pub beams: Vec<Beam>,
    sdp_epoch: f64,
    /// What a chunk index or kerchunk references describe of the file: reads take datasets and attributes from it
    /// instead of the file's metadata.
    described: Option<Arc<Described>>,
}

fn first_string(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::Strings(s) => s.first().map(|s| s.trim().to_owned()),
        _ => None,
    }
}

fn first_integer(values: &Values) -> Option<i64> {
    values.to_strings().first().and_then(|s| s.parse().ok())
}

impl Granule {
    pub async fn open(source: Arc<dyn ByteSource>) -> Result<Self> {
        Self::open_described(source, None).await
    }

    /// Opens a granule whose objects a chunk index or kerchunk references describe: nothing they describe is read
    /// from the file's metadata.
    pub async fn open_described(source: Arc<dyn ByteSource>, described: Option<Arc<Described>>) -> Result<Self> {
        let file = Arc::new(Hdf5File::open(source).await?);
        let objects = described::Objects { file: &file, described: described.as_deref() };
        let location = file.location.to_string();
        let root = objects.attributes("/").await?;
        let identification = objects.attributes("/METADATA/DatasetIdentification").await.unwrap_or_default();
        let find = |attrs: &[(String, AttributeValue)], key: &str| {
            attrs.iter().find(|(k, _)| k == key).and_then(|(_, v)| first_string(v))
        };
        let short_name = find(&root, "short_name").or_else(|| find(&identification, "shortName")).ok_or_else(|| {
            IoError::NotAGranule {
                location: location.clone(),
                what: "an HDF5 file without a `short_name` attribute or METADATA/DatasetIdentification".into(),
            }
        })?;
        let product = match short_name.as_str() {
            "ATL03" => Product::Atl03,
            "ATL06" => Product::Atl06,
            "ATL08" => Product::Atl08,
            other => {
                let what = if other.starts_with("ATL") {
                    format!("an ICESat-2 {other} granule")
                } else {
                    format!("a {other} file")
                };
                return Err(IoError::NotAGranule { location, what });
            }
        };
        let release = find(&identification, "VersionID");
        let integer =
            |path: &'static str| async move { objects.read_path(path).await.ok().as_ref().and_then(first_integer) };
        let rgt = integer("/orbit_info/rgt").await;
        let cycle = integer("/orbit_info/cycle_number").await;
        let sdp_epoch = match objects.read_path("/ancillary_data/atlas_sdp_gps_epoch").await {
            Ok(Values::F64(v)) if !v.is_empty() => v[0],
            _ => DEFAULT_SDP_EPOCH,
        };
        let mut beams = Vec::new();
        let (lon_name, _) = product.coordinates();
        // A description that lists the beams spares a look for each beam the file lacks.
        let names: Vec<&str> = match described.as_ref().and_then(|d| d.beams.as_ref()) {
            Some(listed) => BEAMS.into_iter().filter(|b| listed.iter().any(|l| l == b)).collect(),
            None => BEAMS.to_vec(),
        };
        for name in names {
            // A beam the granule lacks is skipped; any other failure (the network, a corrupt header) is the open's.
            let attrs = match objects.attributes(&format!("/{name}")).await {
                Ok(attrs) => attrs,
                Err(IoError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let strength = find(&attrs, "atlas_beam_type").unwrap_or_else(|| "unknown".into());
            let spot = find(&attrs, "atlas_spot_number").and_then(|s| s.parse().ok());
            let info = match objects.dataset(&format!("/{name}/{}/{lon_name}", product.group())).await {
                Ok(info) => info,
                Err(IoError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            beams.push(Beam { name: name.to_owned(), strength, spot, rows: info.shape.first().copied().unwrap_or(0) });
        }
        Ok(Self { file, product, release, rgt, cycle, beams, sdp_epoch, described })
    }

    /// The granule's objects: its description's, else the file's.
    fn objects(&self) -> described::Objects<'_> {
        described::Objects { file: &self.file, described: self.described.as_deref() }
    }

    /// Every dataset under `/beam/`, by path: from the description when there is one (no metadata read), else by
    /// walking the file.
    pub async fn beam_datasets(&self, beam: &str) -> Result<Vec<crate::hdf5::DatasetInfo>> {
        let prefix = format!("/{beam}/");
        if let Some(described) = &self.described {
            return Ok(described.datasets_under(&prefix));
        }
        let mut out = Vec::new();
        for node in self.file.walk_under(&format!("/{beam}")).await? {
            if node.kind == crate::hdf5::NodeKind::Dataset {
                out.push(self.file.dataset(&node.path).await?);
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Whether a chunk index or references describe the granule (its reads skip the HDF5 metadata).
    pub fn is_described(&self) -> bool {
        self.described.is_some()
    }

    pub fn location(&self) -> &str {
        &self.file.location
    }

    pub fn num_rows(&self) -> u64 {
        self.beams.iter().map(|b| b.rows).sum()
    }

    /// The numeric columns each batch carries: time, the product's key variables, spot, rgt, cycle.
    pub fn numeric_columns(&self) -> Vec<String> {
        let mut names = vec!["time".to_owned()];
        names.extend(self.product.variables().iter().map(|(name, _)| (*name).to_owned()));
        names.extend(["spot", "rgt", "cycle"].map(str::to_owned));
        names
    }

    /// The `units` attribute of a variable, read from the first beam.
    pub async fn unit(&self, column: &str) -> Option<String> {
        let (_, path) = self.product.variables().iter().find(|(name, _)| *name == column)?;
        let beam = self.beams.first()?;
        let attrs = self.objects().attributes(&format!("/{}/{}/{path}", beam.name, self.product.group())).await.ok()?;
        attrs.into_iter().find(|(k, _)| k == "units").and_then(|(_, v)| first_string(&v))
    }

    /// Every dataset of `beam`'s product group (subgroups included) at row `row`, as `(path under the group, text)`:
    /// the datasets that run along the beam's points (first dimension the beam's length), the ones Floe does not
    /// load included. Reads only the chunks holding that row. What the viewer's *Point* window shows of a picked
    /// point.
    pub async fn row_values(&self, beam: &str, row: u64) -> Result<Vec<(String, String)>> {
        let Some(info) = self.beams.iter().find(|b| b.name == beam) else {
            return Err(IoError::NotFound { location: self.location().to_owned(), object: format!("/{beam}") });
        };
        let group = format!("/{beam}/{}", self.product.group());
        let mut out = Vec::new();
        for node in self.file.walk_under(&group).await? {
            if node.kind != crate::hdf5::NodeKind::Dataset {
                continue;
            }
            let dataset = self.file.dataset(&node.path).await?;
            if dataset.shape.first() != Some(&info.rows) || row >= info.rows {
                continue;
            }
            let name = node.path.strip_prefix(&format!("{group}/")).unwrap_or(&node.path).to_owned();
            let text = match self.file.read(&dataset, Some(row..row + 1)).await {
                Ok(values) => values.to_text(),
                Err(e) => format!("({e})"),
            };
            out.push((name, text));
        }
        out.sort();
        Ok(out)
    }

    /// UTC nanoseconds of a `delta_time` (seconds since the granule's SDP epoch); `None` for fill values.
    fn time_ns(&self, delta_time: f64) -> Option<i64> {
        let d = Some(delta_time).filter(|d| d.is_finite() && d.abs() < 1e12)?;
        // Whole seconds and the fraction apart: f64 nanoseconds since 1970 would lose ~200 ns.
        let whole = d.floor();
        let base = (GPS_EPOCH_UNIX + self.sdp_epoch.round() - LEAP_SECONDS) as i64 + whole as i64;
        let epoch_fraction = self.sdp_epoch - self.sdp_epoch.round();
        Some(base * 1_000_000_000 + ((d - whole + epoch_fraction) * 1e9).round() as i64)
    }

    /// Reads one beam as one batch: the rows inside `bbox` and `aoi` (strictly inside its polygons), when given.
    /// Coordinates are read first; every other variable only in the runs of rows that were kept.
    pub async fn read_beam(
        &self,
        beam: &Beam,
        bbox: Option<LonLatBox>,
        aoi: Option<&crate::aoi::Aoi>,
        surface: Surface,
    ) -> Result<PointBatch> {
        self.read_beam_in(beam, bbox, aoi, surface, None, None).await
    }

    /// [`Granule::read_beam`], and with `time` (UTC ns, both ends included) only the row range between the first and
    /// the last row whose `delta_time` lies in it: `delta_time` is read first, and every other dataset only over that
    /// range. Rows inside the range but outside the window are still returned (the caller's row filter drops them).
    /// `rows`, when given, are the only rows that can hold points inside `bbox`/`aoi` (from a spatial chunk index):
    /// nothing outside them is read.
    pub async fn read_beam_in(
        &self,
        beam: &Beam,
        bbox: Option<LonLatBox>,
        aoi: Option<&crate::aoi::Aoi>,
        surface: Surface,
        time: Option<(i64, i64)>,
        rows: Option<std::ops::Range<u64>>,
    ) -> Result<PointBatch> {
        let bbox = match (bbox, aoi) {
            (Some(b), Some(a)) => Some(b.intersection(&a.bbox)),
            (b, a) => b.or(a.map(|a| a.bbox)),
        };
        // ATL03: the 20 m segment index narrows the photon rows before any photon is read.
        let mut candidates = match (rows, self.product, bbox) {
            // The index's rows are the chunks that meet the area: ATL03's segment index would cost more requests
            // than the few photon chunks it could still drop.
            (Some(rows), _, _) => Some(rows),
            (None, Product::Atl03, Some(b)) => self.atl03_photon_range(&beam.name, beam.rows, b).await?,
            (None, _, _) => None,
        };
        // A described granule's area read: every chunk the read will touch, fetched at once (and what no read took
        // forgotten when the read ends, however it ends).
        let prefetched = match candidates.clone().filter(|r| !r.is_empty() && self.described.is_some()) {
            Some(rows) => self.prefetch_beam(beam, rows).await?,
            None => Vec::new(),
        };
        let _prefetched = Prefetched { file: &self.file, ranges: prefetched };
        let group = format!("/{}/{}", beam.name, self.product.group());
        let (lon_name, lat_name) = self.product.coordinates();
        if let Some((start, end)) = time {
            let delta = self.read_f64(&format!("{group}/delta_time"), candidates.clone()).await?;
            let inside = |d: &f64| self.time_ns(*d).is_some_and(|t| t >= start && t <= end);
            let first = delta.iter().position(inside);
            let last = delta.iter().rposition(inside);
            let base = candidates.as_ref().map_or(0, |r| r.start);
            candidates = Some(match (first, last) {
                (Some(first), Some(last)) => base + first as u64..base + last as u64 + 1,
                _ => base..base,
            });
        }
        let offset = candidates.as_ref().map_or(0, |r| r.start);
        let lon = self.read_f64(&format!("{group}/{lon_name}"), candidates.clone()).await?;
        let lat = self.read_f64(&format!("{group}/{lat_name}"), candidates.clone()).await?;
        let valid = |x: f64, y: f64| x.is_finite() && y.is_finite() && x.abs() <= 360.0 && y.abs() <= 90.0;
        let skipped = lon.iter().zip(&lat).filter(|(x, y)| !valid(**x, **y)).count();
        let selected: Vec<usize> = (0..lon.len().min(lat.len()))
            .filter(|&i| {
                let (x, y) = (lon[i], lat[i]);
                valid(x, y) && bbox.is_none_or(|b| b.contains(x, y)) && aoi.is_none_or(|a| a.contains(x, y))
            })
            .collect();
        let runs = row_runs(&selected, offset);
        let (lon, lat): (Vec<f64>, Vec<f64>) = selected.iter().map(|&i| (lon[i], lat[i])).unzip();
        let mut fields = vec![Field::new("lon", DataType::Float64, false), Field::new("lat", DataType::Float64, false)];
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new(Float64Array::from(lon.clone())), Arc::new(Float64Array::from(lat.clone()))];
        let mut time: Vec<Option<i64>> = Vec::with_capacity(selected.len());
        for run in &runs {
            let delta = self.read_f64(&format!("{group}/delta_time"), Some(run.rows.clone())).await?;
            time.extend(run.picked.iter().map(|&i| self.time_ns(*delta.get(i)?)));
        }
        fields.push(Field::new("time", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true));
        columns.push(Arc::new(TimestampNanosecondArray::from(time).with_timezone("UTC")));
        for (name, path) in self.product.variables() {
            let path = format!("{group}/{path}");
            let array = match self.read_variable(&path, &runs, surface).await {
                Ok(array) => array,
                // A variable missing in this release or subset: the column is all null.
                Err(IoError::NotFound { .. }) => Arc::new(Float32Array::from(vec![None::<f32>; selected.len()])),
                Err(e) => return Err(e),
            };
            fields.push(Field::new(*name, array.data_type().clone(), true));
            columns.push(array);
        }
        if self.product == Product::Atl03 {
            let x_atc = self.atl03_x_atc(&beam.name, &runs, selected.len()).await?;
            fields.push(Field::new("x_atc", DataType::Float64, true));
            columns.push(Arc::new(Float64Array::from(x_atc)));
        }
        let n = selected.len();
        fields.push(Field::new("gt", DataType::Utf8, false));
        columns.push(Arc::new(StringArray::from(vec![beam.name.as_str(); n])));
        fields.push(Field::new("beam_strength", DataType::Utf8, false));
        columns.push(Arc::new(StringArray::from(vec![beam.strength.as_str(); n])));
        fields.push(Field::new("spot", DataType::UInt8, true));
        columns.push(Arc::new(UInt8Array::from(vec![beam.spot; n])));
        fields.push(Field::new("rgt", DataType::Int64, true));
        columns.push(Arc::new(Int64Array::from(vec![self.rgt; n])));
        fields.push(Field::new("cycle", DataType::Int64, true));
        columns.push(Arc::new(Int64Array::from(vec![self.cycle; n])));
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| IoError::Column {
            location: self.location().to_owned(),
            column: beam.name.clone(),
            message: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        let mut bounds = LonLatBox::EMPTY;
        for (x, y) in lon.iter().zip(&lat) {
            bounds.extend(*x, *y);
        }
        let rows: crate::SourceRows = selected.iter().map(|&i| offset + i as u64).collect();
        Ok(PointBatch { batch, bbox: bounds, source: self.file.location.clone(), skipped, rows: Some(rows) })
    }

    /// Fetches, coalesced into few requests, the chunks of `rows` of every dataset a beam read uses (coordinates,
    /// time, the product's variables; ATL03's segment index whole), so that the reads that follow need none.
    async fn prefetch_beam(&self, beam: &Beam, rows: std::ops::Range<u64>) -> Result<Vec<std::ops::Range<u64>>> {
        let group = format!("/{}/{}", beam.name, self.product.group());
        let (lon, lat) = self.product.coordinates();
        let mut paths: Vec<(String, Option<std::ops::Range<u64>>)> = [lon, lat, "delta_time"]
            .into_iter()
            .chain(self.product.variables().iter().map(|(_, path)| *path))
            .map(|name| (format!("{group}/{name}"), Some(rows.clone())))
            .collect();
        if self.product == Product::Atl03 {
            paths.push((format!("{group}/dist_ph_along"), Some(rows.clone())));
            for name in ["ph_index_beg", "segment_ph_cnt", "segment_dist_x"] {
                paths.push((format!("/{}/geolocation/{name}", beam.name), None));
            }
        }
        let objects = self.objects();
        let mut infos = Vec::new();
        for (path, rows) in paths {
            // A dataset the file lacks is the read's to report (or to leave as an empty column).
            if let Ok(info) = objects.dataset(&path).await {
                infos.push((info, rows));
            }
        }
        let reads: Vec<_> = infos.iter().map(|(info, rows)| (info, rows.clone())).collect();
        self.file.prefetch(&reads).await
    }

    /// Photon rows of an ATL03 beam that can lie in `bbox`, from the geolocation segments (reference photon
    /// position, 1-based `ph_index_beg`, `segment_ph_cnt`). `None` when the beam has no segment index.
    async fn atl03_photon_range(
        &self,
        beam: &str,
        photons: u64,
        bbox: LonLatBox,
    ) -> Result<Option<std::ops::Range<u64>>> {
        let group = format!("/{beam}/geolocation");
        let read = |name: &'static str| {
            let path = format!("{group}/{name}");
            async move { self.read_f64(&path, None).await }
        };
        let (lat, lon) = match (read("reference_photon_lat").await, read("reference_photon_lon").await) {
            (Ok(lat), Ok(lon)) => (lat, lon),
            (Err(IoError::NotFound { .. }), _) | (_, Err(IoError::NotFound { .. })) => return Ok(None),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let begin = read("ph_index_beg").await?;
        let count = read("segment_ph_cnt").await?;
        // Photons spread up to a few tens of metres around their segment's reference photon: pad by ~200 m.
        let pad = 0.002;
        let lon_pad = pad / bbox.south.abs().max(bbox.north.abs()).to_radians().cos().max(0.01);
        let padded = LonLatBox::new(bbox.west - lon_pad, bbox.south - pad, bbox.east + lon_pad, bbox.north + pad);
        let mut range: Option<std::ops::Range<u64>> = None;
        // A segment index with NaN, negative or out-of-range entries (a corrupt or hostile file) cannot say where
        // photons are: then every photon row is a candidate, never none.
        let empty = |b: f64, c: f64| b == 0.0 && c == 0.0;
        let plausible = |b: f64, c: f64| b >= 1.0 && c >= 1.0 && b + c - 1.0 <= photons as f64;
        if begin.iter().zip(&count).any(|(b, c)| !empty(*b, *c) && !plausible(*b, *c)) {
            return Ok(None);
        }
        for (((lat, lon), begin), count) in lat.iter().zip(&lon).zip(&begin).zip(&count) {
            if !plausible(*begin, *count) || !padded.contains(*lon, *lat) {
                continue;
            }
            let (start, end) = (*begin as u64 - 1, (*begin + *count) as u64 - 1);
            range = Some(match range {
                None => start..end,
                Some(r) => r.start.min(start)..r.end.max(end),
            });
        }
        Ok(Some(range.unwrap_or(0..0)))
    }

    /// Along-track distance of each selected ATL03 photon: its 20 m segment's `segment_dist_x` (the photon's segment
    /// found from the 1-based `ph_index_beg` and `segment_ph_cnt`) plus the photon's `dist_ph_along`. All null when
    /// the granule has no geolocation group (some subsets drop it).
    async fn atl03_x_atc(&self, beam: &str, runs: &[RowRun], count: usize) -> Result<Vec<Option<f64>>> {
        let geolocation = format!("/{beam}/geolocation");
        let segments = async {
            let begin = self.read_f64(&format!("{geolocation}/ph_index_beg"), None).await?;
            let photons = self.read_f64(&format!("{geolocation}/segment_ph_cnt"), None).await?;
            let distance = self.read_f64(&format!("{geolocation}/segment_dist_x"), None).await?;
            Ok::<_, IoError>((begin, photons, distance))
        };
        let (begin, photons, distance) = match segments.await {
            Ok(segments) => segments,
            Err(IoError::NotFound { .. }) => return Ok(vec![None; count]),
            Err(e) => return Err(e),
        };
        // (first photon row, photon count, distance) of segments that hold photons, in row order.
        let mut index: Vec<(u64, u64, f64)> = begin
            .iter()
            .zip(&photons)
            .zip(&distance)
            .filter(|((b, c), d)| (1.0..9e15).contains(*b) && (1.0..9e15).contains(*c) && d.is_finite())
            .map(|((b, c), d)| (*b as u64 - 1, *c as u64, *d))
            .collect();
        index.sort_by_key(|s| s.0);
        let mut out = Vec::with_capacity(count);
        for run in runs {
            let along = self.read_f64(&format!("/{beam}/heights/dist_ph_along"), Some(run.rows.clone())).await?;
            for &i in &run.picked {
                let row = run.rows.start + i as u64;
                let segment = index.partition_point(|s| s.0 <= row).checked_sub(1).and_then(|k| index.get(k));
                let x = segment
                    .filter(|(first, photons, _)| row < first + photons)
                    .and_then(|(_, _, d)| along.get(i).filter(|a| a.is_finite()).map(|a| d + a));
                out.push(x);
            }
        }
        Ok(out)
    }

    async fn read_f64(&self, path: &str, rows: Option<std::ops::Range<u64>>) -> Result<Vec<f64>> {
        let info = self.objects().dataset(path).await?;
        Ok(match self.file.read(&info, rows).await? {
            Values::F64(v) => v,
            Values::F32(v) => v.into_iter().map(f64::from).collect(),
            other => other.to_strings().iter().map(|s| s.parse().unwrap_or(f64::NAN)).collect(),
        })
    }

    /// A variable's selected rows as an Arrow array, `_FillValue` as null; 2-D variables give one column.
    async fn read_variable(&self, path: &str, runs: &[RowRun], surface: Surface) -> Result<ArrayRef> {
        let objects = self.objects();
        let info = objects.dataset(path).await?;
        let fill = objects.attributes(path).await?.into_iter().find(|(k, _)| k == "_FillValue").map(|(_, v)| v);
        let width = info.shape.get(1).copied().unwrap_or(1) as usize;
        let column = if width > 1 { (surface as usize).min(width - 1) } else { 0 };
        // With no rows kept, an empty read still gives the variable's type (beams must agree on it).
        let empty = [RowRun { rows: 0..0, picked: Vec::new() }];
        let runs = if runs.is_empty() { &empty[..] } else { runs };
        let mut parts = Vec::with_capacity(runs.len());
        for run in runs {
            parts.push(self.file.read(&info, Some(run.rows.clone())).await?);
        }
        let index = |i: usize| i * width + column;
        let fill_f64 = match &fill {
            Some(AttributeValue::Numbers(v)) => v.first().copied(),
            Some(AttributeValue::Integers(v)) => v.first().map(|v| *v as f64),
            _ => None,
        };
        let rows: usize = runs.iter().map(|r| r.picked.len()).sum();
        let mixed = || IoError::Column {
            location: self.location().to_owned(),
            column: path.to_owned(),
            message: "its type changes between chunks".into(),
            source: None,
        };
        macro_rules! pick {
            ($variant:ident, $array:ty) => {{
                let mut picked = Vec::with_capacity(rows);
                for (run, values) in runs.iter().zip(&parts) {
                    let Values::$variant(v) = values else { return Err(mixed()) };
                    picked.extend(
                        run.picked
                            .iter()
                            .map(|&i| v.get(index(i)).copied().filter(|x| fill_f64.is_none_or(|f| (*x as f64) != f))),
                    );
                }
                Arc::new(<$array>::from(picked)) as ArrayRef
            }};
        }
        Ok(match parts.first() {
            Some(Values::F32(_)) => pick!(F32, Float32Array),
            Some(Values::F64(_)) => pick!(F64, Float64Array),
            Some(Values::I8(_)) => pick!(I8, Int8Array),
            Some(Values::I16(_)) => pick!(I16, Int16Array),
            Some(Values::I32(_)) => pick!(I32, Int32Array),
            Some(Values::I64(_)) => pick!(I64, Int64Array),
            Some(Values::U8(_)) => pick!(U8, UInt8Array),
            Some(Values::U16(_)) => pick!(U16, UInt16Array),
            Some(Values::U32(_)) => pick!(U32, UInt32Array),
            Some(Values::U64(_)) => pick!(U64, UInt64Array),
            Some(Values::Str(_)) => {
                return Err(IoError::Column {
                    location: self.location().to_owned(),
                    column: path.to_owned(),
                    message: "text variable".into(),
                    source: None,
                });
            }
            None => return Err(mixed()),
        })
    }
}

/// Chunks prefetched for one beam read, forgotten when it ends.
struct Prefetched<'a> {
    file: &'a Hdf5File,
    ranges: Vec<std::ops::Range<u64>>,
}

impl Drop for Prefetched<'_> {
    fn drop(&mut self) {
        self.file.forget_prefetched(&self.ranges);
    }
}

/// Rows closer than this are read in one run: a chunk is ~10,000 rows, so a smaller gap would fetch the same chunk
/// twice instead of skipping any.
const RUN_GAP_ROWS: usize = 10_000;

/// A run of rows read from each variable: the rows (absolute in the dataset) and the offsets of the kept rows in
/// them.
#[derive(Debug, PartialEq)]
struct RowRun {
    rows: std::ops::Range<u64>,
    picked: Vec<usize>,
}

/// Groups kept rows (`selected`: ascending, relative to `offset`) into runs separated by gaps of at least
/// [`RUN_GAP_ROWS`].
fn row_runs(selected: &[usize], offset: u64) -> Vec<RowRun> {
    let mut runs: Vec<RowRun> = Vec::new();
    let mut start = 0;
    for (position, &row) in selected.iter().enumerate() {
        let next = selected.get(position + 1);
        if next.is_none_or(|&n| n - row >= RUN_GAP_ROWS) {
            let (first, last) = (selected[start], row);
            runs.push(RowRun {
                rows: offset + first as u64..offset + last as u64 + 1,
                picked: selected[start..=position].iter().map(|&i| i - first).collect(),
            });
            start = position + 1;
        }
    }
    runs
}

/// Whether bytes start with the HDF5 signature.
pub fn is_hdf5(head: &[u8]) -> bool {
    head.starts_with(b"\x89HDF\r\n\x1a\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_rows_group_into_runs_split_at_large_gaps() {
        assert_eq!(row_runs(&[], 7), vec![]);
        let selected = [3, 4, 9, 9 + RUN_GAP_ROWS - 1, 9 + 2 * RUN_GAP_ROWS + 5];
        assert_eq!(
            row_runs(&selected, 100),
            vec![
                RowRun { rows: 103..100 + 9 + RUN_GAP_ROWS as u64, picked: vec![0, 1, 6, 6 + RUN_GAP_ROWS - 1] },
                RowRun { rows: 114 + 2 * RUN_GAP_ROWS as u64..115 + 2 * RUN_GAP_ROWS as u64, picked: vec![0] },
            ]
        );
    }
}
