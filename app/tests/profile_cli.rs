//! `floe profile` end to end: points of a generated track with a known height shape land on the pixels the axes'
//! arithmetic predicts (worked out here from the plot's layout, not through Floe's camera), an overlay draws both
//! inputs, and a missing or ambiguous track or column is refused with a message naming the file.

use std::path::PathBuf;
use std::process::Command;

fn floe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_floe")).args(args).output().expect("run floe")
}

fn fixture(name: &str) -> String {
    let root = std::env::var_os("FLOE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"));
    root.join("profile").join(name).to_string_lossy().into_owned()
}

fn tempdir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("floe-profile-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Png {
    width: usize,
    pixels: Vec<u8>,
}

impl Png {
    fn read(path: &std::path::Path) -> Self {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        Png { width: info.width as usize, pixels }
    }

    fn at(&self, [x, y]: [f64; 2]) -> [u8; 4] {
        let (x, y) = (x.floor() as usize, y.floor() as usize);
        self.pixels[(y * self.width + x) * 4..][..4].try_into().unwrap()
    }
}

/// The fixture's photon heights: a triangle from 100 m up to 200 m (point 500) and back, 10 m apart from x_atc
/// 1,000,000 m (see `scripts/fixtures.py`).
fn triangle(i: usize) -> f64 {
    100.0 + 0.2 * (if i < 500 { i } else { 1000 - i }) as f64
}

/// Where a profile position lands in a 600x400 image: the plot area spans x 78–480, y 30–348 (margins 78 left, 120
/// right, 30 top, 52 bottom), and the data's box fills 92 % of it (4 % margins), centred.
fn pixel_of(x: f64, y: f64, data_min: [f64; 2], data_max: [f64; 2]) -> [f64; 2] {
    let (plot_w, plot_h) = (402.0, 318.0);
    let sx = plot_w * 0.92 / (data_max[0] - data_min[0]);
    let sy = plot_h * 0.92 / (data_max[1] - data_min[1]);
    let cx = (data_min[0] + data_max[0]) / 2.0;
    let cy = (data_min[1] + data_max[1]) / 2.0;
    [78.0 + plot_w / 2.0 + (x - cx) * sx, 30.0 + plot_h / 2.0 - (y - cy) * sy]
}

const WHITE: [u8; 4] = [255, 255, 255, 255];
const GRID: [u8; 4] = [225, 225, 225, 255];

#[test]
fn a_known_height_shape_lands_on_its_pixels() {
    let dir = tempdir();
    let out_path = dir.join("photons.png");
    let out = floe(&[
        "profile",
        &fixture("photons.parquet"),
        "--beam",
        "gt1l",
        "--size",
        "600x400",
        "--range",
        "100:200",
        "--point-size",
        "3",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("track rgt 7 · cycle 3 · gt1l; "), "{stdout}");
    assert!(stdout.contains("photons.parquet: 1000 points"), "{stdout}");
    let png = Png::read(&out_path);
    let (min, max) = ([1_000_000.0, 100.0], [1_009_990.0, 200.0]);
    for i in [0, 137, 250, 500, 730, 999] {
        let x = 1_000_000.0 + 10.0 * i as f64;
        let h = triangle(i);
        let expected = floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(h as f32, 100.0, 200.0)];
        let got = png.at(pixel_of(x, h, min, max));
        let close = got.iter().zip(expected).all(|(a, b)| a.abs_diff(b) <= 40);
        assert!(close, "photon {i} (x_atc {x}, h {h}): {got:?}, expected about {expected:?}");
        // 20 m above the triangle is empty plot (white or a grid line), except above the peak (its frame).
        if i != 500 {
            let above = png.at(pixel_of(x, h + 20.0, min, max));
            assert!(above == WHITE || above == GRID, "above photon {i}: {above:?}");
        }
    }
    // The flat gt2l photons (0 m) are another track: nothing is drawn at 0 m, which is below the plot anyway,
    // and the plot's bottom-left corner stays empty.
    let corner = png.at(pixel_of(1_000_100.0, 190.0, min, max));
    assert!(corner == WHITE || corner == GRID, "{corner:?}");
    // Axis text is drawn: dark pixels left of the plot (the y tick labels) and under it (the x tick labels).
    let dark = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (x0..x1).any(|x| (y0..y1).any(|y| png.at([x as f64, y as f64])[0] < 120))
    };
    assert!(dark(20, 72, 30, 348), "y tick labels");
    assert!(dark(78, 480, 355, 372), "x tick labels");
}

#[test]
fn an_overlay_draws_both_inputs() {
    let dir = tempdir();
    let out_path = dir.join("overlay.png");
    let out = floe(&[
        "profile",
        &fixture("photons.parquet"),
        &fixture("segments.parquet"),
        "--beam",
        "gt1l",
        "--size",
        "600x400",
        "--range",
        "100:200",
        "--point-size",
        "3",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = Png::read(&out_path);
    // Both inputs' box: the segments reach 210 m at the peak.
    let (min, max) = ([1_000_000.0, 100.0], [1_009_990.0, 210.0]);
    for segment in [2, 7, 13] {
        let i = 50 * segment;
        let x = 1_000_000.0 + 10.0 * i as f64;
        let red = png.at(pixel_of(x, triangle(i) + 10.0, min, max));
        assert!(red[0] > 180 && red[1] < 80 && red[2] < 80, "segment {segment}: {red:?}");
        let photon = png.at(pixel_of(x, triangle(i), min, max));
        let expected =
            floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(triangle(i) as f32, 100.0, 200.0)];
        assert!(photon.iter().zip(expected).all(|(a, b)| a.abs_diff(b) <= 40), "photon {i}: {photon:?}");
    }
}

fn fails_with(args: &[&str], expected: &str) {
    let out = floe(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end(), expected);
}

#[test]
fn missing_or_ambiguous_tracks_and_columns_are_named() {
    let dir = tempdir();
    let out = dir.join("never.png");
    let out = out.to_str().unwrap();
    let photons = fixture("photons.parquet");
    fails_with(
        &["profile", &photons, "--out", out],
        &format!(
            "error: {photons}: 2 tracks match: rgt 7 · cycle 3 · gt1l; rgt 7 · cycle 3 · gt2l; choose one with --beam \
             or --track KEY=VALUE"
        ),
    );
    fails_with(
        &["profile", &photons, "--beam", "gt3r", "--out", out],
        &format!(
            "error: {photons}: no track matches --beam gt3r (tracks: rgt 7 · cycle 3 · gt1l; rgt 7 · cycle 3 · gt2l)"
        ),
    );
    fails_with(
        &["profile", &photons, "--track", "gt=gt2l", "--track", "rgt=8", "--out", out],
        &format!(
            "error: {photons}: no track matches --track gt=gt2l --track rgt=8 (tracks: rgt 7 · cycle 3 · gt1l; rgt 7 \
             · cycle 3 · gt2l)"
        ),
    );
    fails_with(
        &["profile", &photons, "--beam", "gt1l", "--y", "h_li", "--out", out],
        &format!(
            "error: {photons}: no numeric column `h_li` for the y axis (numeric columns: rgt, cycle, x_atc, h_ph)"
        ),
    );
    fails_with(&["profile", &photons, "--x", "depth", "--out", out], "error: --x `depth`: expected x_atc, time or lat");
    assert!(!std::path::Path::new(out).exists());
}

#[test]
fn track_key_value_pairs_choose_the_track() {
    let dir = tempdir();
    let out_path = dir.join("gt2l.png");
    let out = floe(&[
        "profile",
        &fixture("photons.parquet"),
        "--track",
        "gt=gt2l",
        "--track",
        "rgt=7",
        "--x",
        "lat",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("track rgt 7 · cycle 3 · gt2l; "));
}

#[test]
fn xrange_shows_a_stretch_with_its_own_height_range() {
    let dir = tempdir();
    let out_path = dir.join("stretch.png");
    let out = floe(&[
        "profile",
        &fixture("photons.parquet"),
        "--beam",
        "gt1l",
        "--size",
        "600x400",
        "--range",
        "100:200",
        "--point-size",
        "3",
        "--xrange",
        "1002000:1004000",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = Png::read(&out_path);
    // x: the 2 km fill the plot's 402 pixels exactly; y: photons 200–400 span 140–180 m, fitted with 4 % margins.
    let sy = 318.0 * 0.92 / 40.0;
    let at = |x: f64, h: f64| [78.0 + (x - 1_002_000.0) / 2000.0 * 402.0, 30.0 + 159.0 - (h - 160.0) * sy];
    for i in [210, 300, 390] {
        let (x, h) = (1_000_000.0 + 10.0 * i as f64, triangle(i));
        let expected = floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(h as f32, 100.0, 200.0)];
        let got = png.at(at(x, h));
        assert!(got.iter().zip(expected).all(|(a, b)| a.abs_diff(b) <= 40), "photon {i}: {got:?} vs {expected:?}");
    }
    let out = floe(&[
        "profile",
        &fixture("photons.parquet"),
        "--beam",
        "gt1l",
        "--xrange",
        "5:6",
        "--out",
        out_path.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let photons = fixture("photons.parquet");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "error: {photons}: track rgt 7 · cycle 3 · gt1l has no point in --xrange 5:6 (its points span 1000000:1009990)"
        )
    );
}
