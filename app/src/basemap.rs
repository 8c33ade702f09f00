//! The embedded offline basemap: Natural Earth 1:110m coastlines (public domain, via npm `world-atlas`;
//! regenerate with `scripts/make-basemap.mjs`), so the map is never blank without network; and the graticule.
//! Both in the world space of any [`Projection`].

use floe_render::Projection;

const COASTLINE: &[u8] = include_bytes!("../../assets/coastline_110m.bin");

/// Coastline polylines in lon/lat degrees. A malformed asset yields what could be read before the fault.
pub fn coastline_lonlat() -> Vec<Vec<[f32; 2]>> {
    let mut reader = COASTLINE;
    let mut take_u32 = || -> Option<u32> {
        let (head, rest) = reader.split_first_chunk::<4>()?;
        reader = rest;
        Some(u32::from_le_bytes(*head))
    };
    let mut lines = Vec::new();
    let Some(count) = take_u32() else { return lines };
    let mut floats = Vec::new();
    for _ in 0..count {
        let Some(n) = take_u32() else { break };
        floats.clear();
        for _ in 0..n * 2 {
            let Some(bits) = take_u32() else { return lines };
            floats.push(f32::from_bits(bits));
        }
        lines.push(floats.chunks_exact(2).map(|p| [p[0], p[1]]).collect());
    }
    lines
}

/// Coastline polylines in `world` space of `projection`, as the GPU line pipeline takes them. On the Web
/// Mercator map lines are split where they cross the antimeridian, which would otherwise draw a segment across
/// the whole map; in a polar view the antimeridian is an ordinary meridian, and lines are cut where they leave
/// the view's hemisphere instead (the other pole is infinitely far).
pub fn coastline_world(projection: Projection) -> Vec<Vec<[f64; 2]>> {
    let mut lines = Vec::new();
    for line in coastline_lonlat() {
        let mut current: Vec<[f64; 2]> = Vec::new();
        let mut previous_lon: Option<f32> = None;
        for [lon, lat] in line {
            let cut = match projection {
                Projection::Mercator => previous_lon.is_some_and(|p| (lon - p).abs() > 180.0),
                Projection::North | Projection::South => !in_hemisphere(projection, f64::from(lat)),
            };
            if cut && current.len() > 1 {
                lines.push(std::mem::take(&mut current));
            } else if cut {
                current.clear();
            }
            if projection == Projection::Mercator || in_hemisphere(projection, f64::from(lat)) {
                current.push(projection.world_from_lonlat(f64::from(lon), f64::from(lat)));
            }
            previous_lon = Some(lon);
        }
        if current.len() > 1 {
            lines.push(current);
        }
    }
    lines
}

/// Whether a latitude is drawn in a polar view: its own hemisphere.
fn in_hemisphere(projection: Projection, lat: f64) -> bool {
    match projection {
        Projection::Mercator => true,
        Projection::North => lat >= 0.0,
        Projection::South => lat <= 0.0,
    }
}

/// Parallels every 10° and meridians every 30°, in `world` space of `projection`: over the whole Web Mercator
/// map, and from the equator to the pole in a polar view.
pub fn graticule_world(projection: Projection) -> Vec<Vec<[f64; 2]>> {
    let (parallels, meridian_lats): (Vec<f64>, (f64, f64)) = match projection {
        Projection::Mercator => ((-8..=8).map(|i| f64::from(i) * 10.0).collect(), (-85.0, 85.0)),
        Projection::North => ((1..=8).map(|i| f64::from(i) * 10.0).collect(), (0.0, 90.0)),
        Projection::South => ((1..=8).map(|i| -f64::from(i) * 10.0).collect(), (-90.0, 0.0)),
    };
    let mut lines: Vec<Vec<[f64; 2]>> = parallels
        .iter()
        .map(|&lat| (0..=360).map(|i| projection.world_from_lonlat(f64::from(i) - 180.0, lat)).collect())
        .collect();
    for i in 0..12 {
        let lon = f64::from(i) * 30.0 - 180.0;
        let (south, north) = meridian_lats;
        lines.push(
            (0..=90)
                .map(|j| projection.world_from_lonlat(lon, south + (north - south) * f64::from(j) / 90.0))
                .collect(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use floe_render::Projection;

    #[test]
    fn coastline_asset_decodes() {
        let lines = super::coastline_lonlat();
        assert_eq!(lines.len(), 125);
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 5122);
        assert!(lines.iter().flatten().all(|[lon, lat]| lon.abs() <= 180.0 && lat.abs() <= 90.0));
    }

    #[test]
    fn no_world_segment_spans_half_the_map() {
        let lines = super::coastline_world(Projection::Mercator);
        let longest = lines.iter().flat_map(|l| l.windows(2)).map(|w| (w[1][0] - w[0][0]).abs()).fold(0.0, f64::max);
        assert!(longest < 0.1, "longest segment {longest} of the world's width");
    }

    #[test]
    fn polar_coastlines_stay_in_their_hemisphere_and_have_no_long_jumps() {
        for projection in [Projection::North, Projection::South] {
            let lines = super::coastline_world(projection);
            assert!(lines.len() > 10, "{projection:?}: {} lines", lines.len());
            let segment = |w: &[[f64; 2]]| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
            let longest = lines.iter().flat_map(|l| l.windows(2)).map(segment).fold(0.0, f64::max);
            // 1:110m vertices are at most a few hundred km apart: no segment crosses the map.
            assert!(longest < 0.02, "{projection:?}: longest segment {longest} world units");
            for point in lines.iter().flatten() {
                let [_, lat] = projection.lonlat_from_world(*point);
                assert!(if projection == Projection::North { lat >= -1e-6 } else { lat <= 1e-6 }, "{lat}");
            }
        }
        // Antarctica's coastline is one line across the antimeridian: in the south view it is closed, not cut.
        let south = super::coastline_world(Projection::South);
        let antarctica = south.iter().max_by_key(|l| l.len()).unwrap();
        let (first, last) = (antarctica[0], antarctica[antarctica.len() - 1]);
        assert!((first[0] - last[0]).hypot(first[1] - last[1]) < 1e-3, "{first:?} … {last:?}");
    }
}
