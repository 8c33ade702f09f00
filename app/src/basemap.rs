//! The embedded offline basemap: Natural Earth 1:110m coastlines (public domain, via npm `world-atlas`;
//! regenerate with `scripts/make-basemap.mjs`), so the map is never blank without network.

use floe_render::world_from_lonlat;

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

/// Coastline polylines in `world` space, as the GPU line pipeline takes them. Lines are split where they
/// cross the antimeridian, which would otherwise draw a segment across the whole map.
pub fn coastline_world() -> Vec<Vec<[f64; 2]>> {
    let mut lines = Vec::new();
    for line in coastline_lonlat() {
        let mut current: Vec<[f64; 2]> = Vec::new();
        let mut previous_lon: Option<f32> = None;
        for [lon, lat] in line {
            if previous_lon.is_some_and(|p| (lon - p).abs() > 180.0) && current.len() > 1 {
                lines.push(std::mem::take(&mut current));
            } else if previous_lon.is_some_and(|p| (lon - p).abs() > 180.0) {
                current.clear();
            }
            current.push(world_from_lonlat(f64::from(lon), f64::from(lat)));
            previous_lon = Some(lon);
        }
        if current.len() > 1 {
            lines.push(current);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn coastline_asset_decodes() {
        let lines = super::coastline_lonlat();
        assert_eq!(lines.len(), 125);
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 5122);
        assert!(lines.iter().flatten().all(|[lon, lat]| lon.abs() <= 180.0 && lat.abs() <= 90.0));
    }

    #[test]
    fn no_world_segment_spans_half_the_map() {
        let lines = super::coastline_world();
        let longest = lines.iter().flat_map(|l| l.windows(2)).map(|w| (w[1][0] - w[0][0]).abs()).fold(0.0, f64::max);
        assert!(longest < 0.1, "longest segment {longest} of the world's width");
    }
}
