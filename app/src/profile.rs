//! The along-track profile's model, shared by `floe profile` and the viewer's profile panel: which points make a
//! track, their x (along-track distance, time or latitude) and y (a height column), turned into chunks of the
//! `profile` space that the same point pipeline draws; nearest-point search and the brushed rectangle.

use std::ops::Range;

use floe_render::profile::profile_chunk;
use floe_render::{PointChunk, Projection};

use crate::points::{PreparedBatch, ValueColumn};

/// What the profile's x axis shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    /// `x_atc` when the data have it, else the geodesic distance along the track in point (time) order.
    #[default]
    AlongTrack,
    Time,
    Latitude,
}

impl XAxis {
    pub const ALL: [XAxis; 3] = [XAxis::AlongTrack, XAxis::Time, XAxis::Latitude];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "x_atc" | "along" | "distance" => Some(XAxis::AlongTrack),
            "time" => Some(XAxis::Time),
            "lat" | "latitude" => Some(XAxis::Latitude),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            XAxis::AlongTrack => "along-track distance",
            XAxis::Time => "time",
            XAxis::Latitude => "latitude",
        }
    }
}

/// Loaded points as the profile reads them: chunks of the map (each within one track), their point ranges in
/// per-column value arrays, and the along-track distances. The viewer's layers and `floe profile`'s collected
/// batches both provide it.
pub trait TrackPoints {
    fn projection(&self) -> Projection;
    fn num_chunks(&self) -> usize;
    fn chunk_track(&self, chunk: usize) -> Option<&str>;
    /// Whether the chunk is shown (its beam is not hidden).
    fn chunk_shown(&self, chunk: usize) -> bool;
    fn chunk(&self, chunk: usize) -> Option<&PointChunk>;
    fn chunk_range(&self, chunk: usize) -> Option<Range<usize>>;
    /// `x_atc` per point (empty when there is none).
    fn along_track(&self) -> &[f64];
    fn columns(&self) -> &[ValueColumn];
    fn column_values(&self, column: usize) -> &[f32];
}

/// Loaded points gathered batch after batch, as the profile reads them: what `floe profile` and the profile
/// benchmark hold (the viewer's layers keep more).
#[derive(Default)]
pub struct CollectedPoints {
    columns: Vec<ValueColumn>,
    values: Vec<Vec<f32>>,
    chunks: Vec<PointChunk>,
    ranges: Vec<Range<usize>>,
    tracks: Vec<Option<String>>,
    along_track: Vec<f64>,
}

impl CollectedPoints {
    /// The value columns (again, when a reference was fixed): values already gathered keep their places.
    pub fn set_columns(&mut self, columns: Vec<ValueColumn>) {
        if self.values.len() != columns.len() {
            self.values = vec![Vec::new(); columns.len()];
        }
        self.columns = columns;
    }

    pub fn push(&mut self, batch: PreparedBatch) {
        let first = self.values.first().map_or(0, Vec::len);
        let points: usize = batch.chunk_ranges.iter().map(|r| r.len()).sum();
        for (column, values) in self.values.iter_mut().zip(&batch.values) {
            column.extend_from_slice(values);
        }
        self.ranges.extend(batch.chunk_ranges.iter().map(|r| first + r.start..first + r.end));
        self.chunks.extend(batch.chunks);
        self.tracks.extend(batch.chunk_tracks);
        if !batch.along_track.is_empty() || !self.along_track.is_empty() {
            self.along_track.resize(first, f64::NAN);
            if batch.along_track.len() == points {
                self.along_track.extend_from_slice(&batch.along_track);
            } else {
                self.along_track.resize(first + points, f64::NAN);
            }
        }
    }
}

impl TrackPoints for CollectedPoints {
    fn projection(&self) -> Projection {
        Projection::Mercator
    }
    fn num_chunks(&self) -> usize {
        self.ranges.len()
    }
    fn chunk_track(&self, chunk: usize) -> Option<&str> {
        self.tracks.get(chunk).and_then(|t| t.as_deref())
    }
    fn chunk_shown(&self, _chunk: usize) -> bool {
        true
    }
    fn chunk(&self, chunk: usize) -> Option<&PointChunk> {
        self.chunks.get(chunk)
    }
    fn chunk_range(&self, chunk: usize) -> Option<Range<usize>> {
        self.ranges.get(chunk).cloned()
    }
    fn along_track(&self) -> &[f64] {
        &self.along_track
    }
    fn columns(&self) -> &[ValueColumn] {
        &self.columns
    }
    fn column_values(&self, column: usize) -> &[f32] {
        self.values.get(column).map_or(&[], Vec::as_slice)
    }
}

/// The tracks of some loaded points, in order of first appearance.
pub fn tracks_of(points: &dyn TrackPoints) -> Vec<String> {
    let mut tracks: Vec<String> = Vec::new();
    for chunk in 0..points.num_chunks() {
        if let Some(track) = points.chunk_track(chunk)
            && !tracks.iter().any(|t| t == track)
        {
            tracks.push(track.to_owned());
        }
    }
    tracks
}

/// Height columns of the products, in the order the profile looks for them.
const HEIGHTS: &[&str] = &["h_ph", "h_li", "h_te_best_fit", "h_canopy", "h_mean", "height", "elevation", "z"];

/// The y column the profile shows when the user did not say: the product's height.
pub fn default_y_column(columns: &[ValueColumn]) -> Option<usize> {
    HEIGHTS.iter().find_map(|wanted| columns.iter().position(|c| c.name == *wanted))
}

/// [`default_y_column`] among column names.
pub fn default_y_name(names: &[String]) -> Option<&'static str> {
    HEIGHTS.iter().copied().find(|wanted| names.iter().any(|n| n == wanted))
}

/// Some points of a layer, by map chunk: `(chunk index, offsets of the points within it)`.
pub type ChunkSelection = Vec<(usize, Vec<usize>)>;

/// One chunk of a profile: its points in `profile` space, and where they come from.
#[derive(Clone, Debug)]
pub struct ProfileChunk {
    pub chunk: PointChunk,
    /// The map chunk of the layer these points are.
    pub layer_chunk: usize,
    /// Their range in the layer's values.
    pub points: Range<usize>,
}

/// Whether `p` lies inside the closed ring (even–odd rule; the ring's last point joins its first).
pub fn in_ring(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for (i, a) in ring.iter().enumerate() {
        let Some(b) = ring.get((i + 1) % ring.len()) else { continue };
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
            inside = !inside;
        }
    }
    inside
}

/// The box around a ring: min, max.
pub fn ring_bounds(ring: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    ring.iter().fold(([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    })
}

/// One layer's points on one track, in `profile` space.
#[derive(Clone, Debug, Default)]
pub struct ProfileSeries {
    pub chunks: Vec<ProfileChunk>,
    /// The extent of the points with finite x and y: min, max; `None` when there are none.
    pub bounds: Option<([f64; 2], [f64; 2])>,
    /// The x values are the geodesic fallback (the data have no `x_atc`).
    pub geodesic: bool,
}

impl ProfileSeries {
    /// The points of track `track` with x from `x_axis` and y from column `y_column`.
    pub fn build(points: &dyn TrackPoints, track: &str, x_axis: XAxis, y_column: usize) -> Self {
        let chunks: Vec<usize> = (0..points.num_chunks())
            .filter(|&c| points.chunk_track(c) == Some(track) && points.chunk_shown(c))
            .collect();
        let projection = points.projection();
        let ys = points.column_values(y_column);
        let y_of = points.columns().get(y_column).cloned();
        let time = points.columns().iter().position(|c| c.is_time);
        let along = points.along_track();
        let has_along = chunks
            .iter()
            .filter_map(|&c| points.chunk_range(c))
            .any(|r| along.get(r.start..r.end).is_some_and(|a| a.iter().any(|v| v.is_finite())));
        let geodesic = x_axis == XAxis::AlongTrack && !has_along;
        // The fallback distance runs over the whole track, chunk after chunk.
        let mut geodesic_x = Vec::new();
        if geodesic {
            let lonlat: Vec<[f64; 2]> = chunks
                .iter()
                .filter_map(|&c| points.chunk(c))
                .flat_map(|chunk| chunk_lonlat(chunk, projection))
                .collect();
            let (lon, lat): (Vec<f64>, Vec<f64>) = lonlat.iter().map(|p| (p[0], p[1])).unzip();
            geodesic_x = floe_io::geodesic_along_track(&lon, &lat);
        }
        let mut series = ProfileSeries { geodesic, ..ProfileSeries::default() };
        let mut next_geodesic = 0;
        for &c in &chunks {
            let (Some(map_chunk), Some(range)) = (points.chunk(c), points.chunk_range(c)) else { continue };
            let n = range.len();
            let xs: Vec<f64> = match x_axis {
                XAxis::AlongTrack if geodesic => {
                    let xs = geodesic_x.get(next_geodesic..next_geodesic + n).map(<[f64]>::to_vec);
                    next_geodesic += n;
                    xs.unwrap_or_else(|| vec![f64::NAN; n])
                }
                XAxis::AlongTrack => along.get(range.clone()).map(<[f64]>::to_vec).unwrap_or_else(|| vec![f64::NAN; n]),
                XAxis::Time => match time.and_then(|t| Some((points.columns().get(t)?, points.column_values(t)))) {
                    Some((column, values)) => match values.get(range.clone()) {
                        Some(values) => values.iter().map(|v| column.value_of(*v)).collect(),
                        None => vec![f64::NAN; n],
                    },
                    None => vec![f64::NAN; n],
                },
                XAxis::Latitude => chunk_lonlat(map_chunk, projection).map(|p| p[1]).collect(),
            };
            let profile: Vec<[f64; 2]> = xs
                .iter()
                .zip(ys.get(range.clone()).unwrap_or(&[]))
                .map(|(x, y)| [*x, y_of.as_ref().map_or(f64::NAN, |column| column.value_of(*y))])
                .collect();
            if profile.len() != n {
                continue;
            }
            let chunk = profile_chunk(&profile);
            if chunk.min_world[0].is_finite() && profile.iter().any(|p| p[0].is_finite() && p[1].is_finite()) {
                series.bounds = Some(match series.bounds {
                    None => (chunk.min_world, chunk.max_world),
                    Some((min, max)) => (
                        [min[0].min(chunk.min_world[0]), min[1].min(chunk.min_world[1])],
                        [max[0].max(chunk.max_world[0]), max[1].max(chunk.max_world[1])],
                    ),
                });
            }
            series.chunks.push(ProfileChunk { chunk, layer_chunk: c, points: range });
        }
        series
    }

    pub fn num_points(&self) -> usize {
        self.chunks.iter().map(|c| c.chunk.len()).sum()
    }

    /// The point (its index in the layer's values) nearest to pixel `px` of `camera`, within `radius_px` pixels,
    /// and its distance in pixels. Only chunks whose box is within reach are scanned.
    pub fn nearest(&self, camera: &floe_render::ProfileCamera, px: [f64; 2], radius_px: f64) -> Option<(usize, f64)> {
        let at = camera.profile_from_px(px);
        let reach = [radius_px / camera.px_per_unit[0], radius_px / camera.px_per_unit[1]];
        let mut best: Option<(usize, f64)> = None;
        for chunk in &self.chunks {
            let c = &chunk.chunk;
            if c.min_world[0] - reach[0] > at[0]
                || c.max_world[0] + reach[0] < at[0]
                || c.min_world[1] - reach[1] > at[1]
                || c.max_world[1] + reach[1] < at[1]
            {
                continue;
            }
            for (j, offset) in c.offsets.iter().enumerate() {
                let dx = (c.origin_world[0] + f64::from(offset[0]) - at[0]) * camera.px_per_unit[0];
                let dy = (c.origin_world[1] + f64::from(offset[1]) - at[1]) * camera.px_per_unit[1];
                let distance = dx.hypot(dy);
                if distance <= radius_px && best.is_none_or(|(_, d)| distance < d) {
                    best = Some((chunk.points.start + j, distance));
                }
            }
        }
        best
    }

    /// The lowest and highest y of the points whose x lies in `x0`–`x1`.
    pub fn y_bounds_within(&self, x0: f64, x1: f64) -> Option<(f64, f64)> {
        let mut bounds: Option<(f64, f64)> = None;
        for chunk in &self.chunks {
            let c = &chunk.chunk;
            if c.max_world[0] < x0 || c.min_world[0] > x1 {
                continue;
            }
            for o in &c.offsets {
                let [x, y] = [c.origin_world[0] + f64::from(o[0]), c.origin_world[1] + f64::from(o[1])];
                if (x0..=x1).contains(&x) && y.is_finite() {
                    bounds = Some(bounds.map_or((y, y), |(lo, hi)| (lo.min(y), hi.max(y))));
                }
            }
        }
        bounds
    }

    /// The profile position of loaded point `point`, when it is on this track.
    pub fn position_of(&self, point: usize) -> Option<[f64; 2]> {
        let chunk = self.chunks.iter().find(|c| c.points.contains(&point))?;
        let offset = chunk.chunk.offsets.get(point - chunk.points.start)?;
        Some([chunk.chunk.origin_world[0] + f64::from(offset[0]), chunk.chunk.origin_world[1] + f64::from(offset[1])])
    }

    /// The points inside a closed ring drawn in `profile` space (a lasso), grouped as [`ProfileSeries::inside`].
    pub fn inside_ring(&self, ring: &[[f64; 2]]) -> ChunkSelection {
        let (min, max) = ring_bounds(ring);
        let mut out = self.inside(min, max);
        for (layer_chunk, offsets) in &mut out {
            let Some(chunk) = self.chunks.iter().find(|c| c.layer_chunk == *layer_chunk) else { continue };
            let c = &chunk.chunk;
            offsets.retain(|&j| {
                c.offsets.get(j).is_some_and(|o| {
                    in_ring(ring, [c.origin_world[0] + f64::from(o[0]), c.origin_world[1] + f64::from(o[1])])
                })
            });
        }
        out.retain(|(_, offsets)| !offsets.is_empty());
        out
    }

    /// The points inside the profile box `min`–`max` (edges included), as the layer's point indexes, grouped by map
    /// chunk: `(layer chunk, offsets within it)`.
    pub fn inside(&self, min: [f64; 2], max: [f64; 2]) -> ChunkSelection {
        let mut out = Vec::new();
        for chunk in &self.chunks {
            let c = &chunk.chunk;
            if c.max_world[0] < min[0] || c.min_world[0] > max[0] || c.max_world[1] < min[1] || c.min_world[1] > max[1]
            {
                continue;
            }
            let picked: Vec<usize> = c
                .offsets
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    let p = [c.origin_world[0] + f64::from(o[0]), c.origin_world[1] + f64::from(o[1])];
                    (min[0]..=max[0]).contains(&p[0]) && (min[1]..=max[1]).contains(&p[1])
                })
                .map(|(j, _)| j)
                .collect();
            if !picked.is_empty() {
                out.push((chunk.layer_chunk, picked));
            }
        }
        out
    }
}

/// Lon/lat of each point of a map chunk.
fn chunk_lonlat(chunk: &PointChunk, projection: Projection) -> impl Iterator<Item = [f64; 2]> + '_ {
    chunk.offsets.iter().map(move |o| {
        projection.lonlat_from_world([chunk.origin_world[0] + f64::from(o[0]), chunk.origin_world[1] + f64::from(o[1])])
    })
}
