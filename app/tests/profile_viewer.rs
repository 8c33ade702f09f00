//! The profile panel in the desktop viewer (kittest, wgpu on lavapipe), on the generated track of
//! `scripts/fixtures.py` (`profile/`): photons 10 m apart with heights in a triangle, segments 10 m above them.
//! The profile draws both layers at the pixels of their positions, hovering links the profile and the map both ways,
//! a click shows the photon's row, and a brushed rectangle exports exactly the rows a filter on the files finds.

mod common;

use std::path::PathBuf;

use arrow_array::Array as _;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use common::{click_at, lonlat_under, wait_notice};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use floe::profile::TrackPoints;
use floe::viewer::{AppOptions, FloeApp};

fn fixture(name: &str) -> String {
    let root = std::env::var_os("FLOE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"));
    root.join("profile").join(name).to_string_lossy().into_owned()
}

const TRACK: &str = "rgt 7 · cycle 3 · gt1l";

fn triangle(i: usize) -> f64 {
    100.0 + 0.2 * (if i < 500 { i } else { 1000 - i }) as f64
}

/// The viewer (1100×800) with `options`, stepped until its `layers` layers have loaded, plus a few frames.
fn viewer_with(options: AppOptions, layers: usize) -> Harness<'static, FloeApp> {
    common::viewer_sized(options, egui::vec2(1100.0, 800.0), layers)
}

/// The viewer on photons and segments with the profile open, every layer loaded and drawn.
fn profile_viewer() -> Harness<'static, FloeApp> {
    let options = AppOptions {
        tiles: false,
        inputs: vec![fixture("photons.parquet"), fixture("segments.parquet")],
        profile: Some(String::new()),
        ..AppOptions::default()
    };
    viewer_with(options, 2)
}

/// The photon layer's point with this x_atc.
fn photon_at(harness: &Harness<'static, FloeApp>, x_atc: f64) -> (u64, usize) {
    let layer = &harness.state().layers[0];
    let point = layer.along_track().iter().position(|x| *x == x_atc).expect("a photon at this x_atc");
    (layer.id, point)
}

/// Pixels of `colour` (within 12 per channel: the ring's pure colour, not its blends with what it covers) inside `rect`, and their centre.
fn find_colour(image: &image::RgbaImage, rect: egui::Rect, ppp: f32, colour: [u8; 3]) -> (usize, egui::Pos2) {
    let mut found = Vec::new();
    for (x, y, pixel) in image.enumerate_pixels() {
        let at = egui::pos2(x as f32 / ppp, y as f32 / ppp);
        if rect.contains(at) && pixel.0[..3].iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 12) {
            found.push(at);
        }
    }
    let n = found.len().max(1) as f32;
    let centroid = found.iter().fold(egui::Pos2::ZERO, |acc, p| acc + p.to_vec2() / n);
    // A ring's centre: the middle of the box of its pixels near the centroid (points of a similar colour under a
    // part of it would pull a centroid off).
    let near: Vec<egui::Pos2> = found.iter().copied().filter(|p| p.distance(centroid) < 16.0).collect();
    let bounds = egui::Rect::from_points(&near);
    (found.len(), bounds.center())
}

#[test]
fn the_profile_draws_the_track_and_links_with_the_map() {
    let mut harness = profile_viewer();
    assert_eq!(harness.state().profile.track.as_deref(), Some(TRACK), "the first track, gt1l");
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-profile-test.png")).unwrap();
    assert_eq!(harness.state().profile.points_drawn(), 1020, "1000 photons and 20 segments of gt1l");

    // Photon 250 (x_atc 1,002,500 m, 150 m) is drawn at its place in the profile, in its viridis colour.
    let ppp = harness.ctx.pixels_per_point();
    let at = harness.state().profile.ui_from_profile([1_002_500.0, triangle(250)]).unwrap();
    let plot = harness.state().profile.plot_rect().unwrap();
    assert!(plot.contains(at));
    let range = harness.state().layers[0].style.value_range;
    let expected = floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(150.0, range.0, range.1)];
    let pixel = image.get_pixel((at.x * ppp) as u32, (at.y * ppp) as u32).0;
    assert!(pixel.iter().zip(expected).take(3).all(|(a, b)| a.abs_diff(b) <= 30), "{pixel:?} vs {expected:?}");
    // Segment 5 (x_atc 1,002,500 m, 160 m) too, above it.
    let segment = harness.state().profile.ui_from_profile([1_002_500.0, triangle(250) + 10.0]).unwrap();
    let pixel = image.get_pixel((segment.x * ppp) as u32, (segment.y * ppp) as u32).0;
    assert_ne!(pixel[..3], [255, 255, 255], "a segment is drawn at {segment:?}");

    // Hovering the photon in the profile marks it on the map: the ring's centre is where the status bar reads the
    // photon's lon/lat.
    harness.hover_at(at);
    harness.run_steps(3);
    let photon = photon_at(&harness, 1_002_500.0);
    assert_eq!(harness.state().profile.hovered(), Some(photon));
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-profile-hover.png")).unwrap();
    let map = egui::Rect::from_min_max(egui::pos2(plot.left(), 30.0), egui::pos2(1100.0, plot.top() - 40.0));
    let (ring_pixels, ring_centre) = find_colour(&image, map, ppp, [255, 230, 0]);
    assert!(ring_pixels > 10, "the marker ring on the map: {ring_pixels} pixels");
    let (lon, lat) = lonlat_under(&mut harness, ring_centre);
    let (photon_lon, photon_lat) = harness.state().layers[0].point_lonlat(photon.1).unwrap();
    // The fixture's photons lie on 45°W from 70°N, 10 m apart: the ring is within 2 photons of this one.
    assert!((lon - photon_lon).abs() < 0.001, "{lon} vs {photon_lon}");
    assert!((lat - photon_lat).abs() < 20.0 / 111_000.0, "{lat} vs {photon_lat}");

    // Hovering the map over the photon marks it (or a neighbour a few metres away) in the profile.
    harness.run_steps(2);
    let (layer_id, linked) = harness.state().profile.linked.expect("the map's point is on the profile's track");
    assert_eq!(layer_id, photon.0);
    let linked_x = harness.state().layers[0].along_track()[linked];
    assert!((linked_x - 1_002_500.0).abs() <= 30.0, "{linked_x}");
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-profile-linked.png")).unwrap();
    let (profile_ring, profile_ring_centre) = find_colour(&image, plot, ppp, [255, 230, 0]);
    assert!(profile_ring > 10, "the marker ring in the profile: {profile_ring} pixels");
    let linked_at = harness.state().profile.ui_from_profile([linked_x, triangle(((linked_x - 1e6) / 10.0) as usize)]);
    assert!(profile_ring_centre.distance(linked_at.unwrap()) < 2.0, "{profile_ring_centre:?} vs {linked_at:?}");
}

#[test]
fn clicking_a_photon_in_the_profile_lists_its_row() {
    let mut harness = profile_viewer();
    harness.render().expect("render");
    let at = harness.state().profile.ui_from_profile([1_007_300.0, triangle(730)]).unwrap();
    click_at(&mut harness, at);
    harness.run_steps(2);
    let picked = harness.state().picked().expect("a photon is picked").clone();
    assert_eq!(picked.layer_name, "photons.parquet");
    assert_eq!(harness.state().layers[0].along_track()[picked.point], 1_007_300.0);
    let value = |name: &str| picked.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(value("h_ph").as_deref(), Some("154.00"));
    assert_eq!(value("rgt").as_deref(), Some("7.00"));
    // Its row in the file (rows 0–999 are gt1l, 10 m apart), and the row's other columns read from the file: `gt`
    // is text, never loaded for drawing.
    assert_eq!(value("row").as_deref(), Some("730"));
    assert_eq!(picked.source_row, Some((fixture("photons.parquet"), 730)));
    harness.get_by_label("photons.parquet, row 730");
    for _ in 0..300 {
        harness.step();
        if harness.state().picked().is_some_and(|p| p.row_columns.is_some()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let picked = harness.state().picked().unwrap().clone();
    let columns = picked.row_columns.expect("the row's columns were read").expect("read without error");
    let column = |name: &str| columns.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(column("gt"), Some("gt1l"));
    assert_eq!(column("x_atc"), Some("1007300.0"));
    assert_eq!(column("h_ph"), Some("154.0"));
    assert_eq!(column("rgt"), Some("7"));
    harness.run_steps(2);
    harness.get_by_label("Everything the file holds for this row");
}

/// Rows of a fixture file on gt1l with x_atc and the height column inside the box, read with the parquet crate.
fn rows_inside(name: &str, height: &str, min: [f64; 2], max: [f64; 2]) -> Vec<(f64, f32)> {
    let file = std::fs::File::open(fixture(name)).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let gt = batch.column_by_name("gt").unwrap().as_string::<i32>().clone();
        let x = batch.column_by_name("x_atc").unwrap().as_primitive::<Float64Type>().clone();
        let h = batch.column_by_name(height).unwrap().as_primitive::<Float32Type>().clone();
        for i in 0..batch.num_rows() {
            let (xv, hv) = (x.value(i), h.value(i));
            if gt.value(i) == "gt1l" && (min[0]..=max[0]).contains(&xv) && (min[1]..=max[1]).contains(&f64::from(hv)) {
                rows.push((xv, hv));
            }
        }
    }
    rows
}

/// Rows sorted by x, then height.
fn sorted(mut rows: Vec<(f64, f32)>) -> Vec<(f64, f32)> {
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    rows
}

/// The (x_atc, height) of every row of an exported file, sorted: `h_ph` for photons, `h_li` for segments.
fn exported_rows(path: &std::path::Path) -> Vec<(f64, f32)> {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut exported: Vec<(f64, f32)> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let x = batch.column_by_name("x_atc").unwrap().as_primitive::<Float64Type>().clone();
        let h_ph = batch.column_by_name("h_ph").unwrap().as_primitive::<Float32Type>().clone();
        let h_li = batch.column_by_name("h_li").unwrap().as_primitive::<Float32Type>().clone();
        for i in 0..batch.num_rows() {
            let h = if h_ph.is_valid(i) { h_ph.value(i) } else { h_li.value(i) };
            exported.push((x.value(i), h));
        }
    }
    sorted(exported)
}

#[test]
fn a_brushed_rectangle_highlights_the_map_and_exports_exactly_its_rows() {
    let mut harness = profile_viewer();
    harness.render().expect("render");
    harness.get_by_label("Brush").click();
    harness.run_steps(2);
    let from = harness.state().profile.ui_from_profile([1_001_950.0, 120.0]).unwrap();
    let to = harness.state().profile.ui_from_profile([1_004_020.0, 186.0]).unwrap();
    harness.hover_at(from);
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for f in [0.2f32, 0.6, 1.0] {
        harness.hover_at(from + (to - from) * f);
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(3);
    let brushed = harness.state().profile.brushed.clone().expect("a brushed rectangle");
    // The rectangle is where the pointer went (to a fraction of a pixel).
    let pixel_m = [(to.x - from.x) as f64, (from.y - to.y) as f64];
    assert!((brushed.min[0] - 1_001_950.0).abs() < 2070.0 / pixel_m[0], "{:?}", brushed.min);
    assert!((brushed.max[1] - 186.0).abs() < 66.0 / pixel_m[1], "{:?}", brushed.max);
    let photons = rows_inside("photons.parquet", "h_ph", brushed.min, brushed.max);
    let segments = rows_inside("segments.parquet", "h_li", brushed.min, brushed.max);
    assert!(photons.len() > 100 && segments.len() >= 3, "{} photons, {} segments", photons.len(), segments.len());
    assert_eq!(brushed.count(), photons.len() + segments.len());

    // The brushed points are drawn over the map in the highlight colour.
    let image = harness.render().expect("render");
    let plot = harness.state().profile.plot_rect().unwrap();
    let map = egui::Rect::from_min_max(egui::pos2(plot.left(), 30.0), egui::pos2(1100.0, plot.top() - 40.0));
    let (highlighted, _) = find_colour(&image, map, harness.ctx.pixels_per_point(), [255, 120, 0]);
    assert!(highlighted > 20, "highlighted pixels on the map: {highlighted}");

    // "Export selection…" writes those rows, from the files' own values.
    let path = std::env::temp_dir().join(format!("floe-brush-export-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    wait_notice(&mut harness, "Export");
    let expected = photons.len() + segments.len();
    let notice = format!("Exported {expected} rows to {}", path.display());
    assert_eq!(harness.state().notices, vec![floe::viewer::Notice::info(notice)]);
    assert_eq!(exported_rows(&path), sorted(photons.into_iter().chain(segments).collect()));
    std::fs::remove_file(&path).ok();
}

#[test]
fn keys_step_through_the_tracks_and_the_panel_detaches() {
    let mut harness = profile_viewer();
    harness.key_press(egui::Key::CloseBracket);
    harness.run_steps(3);
    assert_eq!(harness.state().profile.track.as_deref(), Some("rgt 7 · cycle 3 · gt2l"));
    harness.render().expect("render");
    assert_eq!(harness.state().profile.points_drawn(), 1000, "gt2l's photons, no segments");
    harness.key_press(egui::Key::OpenBracket);
    harness.run_steps(3);
    assert_eq!(harness.state().profile.track.as_deref(), Some(TRACK));
    harness.get_by_label("Detach").click();
    harness.run_steps(3);
    assert!(harness.state().profile.detached);
    harness.render().expect("render");
    assert_eq!(harness.state().profile.points_drawn(), 1020, "drawn in its own window");
}

#[test]
fn the_default_scene_opens_with_its_profile() {
    let mut harness = viewer_with(AppOptions { tiles: false, ..AppOptions::default() }, 2);
    let names: Vec<&str> = harness.state().layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["synthetic ATL03 photons", "synthetic ATL06 segments"]);
    let photons = &harness.state().layers[0];
    assert!((2_000_000..3_000_000).contains(&photons.rows_loaded), "{}", photons.rows_loaded);
    assert_eq!(photons.colour_column().map(|c| c.name.as_str()), Some("atl08_class"));
    assert_eq!(photons.style.colormap, floe_render::Colormap::Turbo);
    assert_eq!(harness.state().layers[1].rows_loaded, 6 * 9000);
    assert!(harness.state().profile.open);
    assert_eq!(harness.state().profile.track.as_deref(), Some("rgt 245 · cycle 14 · gt2r"));
    harness.render().expect("render");
    let in_profile: usize = harness.state().profile.series.iter().map(|(_, s)| s.num_points()).sum();
    assert_eq!(harness.state().profile.points_drawn() as usize, in_profile, "the whole track is in view");
    assert!(in_profile > 300_000, "{in_profile}");
}

#[test]
fn the_small_scene_overlays_segments_on_photons() {
    let options = AppOptions {
        tiles: false,
        inputs: vec!["scene-small".into(), "scene-small:atl06".into()],
        profile: Some("rgt 245 · cycle 14 · gt1r".into()),
        ..AppOptions::default()
    };
    let mut harness = viewer_with(options, 2);
    harness.render().expect("render");
    let series = &harness.state().profile.series;
    assert_eq!(series.len(), 2, "photons and segments of gt1r");
    assert_eq!(series[1].1.num_points(), 250, "5 km of 20 m segments");
    // x_atc of both layers: the pass starts at 7,090 km.
    let (min, max) = series[1].1.bounds.unwrap();
    assert_eq!((min[0], max[0]), (7_090_010.0, 7_094_990.0));
}

#[test]
fn save_image_writes_the_map_and_the_profile_with_the_legend() {
    let mut harness = profile_viewer();
    harness.render().expect("render");
    let dir = std::env::temp_dir().join(format!("floe-save-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = harness.ctx.clone();
    let ppp = ctx.pixels_per_point();

    let map_png = dir.join("map.png");
    harness.state_mut().save_image(map_png.clone(), false, &ctx);
    let notice = wait_notice(&mut harness, "Saved the image");
    assert_eq!(notice.text, format!("Saved the image to {}", map_png.display()));
    let image = image::open(&map_png).unwrap().to_rgba8();
    // The legend box in the bottom-right corner: the colour bar of the photons' h_ph from the low to the high end.
    let (w, h) = (image.width(), image.height());
    assert!(w > 500 && h > 200, "{w}x{h}");
    let range = harness.state().layers[0].style.value_range;
    let lut = floe_render::Colormap::Viridis.lut();
    let bar_y = h - 62 + 27;
    assert_eq!(image.get_pixel(w - 220, bar_y).0, lut[0], "low end");
    assert_eq!(image.get_pixel(w - 21, bar_y).0, lut[254], "high end");
    assert!(range.0 < range.1);
    // The track is drawn: viridis-coloured points of the photons somewhere in the image, away from the legend.
    let points = image
        .enumerate_pixels()
        .filter(|(x, y, _)| *y < h - 70 || *x < w - 240)
        .filter(|(_, _, p)| lut.iter().any(|c| c[..3] == p.0[..3]))
        .count();
    assert!(points > 50, "{points} points in the saved map");

    let profile_png = dir.join("profile.png");
    harness.state_mut().save_image(profile_png.clone(), true, &ctx);
    wait_notice(&mut harness, &format!("Saved the image to {}", profile_png.display()));
    let image = image::open(&profile_png).unwrap().to_rgba8();
    let area = harness.state().profile.area_rect().unwrap();
    assert_eq!(
        (image.width(), image.height()),
        ((area.width() * ppp).round() as u32, (area.height() * ppp).round() as u32)
    );
    let points = image.pixels().filter(|p| lut.iter().any(|c| c[..3] == p.0[..3])).count();
    assert!(points > 500, "{points} coloured pixels in the saved profile");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn picking_a_granule_segment_reads_its_row_from_the_file() {
    let granule = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5")
        .to_string_lossy()
        .into_owned();
    let options = AppOptions {
        tiles: false,
        inputs: vec![granule],
        profile: Some("rgt 611 · cycle 16 · gt1l".into()),
        ..AppOptions::default()
    };
    let mut harness = viewer_with(options, 1);
    harness.render().expect("render");
    // A segment of gt1l in the profile: the first from the 100th on with a height (fill values are nulls).
    let (point, at) = {
        let profile = &harness.state().profile;
        let series = &profile.series[0].1;
        let chunk = &series.chunks[0];
        let (point, position) = (chunk.points.start + 100..chunk.points.end)
            .filter_map(|p| Some((p, series.position_of(p)?)))
            .find(|(_, position)| position.iter().all(|v| v.is_finite()))
            .expect("a segment with a height");
        (point, profile.ui_from_profile(position).unwrap())
    };
    click_at(&mut harness, at);
    harness.run_steps(2);
    let picked = harness.state().picked().expect("a segment is picked").clone();
    assert_eq!(picked.point, point);
    assert_eq!(picked.beam.as_deref(), Some("gt1l"));
    for _ in 0..300 {
        harness.step();
        if harness.state().picked().is_some_and(|p| p.row_columns.is_some()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let picked = harness.state().picked().unwrap().clone();
    let columns = picked.row_columns.expect("the row was read").expect("without error");
    let column = |name: &str| columns.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let x_atc = harness.state().layers[0].along_track()[point];
    assert_eq!(column("ground_track/x_atc"), Some(x_atc.to_string()), "the picked segment's own row");
    assert!(column("fit_statistics/n_fit_photons").is_some(), "a dataset Floe does not load");
}

/// The fixture rows of track gt1l whose (x_atc, height) lie inside `ring` (even–odd rule, computed here).
fn rows_in_ring(name: &str, height: &str, ring: &[[f64; 2]]) -> Vec<(f64, f32)> {
    let inside = |p: [f64; 2]| {
        let mut inside = false;
        for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
                inside = !inside;
            }
        }
        inside
    };
    let (lo, hi) = ring.iter().fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    });
    rows_inside(name, height, lo, hi).into_iter().filter(|(x, h)| inside([*x, f64::from(*h)])).collect()
}

#[test]
fn a_lasso_in_the_profile_selects_and_exports_exactly_its_rows() {
    let mut harness = profile_viewer();
    harness.render().expect("render");
    harness.get_by_label("Lasso select").click();
    harness.run_steps(2);
    // A loop through the photons: a triangle, drawn in small steps as a hand would.
    let corners = [[1_001_900.0, 110.0], [1_004_100.0, 150.0], [1_002_600.0, 200.0]];
    let mut path = Vec::new();
    for (i, a) in corners.iter().enumerate() {
        let b = corners[(i + 1) % 3];
        for step in 0..12 {
            let f = step as f64 / 12.0;
            path.push(
                harness.state().profile.ui_from_profile([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]).unwrap(),
            );
        }
    }
    harness.hover_at(path[0]);
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos: path[0],
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for point in &path[1..] {
        harness.hover_at(*point);
        harness.step();
    }
    let last = *path.last().unwrap();
    harness.event(egui::Event::PointerButton {
        pos: last,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(3);
    let brushed = harness.state().profile.brushed.clone().expect("a lasso selection");
    let ring = brushed.ring.clone().expect("the loop");
    assert!(ring.len() >= 20, "the loop follows the pointer: {} points", ring.len());
    let photons = rows_in_ring("photons.parquet", "h_ph", &ring);
    let segments = rows_in_ring("segments.parquet", "h_li", &ring);
    assert!(photons.len() > 50, "{} photons, {} segments", photons.len(), segments.len());
    // Fewer than the loop's box holds: the loop is no rectangle.
    assert!(photons.len() < rows_inside("photons.parquet", "h_ph", brushed.min, brushed.max).len());
    assert_eq!(brushed.count(), photons.len() + segments.len());

    let path = std::env::temp_dir().join(format!("floe-lasso-profile-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    wait_notice(&mut harness, "Export");
    assert_eq!(exported_rows(&path), sorted(photons.into_iter().chain(segments).collect()));
    std::fs::remove_file(&path).ok();
}
