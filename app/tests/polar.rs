//! `floe render` in the polar views (issue 12): points land where EPSG:3413/3031 (pyproj, in
//! `$FLOE_FIXTURES/polar/polar_oracle.json`) put them, around each pole, and data poleward of 60° choose the view.

use std::path::PathBuf;
use std::process::Command;

fn floe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_floe")).args(args).output().expect("run floe")
}

fn fixtures() -> PathBuf {
    PathBuf::from(std::env::var_os("FLOE_FIXTURES").expect("FLOE_FIXTURES (set by ./scripts/test)"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floe-polar-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_png(path: &std::path::Path) -> (usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    (info.width as usize, pixels)
}

const WHITE: [u8; 4] = [255, 255, 255, 255];

#[test]
fn points_land_where_epsg_puts_them_around_each_pole() {
    let oracle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("polar/polar_oracle.json")).unwrap()).unwrap();
    let dir = out_dir("around");
    for pole in ["north", "south"] {
        let png = dir.join(format!("{pole}.png"));
        let input = fixtures().join(format!("polar/{pole}.parquet"));
        let out = floe(&[
            "render",
            // The points alone: the legend box would be counted among them.
            "--no-legend",
            input.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
            "--force",
            "--projection",
            pole,
            "--extent",
            "-1500000,-1500000,1500000,1500000",
            "--size",
            "301x301",
            "--basemap",
            "none",
            "--range",
            "0:3",
            "--point-size",
            "7",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (width, pixels) = read_png(&png);
        let at = |x: usize, y: usize| -> [u8; 4] { pixels[(y * width + x) * 4..][..4].try_into().unwrap() };
        // 3,000 km over 301 pixels; the pole (0, 0) at the centre of pixel 150; y up in metres, down in pixels.
        let scale = 301.0 / 3_000_000.0;
        for point in oracle[pole].as_array().unwrap() {
            let [x, y, value] = [0, 1, 2].map(|i| point[i].as_f64().unwrap());
            let px = (150.5 + x * scale).floor() as usize;
            let py = (150.5 - y * scale).floor() as usize;
            let expected =
                floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(value as f32, 0.0, 3.0)];
            assert_eq!(at(px, py), expected, "{pole}: value {value} at ({x:.0}, {y:.0}) m = pixel ({px}, {py})");
        }
        assert_eq!(at(150, 150), WHITE, "{pole}: nothing at the pole");
    }
}

#[test]
fn data_poleward_of_60_choose_the_polar_view_by_themselves() {
    let granule = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/hdf5/real/hts__ATL03_gt1l.h5");
    let png = out_dir("auto").join("atl03.png");
    let out = floe(&[
        "render",
        // The points alone: the legend box would be counted among them.
        "--no-legend",
        granule.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
        "--force",
        "--size",
        "600x450",
        "--basemap",
        "none",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("projection: North polar stereographic (EPSG:3413)\n"), "{stdout}");
    assert!(stdout.contains("600x450, 2909 points"), "{stdout}");
    // h5py: 2,605 photons near 95°E and 304 near 179°E, both at 87.3°N: two groups ~430 km apart, each drawn
    // well inside the image (Web Mercator could only put them on its top edge, at 85.05°).
    let (width, pixels) = read_png(&png);
    let coloured: Vec<(usize, usize)> =
        pixels.chunks_exact(4).enumerate().filter(|(_, p)| *p != WHITE).map(|(i, _)| (i % width, i / width)).collect();
    let left = coloured.iter().filter(|(x, _)| *x < 300).count();
    let right = coloured.iter().filter(|(x, _)| *x >= 300).count();
    assert!(left > 4 && right > 4, "points on both sides: {left} left, {right} right");
    assert!(coloured.iter().all(|(_, y)| (20..430).contains(y)), "no point pinned to an edge");
}

#[test]
fn an_extent_needs_a_polar_view() {
    let out = floe(&["render", "sample", "--out", "/tmp/floe-never.png", "--extent", "0,0,1,1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --extent is in projected metres of a polar view: add --projection north or --projection south\n"
    );
    let out =
        floe(&["render", "sample", "--out", "/tmp/floe-never.png", "--projection", "north", "--extent", "5,0,1,1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --extent 5,0,1,1: expected XMIN,YMIN,XMAX,YMAX with XMIN < XMAX and YMIN < YMAX\n"
    );
}

#[test]
fn greenland_draws_inside_its_coastline_projected_by_proj() {
    let oracle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("polar/greenland_3413.json")).unwrap()).unwrap();
    let ring: Vec<[f64; 2]> =
        oracle["ring"].as_array().unwrap().iter().map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]).collect();
    let inside = |p: [f64; 2]| {
        let mut inside = false;
        for (i, a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
                inside = !inside;
            }
        }
        inside
    };
    let png = out_dir("greenland").join("greenland.png");
    let input = fixtures().join("polar/greenland.parquet");
    // 2,000 km × 3,000 km at 5 km per pixel, from (−800 km, −3,400 km).
    let out = floe(&[
        "render",
        // The points alone: the legend box would be counted among them.
        "--no-legend",
        input.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
        "--force",
        "--projection",
        "north",
        "--extent",
        "-800000,-3400000,1200000,-400000",
        "--size",
        "400x600",
        "--basemap",
        "none",
        "--point-size",
        "2",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let points = oracle["points"].as_u64().unwrap();
    assert!(stdout.contains(&format!("400x600, {points} points")), "{stdout}");
    let (width, pixels) = read_png(&png);
    let mut drawn = 0;
    for (i, pixel) in pixels.chunks_exact(4).enumerate() {
        if pixel == WHITE {
            continue;
        }
        drawn += 1;
        let (x, y) = ((i % width) as f64 + 0.5, (i / width) as f64 + 0.5);
        let metres = [-800_000.0 + x * 5000.0, -400_000.0 - y * 5000.0];
        assert!(inside(metres), "a point drawn at pixel ({x}, {y}) = {metres:?} m lies outside Greenland");
    }
    assert!(drawn as u64 >= points, "{drawn} pixels drawn for {points} points");
}
