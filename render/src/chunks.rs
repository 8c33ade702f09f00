//! CPU side of the precision scheme: points are grouped into chunks, each with an f64 origin in `world`
//! space and f32 offsets from it. Chunks are bounded in count and in extent, so f32 offsets stay far below
//! a pixel even at zoom 20.

/// Points per chunk at most (12 B each on the GPU: 12 MiB per chunk).
pub const MAX_CHUNK_POINTS: usize = 1 << 20;
/// World extent of a chunk at most (~400 km at the equator): f32 error ≤ 1e-2 · 2^-24 · 256 · 2^20 px ≈ 0.16 px at
/// zoom 20. Along a track the extent is what ends a chunk: with 1e-3, 2M points on polar tracks made ~1,000 chunks
/// and recording their draw calls cost 90 ms of the UI thread per frame.
pub const MAX_CHUNK_EXTENT: f64 = 1e-2;

/// Points of one chunk, ready to upload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointChunk {
    pub origin_world: [f64; 2],
    pub offsets: Vec<[f32; 2]>,
    /// World box of the chunk's points: min, max.
    pub min_world: [f64; 2],
    pub max_world: [f64; 2],
}

impl PointChunk {
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }
}

/// Splits points (already in `world` space) into chunks, in order. Returns the chunks and, for each chunk,
/// the index range of the input points it holds (values are split the same way).
pub fn chunk_world_points(world: &[[f64; 2]]) -> Vec<(PointChunk, std::ops::Range<usize>)> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < world.len() {
        let origin = world[start];
        let mut min = origin;
        let mut max = origin;
        let mut end = start;
        while end < world.len() && end - start < MAX_CHUNK_POINTS {
            let p = world[end];
            let new_min = [min[0].min(p[0]), min[1].min(p[1])];
            let new_max = [max[0].max(p[0]), max[1].max(p[1])];
            if new_max[0] - new_min[0] > MAX_CHUNK_EXTENT || new_max[1] - new_min[1] > MAX_CHUNK_EXTENT {
                break;
            }
            min = new_min;
            max = new_max;
            end += 1;
        }
        let offsets =
            world[start..end].iter().map(|p| [(p[0] - origin[0]) as f32, (p[1] - origin[1]) as f32]).collect();
        chunks.push((PointChunk { origin_world: origin, offsets, min_world: min, max_world: max }, start..end));
        start = end;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_extent_and_keep_order() {
        let points: Vec<[f64; 2]> = (0..5000).map(|i| [0.5 + i as f64 * 1.5e-5, 0.25]).collect();
        let chunks = chunk_world_points(&points);
        // A chunk spans at most 1e-2: points 0..=666 (666 × 1.5e-5 = 0.999e-2), so 667 per chunk, 8 chunks.
        assert_eq!(chunks.len(), 8);
        assert_eq!(chunks[0].1, 0..667);
        assert_eq!(chunks.last().map(|c| c.1.end), Some(5000));
        let (chunk, range) = &chunks[1];
        let back = chunk.origin_world[0] + f64::from(chunk.offsets[10][0]);
        assert!((back - points[range.start + 10][0]).abs() < 1e-9);
    }
}
