//! A view as a link: the page's query string carries the inputs, projection and camera, colour column, colormap
//! and range, the filters (loaded with and on the map), the time window, the AOI (inline GeoJSON when small) and the
//! profile's track, so that a copied link reopens the same view. The page keeps its address up to date as the user
//! works; the desktop's *Copy link* writes the same query, and `floe LINK` opens it.
//!
//! Parameters: `url` (repeatable), `projection`, `at=LON,LAT,ZOOM`, `color`, `cmap`, `range=LO,HI`, `filter`
//! (repeatable, loaded with), `show` (repeatable, on the map; `show.N` for the layer of the Nth `url` only, from 0),
//! `window=START..END` (UTC), `aoi` (GeoJSON),
//! `profile`. Others (`tiles`, `backend`, `memory_mb`, `time`, `track_key`, …) are the page's own.

use std::sync::Arc;

use floe_render::{Colormap, Projection};

use crate::row_filter::RowFilter;

/// The parameters a view link sets; a page's other parameters (`tiles`, `backend`, …) are its own.
/// (`time` too: the page starts with it as filters, which the link carries as `filter`.)
pub const VIEW_KEYS: [&str; 12] =
    ["url", "projection", "at", "color", "cmap", "range", "filter", "show", "window", "aoi", "profile", "time"];

/// Whether a query parameter is one a view link sets (`show.N` included).
pub fn is_view_key(key: &str) -> bool {
    VIEW_KEYS.contains(&key) || key.starts_with("show.")
}

/// An AOI longer than this (as GeoJSON) stays out of links: browsers and chat tools cut long addresses.
pub const MAX_INLINE_AOI: usize = 4000;

/// The parts of a view a link carries.
#[derive(Clone, Debug, Default)]
pub struct ViewLink {
    pub inputs: Vec<String>,
    pub projection: Option<Projection>,
    /// The camera: centre lon/lat and zoom.
    pub at: Option<(f64, f64, f64)>,
    pub color: Option<String>,
    pub cmap: Option<Colormap>,
    /// The colour range, in the column's units.
    pub range: Option<(f64, f64)>,
    /// Filters the layers load with.
    pub filters: Vec<String>,
    /// Filters drawn on the map: for every layer, or for the layer of that index among `inputs`.
    pub show: Vec<(String, Option<usize>)>,
    /// The time window, UTC nanoseconds.
    pub window: Option<(i64, i64)>,
    pub aoi: Option<Arc<floe_io::aoi::Aoi>>,
    /// The profile's track (empty: the first).
    pub profile: Option<String>,
}

impl ViewLink {
    /// The query string, without the `?`.
    pub fn to_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for input in &self.inputs {
            query.append_pair("url", input);
        }
        if let Some(projection) = self.projection {
            query.append_pair("projection", projection.name());
        }
        if let Some((lon, lat, zoom)) = self.at {
            query.append_pair("at", &format!("{lon:.6},{lat:.6},{zoom:.3}"));
        }
        if let Some(color) = &self.color {
            query.append_pair("color", color);
        }
        if let Some(cmap) = self.cmap {
            query.append_pair("cmap", cmap.name());
        }
        if let Some((lo, hi)) = self.range {
            query.append_pair("range", &format!("{lo},{hi}"));
        }
        for filter in &self.filters {
            query.append_pair("filter", filter);
        }
        for (filter, layer) in &self.show {
            match layer {
                Some(index) => query.append_pair(&format!("show.{index}"), filter),
                None => query.append_pair("show", filter),
            };
        }
        if let Some((start, end)) = self.window {
            let window = format!("{}..{}", crate::time_range::utc_text(start), crate::time_range::utc_text(end));
            query.append_pair("window", &window);
        }
        // Each vertex takes at least ten characters of GeoJSON: a large AOI is not serialised only to be dropped.
        if let Some(aoi) = self.aoi.as_ref().filter(|a| a.num_vertices() * 10 <= MAX_INLINE_AOI) {
            let geojson = aoi.to_geojson();
            if geojson.len() <= MAX_INLINE_AOI {
                query.append_pair("aoi", &geojson);
            }
        }
        if let Some(track) = &self.profile {
            query.append_pair("profile", track);
        }
        query.finish()
    }

    /// A link (`https://…/?url=…`, `floe:?url=…` or a bare query) as a view. A value that does not parse is an
    /// error naming the parameter.
    pub fn parse(link: &str) -> anyhow::Result<Self> {
        let query = link.split_once('?').map_or(link, |(_, q)| q);
        let query = query.split('#').next().unwrap_or(query);
        let mut view = ViewLink::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            let bad = |what: &str| anyhow::anyhow!("link parameter `{key}={value}`: {what}");
            match key.as_ref() {
                "url" => view.inputs.push(value),
                "projection" => {
                    view.projection = match value.as_str() {
                        "auto" => None,
                        name => {
                            Some(Projection::from_name(name).ok_or_else(|| bad("expected mercator, north or south"))?)
                        }
                    }
                }
                "at" => {
                    let parts: Vec<f64> = value.split(',').filter_map(|p| p.trim().parse().ok()).collect();
                    match parts[..] {
                        [lon, lat, zoom] if parts.iter().all(|p| p.is_finite()) => view.at = Some((lon, lat, zoom)),
                        _ => return Err(bad("expected LON,LAT,ZOOM")),
                    }
                }
                "color" => view.color = Some(value),
                "cmap" => view.cmap = Some(Colormap::from_name(&value).ok_or_else(|| bad("unknown colormap"))?),
                "range" => {
                    let parts: Vec<f64> = value.split(',').filter_map(|p| p.trim().parse().ok()).collect();
                    match parts[..] {
                        [lo, hi] if lo < hi => view.range = Some((lo, hi)),
                        _ => return Err(bad("expected LO,HI with LO < HI")),
                    }
                }
                "filter" => view.filters.push(RowFilter::parse(&value)?.text),
                "show" => view.show.push((RowFilter::parse(&value)?.text, None)),
                key if key.starts_with("show.") => {
                    let index =
                        key.trim_start_matches("show.").parse().map_err(|_| bad("expected show.N with N a number"))?;
                    view.show.push((RowFilter::parse(&value)?.text, Some(index)));
                }
                "window" => {
                    let range = crate::time_range::TimeRange::parse(&value)?;
                    anyhow::ensure!(
                        range.start_ns != i64::MIN && range.end_ns != i64::MAX,
                        bad("expected START..END, both given")
                    );
                    view.window = Some((range.start_ns, range.end_ns));
                }
                "aoi" => {
                    let mut aoi = floe_io::aoi::Aoi::from_geojson("the link's aoi", value.as_bytes())?;
                    // The name the AOI had where the link was made (its GeoJSON carries it).
                    let json: serde_json::Value = serde_json::from_str(&value).unwrap_or_default();
                    if let Some(name) = json.pointer("/features/0/properties/name").and_then(|n| n.as_str()) {
                        aoi.name = name.to_owned();
                    }
                    view.aoi = Some(Arc::new(aoi));
                }
                "profile" => view.profile = Some(value),
                _ => {}
            }
        }
        Ok(view)
    }

    /// Whether a command-line argument is a view link rather than an input: it has a query with a `url` parameter
    /// (a presigned URL's query has none).
    pub fn is_link(argument: &str) -> bool {
        argument
            .split_once('?')
            .is_some_and(|(_, query)| form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == "url"))
    }

    /// The filters it names, parsed (they parsed when the link was read).
    pub fn parsed(texts: &[String]) -> Vec<RowFilter> {
        texts.iter().filter_map(|t| RowFilter::parse(t).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_survives_the_round_trip_through_its_link() {
        let view = ViewLink {
            inputs: vec!["https://example.org/a b.parquet".into(), "s3://bucket/ATL03.h5".into()],
            projection: Some(Projection::North),
            at: Some((-45.25, 72.5, 6.5)),
            color: Some("h_li".into()),
            cmap: Some(Colormap::Turbo),
            range: Some((-10.0, 2500.5)),
            filters: vec!["rgt in 245,1387".into()],
            show: vec![("signal_conf_ph >= 3".into(), None), ("gt = gt1l".into(), Some(1))],
            window: Some((1_556_668_800_000_000_001, 1_556_668_900_000_000_000)),
            aoi: Some(Arc::new(floe_io::aoi::Aoi::from_rings(
                "drawn lasso",
                vec![vec![(-46.0, 72.0), (-44.0, 72.0), (-45.0, 73.0), (-46.0, 72.0)]],
            ))),
            profile: Some("rgt 245 · cycle 14 · gt2r".into()),
        };
        let query = view.to_query();
        assert!(query.starts_with("url=https%3A%2F%2Fexample.org%2Fa+b.parquet&url=s3%3A%2F%2F"), "{query}");
        let back = ViewLink::parse(&format!("https://floe.example/?{query}")).unwrap();
        assert_eq!(back.aoi.as_ref().map(|a| a.polygons().clone()), view.aoi.as_ref().map(|a| a.polygons().clone()));
        assert_eq!(back.to_query(), query);
        assert_eq!((back.at, back.range, back.window), (view.at, view.range, view.window));
        assert_eq!((back.inputs, back.show, back.profile), (view.inputs, view.show, view.profile));
        assert!(ViewLink::is_link("floe:?url=sample&at=1,2,3"));
        assert!(!ViewLink::is_link("https://bucket.s3.amazonaws.com/x.parquet?X-Amz-Signature=abc"));
        assert_eq!(
            ViewLink::parse("?url=x&at=1,2").unwrap_err().to_string(),
            "link parameter `at=1,2`: expected LON,LAT,ZOOM"
        );
    }
}
