//! GeoParquet `geo` file metadata: parsing it, and what a CRS means for drawing.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::lonlat_box::LonLatBox;

/// How the primary geometry column stores its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    Wkb,
    /// GeoArrow native encoding, e.g. `point` (`struct<x, y[, z]>`).
    Native(String),
}

impl Encoding {
    pub fn name(&self) -> &str {
        match self {
            Encoding::Wkb => "WKB",
            Encoding::Native(name) => name,
        }
    }
}

/// What the CRS of a geometry column tells Floe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrsKind {
    /// Absent: the GeoParquet default, OGC:CRS84.
    DefaultCrs84,
    /// Geographic lon/lat, with a display name such as `EPSG:7912`.
    LonLat(String),
    /// Explicitly `null`: unknown. Accepted as lon/lat only while coordinates stay in range.
    Unknown,
    /// Anything else (projected CRS…): not drawable without reprojection.
    Unsupported(String),
}

impl CrsKind {
    pub fn display_name(&self) -> String {
        match self {
            CrsKind::DefaultCrs84 => "OGC:CRS84".to_owned(),
            CrsKind::LonLat(name) | CrsKind::Unsupported(name) => name.clone(),
            CrsKind::Unknown => "unknown (null)".to_owned(),
        }
    }
}

/// Paths of the bbox covering column's four children (`["bbox", "xmin"]` …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BboxCovering {
    pub xmin: Vec<String>,
    pub ymin: Vec<String>,
    pub xmax: Vec<String>,
    pub ymax: Vec<String>,
}

/// One column entry of the `geo` metadata.
#[derive(Clone, Debug)]
pub struct GeoColumn {
    pub name: String,
    pub encoding: Encoding,
    pub geometry_types: Vec<String>,
    pub crs: CrsKind,
    pub bbox: Option<LonLatBox>,
    pub covering: Option<BboxCovering>,
}

/// The parsed `geo` metadata, reduced to its primary column (the one Floe draws).
#[derive(Clone, Debug)]
pub struct GeoMetadata {
    pub version: String,
    pub primary: GeoColumn,
}

/// The `geo` key as GeoParquet 1.0/1.1 writes it. Members are optional here so that the reader and the QA
/// checks can each say in their own words which one is missing.
#[derive(Debug, Deserialize)]
pub(crate) struct GeoKey {
    pub version: Option<String>,
    pub primary_column: Option<String>,
    pub columns: Option<BTreeMap<String, GeoColumnKey>>,
}

/// One entry of `columns`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct GeoColumnKey {
    pub encoding: Option<String>,
    #[serde(default)]
    pub geometry_types: Vec<String>,
    /// PROJJSON is open-ended, so it stays JSON; `Some(Null)` is an explicit `null` (unknown CRS), `None` absent.
    #[serde(default, deserialize_with = "present")]
    pub crs: Option<Value>,
    pub bbox: Option<Vec<f64>>,
    pub covering: Option<CoveringKey>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct CoveringKey {
    pub bbox: Option<BboxCoveringKey>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct BboxCoveringKey {
    xmin: Option<Vec<String>>,
    ymin: Option<Vec<String>>,
    xmax: Option<Vec<String>>,
    ymax: Option<Vec<String>>,
}

/// A member that is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl GeoKey {
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("`geo` is not valid JSON: {e}"))
    }
}

impl GeoColumnKey {
    /// A 2-D or 3-D `bbox` as a lon/lat box.
    pub fn lonlat_box(&self) -> Option<LonLatBox> {
        match self.bbox.as_deref()? {
            [w, s, e, n] => Some(LonLatBox::new(*w, *s, *e, *n)),
            // 3-D bbox: xmin, ymin, zmin, xmax, ymax, zmax.
            [w, s, _, e, n, _] => Some(LonLatBox::new(*w, *s, *e, *n)),
            _ => None,
        }
    }

    pub fn is_wkb(&self) -> bool {
        self.encoding.as_deref().is_some_and(|e| e.eq_ignore_ascii_case("wkb"))
    }
}

impl BboxCoveringKey {
    pub fn paths(&self) -> Result<BboxCovering, String> {
        let path = |key: &str, value: &Option<Vec<String>>| {
            value
                .clone()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| format!("covering.bbox.{key} is not a list of column names"))
        };
        Ok(BboxCovering {
            xmin: path("xmin", &self.xmin)?,
            ymin: path("ymin", &self.ymin)?,
            xmax: path("xmax", &self.xmax)?,
            ymax: path("ymax", &self.ymax)?,
        })
    }
}

/// Parses the `geo` key's JSON; `Err` is a message for [`crate::IoError::GeoMetadata`].
pub fn parse_geo_metadata(json: &str) -> Result<GeoMetadata, String> {
    let root = GeoKey::parse(json)?;
    let version = root.version.ok_or("`geo` has no string `version`")?;
    let primary_name = root.primary_column.ok_or("`geo` has no string `primary_column`")?;
    let columns = root.columns.ok_or("`geo` has no `columns` object")?;
    let column = columns
        .get(&primary_name)
        .ok_or_else(|| format!("primary_column `{primary_name}` is not a key of `columns`"))?;
    let primary = parse_column(&primary_name, column)?;
    Ok(GeoMetadata { version, primary })
}

fn parse_column(name: &str, column: &GeoColumnKey) -> Result<GeoColumn, String> {
    let encoding = match column.encoding.as_deref() {
        Some(e) if e.eq_ignore_ascii_case("wkb") => Encoding::Wkb,
        Some(e) => Encoding::Native(e.to_ascii_lowercase()),
        None => return Err(format!("column `{name}` has no string `encoding`")),
    };
    let crs = match &column.crs {
        None => CrsKind::DefaultCrs84,
        Some(Value::Null) => CrsKind::Unknown,
        Some(crs) => classify_crs(crs),
    };
    let covering = column.covering.as_ref().and_then(|c| c.bbox.as_ref()).map(BboxCoveringKey::paths).transpose()?;
    Ok(GeoColumn {
        name: name.to_owned(),
        encoding,
        geometry_types: column.geometry_types.clone(),
        crs,
        bbox: column.lonlat_box(),
        covering,
    })
}

/// Geographic CRSs Floe draws as lon/lat: (authority, code).
const LONLAT_CODES: &[(&str, &str)] =
    &[("OGC", "CRS84"), ("OGC", "CRS84h"), ("EPSG", "4326"), ("EPSG", "4979"), ("EPSG", "7912"), ("EPSG", "9989")];

pub(crate) fn classify_crs(crs: &Value) -> CrsKind {
    // Some writers store "EPSG:4326" as a plain string instead of PROJJSON.
    if let Some(text) = crs.as_str() {
        let (authority, code) = text.split_once(':').unwrap_or(("", text));
        return classify_code(authority, code, text);
    }
    let id = crs.get("id");
    let authority = id.and_then(|id| id.get("authority")).and_then(Value::as_str);
    let code = id.and_then(|id| id.get("code")).map(|c| match c {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let name = crs.get("name").and_then(Value::as_str).unwrap_or("unnamed CRS");
    if let (Some(authority), Some(code)) = (authority, code) {
        return classify_code(authority, &code, &format!("{authority}:{code}"));
    }
    // No id: judge by the PROJJSON type. Geographic CRSs are lon/lat in degrees by GeoParquet's axis rule.
    match crs.get("type").and_then(Value::as_str) {
        Some("GeographicCRS") => CrsKind::LonLat(name.to_owned()),
        Some(kind) => CrsKind::Unsupported(format!("{name} ({kind})")),
        None => CrsKind::Unsupported(name.to_owned()),
    }
}

fn classify_code(authority: &str, code: &str, display: &str) -> CrsKind {
    let known = LONLAT_CODES.iter().any(|(a, c)| a.eq_ignore_ascii_case(authority) && c.eq_ignore_ascii_case(code));
    if known { CrsKind::LonLat(display.to_owned()) } else { CrsKind::Unsupported(display.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_paths_are_read_by_key_not_position() {
        let json = r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{
            "encoding":"WKB","geometry_types":["Point"],
            "covering":{"bbox":{"xmax":["bbox","xmax"],"xmin":["bbox","xmin"],"ymax":["bbox","ymax"],"ymin":["bbox","ymin"]}}}}}"#;
        let meta = parse_geo_metadata(json).unwrap();
        assert_eq!(meta.primary.crs, CrsKind::DefaultCrs84);
        let covering = meta.primary.covering.unwrap();
        assert_eq!(covering.xmin, ["bbox", "xmin"]);
        assert_eq!(covering.ymax, ["bbox", "ymax"]);
    }

    #[test]
    fn crs_classification() {
        let projected = serde_json::json!({"type":"ProjectedCRS","name":"WGS 84 / UTM zone 33N","id":{"authority":"EPSG","code":32633}});
        assert_eq!(classify_crs(&projected), CrsKind::Unsupported("EPSG:32633".into()));
        let itrf = serde_json::json!({"type":"GeographicCRS","name":"ITRF2014","id":{"authority":"EPSG","code":7912}});
        assert_eq!(classify_crs(&itrf), CrsKind::LonLat("EPSG:7912".into()));
        assert_eq!(classify_crs(&serde_json::json!("OGC:CRS84")), CrsKind::LonLat("OGC:CRS84".into()));
    }

    #[test]
    fn missing_primary_column_is_an_error() {
        let err = parse_geo_metadata(r#"{"version":"1.0.0","primary_column":"geom","columns":{}}"#).unwrap_err();
        assert_eq!(err, "primary_column `geom` is not a key of `columns`");
    }
}
