//! Benchmark of a projection switch (`scripts/bench-projection` runs it beside pyproj): N points over Greenland,
//! chunked in Web Mercator as the loader makes them, moved into EPSG:3413 with `reproject_chunks`, as the viewer
//! does when the user switches. Prints the best of three in seconds (and, on stderr, one switch back).

use floe_render::projection::reproject_chunks;
use floe_render::{Projection, chunk_world_points};

fn main() {
    let points: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000_000);
    // Along tracks, as ICESat-2 data are: 1,000 tracks of points 2 m apart, spread over 60–83°N, 70–20°W.
    let per_track = points / 1000;
    let world: Vec<[f64; 2]> = (0..points)
        .map(|i| {
            let (track, step) = (i / per_track.max(1), i % per_track.max(1));
            let lon = -70.0 + 50.0 * (track as f64 / 1000.0);
            let lat = 60.0 + 23.0 * (step as f64 / per_track.max(1) as f64);
            Projection::Mercator.world_from_lonlat(lon, lat)
        })
        .collect();
    let chunks: Vec<_> = chunk_world_points(&world).into_iter().map(|(chunk, _)| chunk).collect();
    drop(world);
    let mut best = f64::INFINITY;
    let mut moved = 0;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let north = reproject_chunks(&chunks, Projection::Mercator, Projection::North);
        best = best.min(start.elapsed().as_secs_f64());
        moved = north.iter().map(|c| c.len()).sum::<usize>();
    }
    assert_eq!(moved, points);
    // And back (polar → Web Mercator: the inverse polar projection, iterated), on stderr for the record.
    let north = reproject_chunks(&chunks, Projection::Mercator, Projection::North);
    let start = std::time::Instant::now();
    let back = reproject_chunks(&north, Projection::North, Projection::Mercator);
    eprintln!(
        "back to Web Mercator: {:.3} s ({} points)",
        start.elapsed().as_secs_f64(),
        back.iter().map(|c| c.len()).sum::<usize>()
    );
    println!("{best:.3}");
}
