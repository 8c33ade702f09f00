//! AOIs as GeoJSON (RFC 7946, lon/lat on WGS 84): reading any object that holds polygons, through the
//! `geojson` crate's types, and writing one FeatureCollection that reads back as the same area.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{Feature, FeatureCollection, GeoJson, Geometry, JsonObject, Value};

use super::Aoi;
use crate::error::{IoError, Result};

/// GeoJSON files beyond this are refused: an AOI is a few polygons, not a dataset.
pub const MAX_AOI_BYTES: usize = 64 << 20;

/// Refuses an AOI file too large to be one, before it is read.
pub fn check_size(location: &str, bytes: u64) -> Result<()> {
    if bytes > MAX_AOI_BYTES as u64 {
        let message = format!("{bytes} bytes is more than the {MAX_AOI_BYTES} an AOI file may have");
        return Err(IoError::Aoi { location: location.to_owned(), message });
    }
    Ok(())
}

impl Aoi {
    /// Reads and parses an AOI file, never more than [`MAX_AOI_BYTES`] of it: `/dev/zero`, a FIFO or a file that
    /// grows are refused at that size instead of read without end.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_file(path: &str) -> Result<Self> {
        use std::io::Read as _;
        let error = |message: String| IoError::Aoi { location: path.to_owned(), message };
        let unreadable = |e: std::io::Error| error(format!("cannot read the file: {e}"));
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let mut bytes = Vec::new();
        file.take(MAX_AOI_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(unreadable)?;
        if bytes.len() > MAX_AOI_BYTES {
            return Err(error(format!("more than {MAX_AOI_BYTES} bytes, more than an AOI file may have")));
        }
        Self::from_geojson(path, &bytes)
    }

    /// Reads a GeoJSON Polygon, MultiPolygon, Feature, FeatureCollection or GeometryCollection; every polygon
    /// of it belongs to the AOI.
    pub fn from_geojson(location: &str, bytes: &[u8]) -> Result<Self> {
        let error = |message: String| IoError::Aoi { location: location.to_owned(), message };
        check_size(location, bytes.len() as u64)?;
        // Parsed as JSON first, so that a syntax error is reported as serde_json words it (line and column).
        let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| error(format!("not JSON: {e}")))?;
        check_crs(&json).map_err(error)?;
        let geojson = GeoJson::from_json_value(json).map_err(|e| error(format!("not GeoJSON: {e}")))?;
        let mut polygons = Vec::new();
        let geometries: Vec<&Geometry> = match &geojson {
            GeoJson::Geometry(geometry) => vec![geometry],
            GeoJson::Feature(feature) => feature.geometry.iter().collect(),
            GeoJson::FeatureCollection(collection) => {
                collection.features.iter().filter_map(|f| f.geometry.as_ref()).collect()
            }
        };
        for geometry in geometries {
            collect_polygons(&geometry.value, &mut polygons, 0).map_err(error)?;
        }
        if polygons.is_empty() {
            return Err(error("no Polygon or MultiPolygon geometry in it".into()));
        }
        let name = location.rsplit('/').next().unwrap_or(location);
        Ok(Self::new(name, MultiPolygon(polygons)))
    }

    /// The AOI as a GeoJSON FeatureCollection of one MultiPolygon feature named after it: what `floe subset
    /// --aoi` and [`Aoi::from_geojson`] read back.
    pub fn to_geojson(&self) -> String {
        let ring = |ring: &LineString<f64>| ring.coords().map(|c| vec![c.x, c.y]).collect::<Vec<_>>();
        let polygons =
            self.polygons().iter().map(|p| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect());
        let mut properties = JsonObject::new();
        properties.insert("name".into(), self.name.clone().into());
        let feature = Feature {
            geometry: Some(Geometry::new(Value::MultiPolygon(polygons.collect()))),
            properties: Some(properties),
            ..Feature::default()
        };
        FeatureCollection { features: vec![feature], bbox: None, foreign_members: None }.to_string()
    }
}

/// GeoJSON (RFC 7946) is lon/lat on WGS 84; older files may name a CRS, which must then be that one.
fn check_crs(root: &serde_json::Value) -> std::result::Result<(), String> {
    let Some(name) = root.pointer("/crs/properties/name").and_then(serde_json::Value::as_str) else { return Ok(()) };
    let lonlat =
        ["urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"];
    if lonlat.contains(&name) {
        Ok(())
    } else {
        Err(format!("its CRS is {name}; Floe reads AOIs in lon/lat degrees (CRS84)"))
    }
}

fn collect_polygons(value: &Value, out: &mut Vec<Polygon<f64>>, depth: usize) -> std::result::Result<(), String> {
    if depth > 8 {
        return Err("geometries nested more than 8 deep".into());
    }
    match value {
        Value::GeometryCollection(geometries) => {
            for geometry in geometries {
                collect_polygons(&geometry.value, out, depth + 1)?;
            }
        }
        Value::Polygon(rings) => out.push(polygon(rings)?),
        Value::MultiPolygon(polygons) => {
            for rings in polygons {
                out.push(polygon(rings)?);
            }
        }
        Value::Point(_) | Value::MultiPoint(_) | Value::LineString(_) | Value::MultiLineString(_) => {
            return Err(format!(
                "a {} has no area: an AOI needs Polygon or MultiPolygon geometries",
                value.type_name()
            ));
        }
    }
    Ok(())
}

fn polygon(rings: &[Vec<Vec<f64>>]) -> std::result::Result<Polygon<f64>, String> {
    let mut rings = rings.iter().map(|r| ring(r));
    let exterior = rings.next().ok_or("a Polygon without rings")??;
    let interiors = rings.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn ring(positions: &[Vec<f64>]) -> std::result::Result<LineString<f64>, String> {
    if positions.len() < 4 {
        return Err(format!("a ring of {} positions (a closed ring needs at least 4)", positions.len()));
    }
    let coords = positions
        .iter()
        .map(|position| match position.as_slice() {
            [x, y, ..] if x.abs() <= 360.0 && y.abs() <= 90.0 => Ok(Coord { x: *x, y: *y }),
            _ => {
                // Written as the file has it (`[1,100]`), not as Rust debug-prints floats.
                let shown: Vec<String> = position.iter().map(f64::to_string).collect();
                Err(format!("position [{}] is not a lon/lat pair in degrees", shown.join(",")))
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(LineString::from(coords))
}
