//! Filters on the map (GPU uniforms, no reload) in the viewer: presets, the "N of M shown" count against counts made
//! here from the scene's own batches, uploads counted, the time window and its play button.

mod common;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, TimestampNanosecondType};
use common::wait_loaded;
use egui_kittest::kittest::Queryable;
use floe::row_filter::RowFilter;
use floe::viewer::{AppOptions, FloeApp};

/// A tall window (the Filters and Time sections sit below the QA section), every layer loaded.
fn tall_viewer(options: AppOptions) -> egui_kittest::Harness<'static, FloeApp> {
    let layers = options.inputs.len();
    common::viewer_sized(options, egui::vec2(1000.0, 1500.0), layers)
}

fn scene_viewer() -> egui_kittest::Harness<'static, FloeApp> {
    tall_viewer(AppOptions { tiles: false, inputs: vec!["scene-small".into()], ..AppOptions::default() })
}

/// Steps until the layer has counted what it shows.
fn shown(harness: &mut egui_kittest::Harness<'static, FloeApp>) -> u64 {
    for _ in 0..200 {
        harness.step();
        if let Some(shown) = harness.state().layers[0].shown_count() {
            return shown;
        }
    }
    panic!("the count never finished");
}

/// Photons of the small scene for which `keep(signal_conf_ph, beam_strength, time_ns)` holds, counted here.
fn scene_count(mut keep: impl FnMut(i8, &str, i64) -> bool) -> u64 {
    let scene = floe_io::scene::scene("scene-small").unwrap();
    let mut count = 0;
    for batch in &scene.batches {
        let conf = batch.column("signal_conf_ph").unwrap().as_primitive::<Int8Type>();
        let strength = batch.column("beam_strength").unwrap().as_string::<i32>();
        let time = batch.column("time").unwrap().as_primitive::<TimestampNanosecondType>();
        for row in 0..batch.num_rows() {
            if keep(conf.value(row), strength.value(row), time.value(row)) {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn map_filters_hide_points_with_uniforms_only_and_the_count_matches() {
    let mut harness = scene_viewer();
    let all = harness.state().layers[0].rows_loaded;
    assert_eq!(all, scene_count(|_, _, _| true));
    assert_eq!(shown(&mut harness), all);
    let uploads = harness.state().layers[0].uploads;

    let filters = |texts: &[&str]| texts.iter().map(|t| RowFilter::parse(t).unwrap()).collect::<Vec<_>>();
    harness.state_mut().set_map_filters(filters(&["signal_conf_ph >= 3"]));
    harness.run_steps(2);
    let expected = scene_count(|conf, _, _| conf >= 3);
    assert!(expected > 0 && expected < all);
    assert_eq!(shown(&mut harness), expected);
    let layer = &harness.state().layers[0];
    assert_eq!(layer.uploads.position_bytes, uploads.position_bytes, "no position re-upload");
    assert_eq!(layer.uploads.value_bytes, uploads.value_bytes);
    assert_eq!(layer.uploads.filter_bytes, uploads.filter_bytes + 4 * all, "one f32 per point, once");
    harness.get_by_label(&format!("{expected} of {all} shown"));
    // The QA panel's histograms are of the points shown.
    harness.get_by_label("QA").click();
    harness.run_steps(2);
    harness.get_by_label(&format!("signal_conf_ph: {expected} values, 0 null, 3…4"));
    harness.get_by_label("QA").click();
    harness.run_steps(2);

    // Another threshold on the same column: uniforms only.
    let filter_bytes = harness.state().layers[0].uploads.filter_bytes;
    harness.state_mut().set_map_filters(filters(&["signal_conf_ph >= 4"]));
    harness.run_steps(2);
    assert_eq!(shown(&mut harness), scene_count(|conf, _, _| conf >= 4));
    assert_eq!(harness.state().layers[0].uploads.filter_bytes, filter_bytes, "nothing uploaded");
    assert_eq!(harness.state().layers[0].rows_loaded, all, "nothing reloaded");

    // The preset from the Filters section: strong beams, tested per beam (no upload at all).
    harness.get_by_label("Filters").click();
    harness.run_steps(2);
    harness.get_by_label("Presets").click();
    harness.run_steps(2);
    harness.get_by_label("Strong beams").click();
    harness.run_steps(2);
    let texts: Vec<String> = harness.state().filters_on_map().iter().map(|f| f.text.clone()).collect();
    assert_eq!(texts, ["signal_conf_ph >= 4", "beam_strength = strong"]);
    assert_eq!(shown(&mut harness), scene_count(|conf, strength, _| conf >= 4 && strength == "strong"));
    assert_eq!(harness.state().layers[0].uploads.filter_bytes, filter_bytes);

    // Removed from the map: every point again.
    harness.get_by_label("signal_conf_ph >= 4");
    harness.get_all_by_label("Remove from map").next().unwrap().click();
    harness.run_steps(2);
    assert_eq!(shown(&mut harness), scene_count(|_, strength, _| strength == "strong"));
}

#[test]
fn the_time_window_shows_its_points_and_play_moves_it() {
    let mut harness = scene_viewer();
    let span = harness.state().layers[0].time_span().expect("the scene has times");
    let times = {
        let mut all = Vec::new();
        scene_count(|_, _, t| {
            all.push(t);
            true
        });
        all
    };
    let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    // The span is the loaded times' (to the f32 step of the layer's time values).
    assert!((span.0 - first).abs() < 100_000 && (span.1 - last).abs() < 100_000, "{span:?} vs {first}..{last}");
    // The middle third.
    let window = (first + (last - first) / 3, first + 2 * (last - first) / 3);
    harness.state_mut().set_time_window(Some(window));
    harness.run_steps(2);
    let expected = scene_count(|_, _, t| t >= window.0 && t <= window.1);
    let got = shown(&mut harness);
    // Bounds fall on the f32 step of the layer's time values (well under a millisecond here): photons within that
    // step of a bound may go either way.
    let near_bounds = scene_count(|_, _, t| (t - window.0).abs() < 1_000_000 || (t - window.1).abs() < 1_000_000);
    assert!(got.abs_diff(expected) <= near_bounds, "{got} vs {expected} (±{near_bounds})");
    assert!(expected > 0 && got < harness.state().layers[0].rows_loaded);

    // Play moves the window along.
    harness.get_by_label("Time").click();
    harness.run_steps(2);
    harness.get_by_label("Play").click();
    harness.run_steps(5);
    let moved = harness.state().time_window().unwrap();
    assert!(moved.0 > window.0 && moved.1 > window.1, "{moved:?} after {window:?}");
    assert_eq!(moved.1 - moved.0, window.1 - window.0, "a moving window keeps its width");
    harness.get_by_label("Pause").click();
    harness.run_steps(1);
    harness.get_by_label("All times").click();
    harness.run_steps(2);
    assert_eq!(harness.state().time_window(), None);
    assert_eq!(shown(&mut harness), harness.state().layers[0].rows_loaded);

    // Play from "all times": a quarter of the span from its start, then moving.
    harness.get_by_label("Play").click();
    harness.run_steps(1);
    let restarted = harness.state().time_window().expect("a window");
    assert_eq!(restarted, (span.0, span.0 + (span.1 - span.0) / 4));
    harness.run_steps(4);
    let moving = harness.state().time_window().unwrap();
    assert!(moving.0 > restarted.0, "still playing: {moving:?}");
    harness.get_by_label("Pause");
}

/// Whether `p` lies inside the closed ring (even–odd rule), computed here.
fn inside(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    let mut inside = false;
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) * (b.0 - a.0) / (b.1 - a.1) {
            inside = !inside;
        }
    }
    inside
}

#[test]
fn a_lasso_selects_what_export_writes_with_the_map_filters() {
    let mut harness =
        common::loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    // A free-hand loop around the middle of the map, and where the status bar says each of its points lies.
    let centre = egui::pos2(660.0, 300.0);
    let path: Vec<egui::Pos2> = (0..36)
        .map(|i| {
            let angle = i as f32 * std::f32::consts::TAU / 36.0;
            // A lumpy loop, not a circle: free-hand.
            let radius = 120.0 + 25.0 * (3.0 * angle).sin();
            centre + egui::vec2(angle.cos() * radius * 1.3, angle.sin() * radius)
        })
        .collect();
    let ring: Vec<(f64, f64)> = path.iter().map(|p| common::lonlat_under(&mut harness, *p)).collect();
    let mut expected = 0;
    let mut expected_high = 0;
    for batch in common::sample_batches() {
        let h = batch.column("h_canopy").unwrap().as_primitive::<arrow_array::types::Float32Type>();
        for (row, (x, y)) in batch.lon().values().iter().zip(batch.lat().values().iter()).enumerate() {
            if inside(&ring, (*x, *y)) {
                expected += 1;
                if h.is_valid(row) && h.value(row) > 20.0 {
                    expected_high += 1;
                }
            }
        }
    }
    assert!(expected > 300 && expected < 9000, "the loop cuts the tracks: {expected}");

    harness.get_by_label("Lasso").click();
    harness.run_steps(2);
    harness.get_by_label("Hold the button and draw around the points; release to close. Esc cancels.");
    harness.hover_at(path[0]);
    harness.step();
    harness.drag_at(path[0]);
    harness.step();
    for point in &path[1..] {
        harness.hover_at(*point);
        harness.step();
    }
    harness.drop_at(*path.last().unwrap());
    harness.step();
    let aoi = harness.state().aoi().expect("a lasso AOI");
    assert_eq!(aoi.name, "drawn lasso");
    wait_loaded(&mut harness);
    assert_eq!(harness.state().layers[0].rows_loaded, expected, "the points inside the loop");

    // With a filter on the map, the export writes the lassoed points that pass it, row for row.
    harness.state_mut().set_map_filters(vec![RowFilter::parse("h_canopy > 20").unwrap()]);
    harness.run_steps(2);
    assert_eq!(shown(&mut harness), expected_high);
    let path = std::env::temp_dir().join(format!("floe-lasso-export-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    common::wait_notice(&mut harness, "Export");
    let file = std::fs::File::open(&path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut rows = 0;
    for batch in reader {
        let batch = batch.unwrap();
        let h = batch.column_by_name("h_canopy").unwrap().as_primitive::<arrow_array::types::Float32Type>();
        assert!(h.iter().all(|v| v.is_some_and(|v| v > 20.0)));
        rows += batch.num_rows() as u64;
    }
    assert_eq!(rows, expected_high);
    std::fs::remove_file(&path).ok();
}

#[test]
fn a_copied_link_reopens_the_same_view() {
    let mut harness = scene_viewer();
    harness.state_mut().set_map_filters(vec![RowFilter::parse("signal_conf_ph >= 3").unwrap()]);
    let span = harness.state().layers[0].time_span().unwrap();
    harness.state_mut().set_time_window(Some((span.0, span.0 + (span.1 - span.0) / 2)));
    harness.run_steps(2);
    let shown_here = shown(&mut harness);
    harness.get_by_label("Copy link").click();
    harness.run_steps(2);
    let notice = common::wait_notice(&mut harness, "Link copied: ");
    let link = notice.text.trim_start_matches("Link copied: ").to_owned();
    assert!(link.starts_with("floe:?url=scene-small&projection="), "{link}");
    assert!(link.contains("show=signal_conf_ph+%3E%3D+3") && link.contains("&window=") && link.contains("&at="));

    // `floe LINK` builds its options the same way.
    assert!(floe::view_link::ViewLink::is_link(&link));
    let options = AppOptions { tiles: false, ..AppOptions::default() }
        .with_link(floe::view_link::ViewLink::parse(&link).unwrap());
    let mut reopened = tall_viewer(options);
    assert_eq!(shown(&mut reopened), shown_here, "the same points shown");
    assert_eq!(reopened.state().time_window(), harness.state().time_window());
    let link_there = format!("floe:?{}", reopened.state().view_link().to_query());
    assert_eq!(link_there, link, "the same view: camera, colours, filters, window");
}

#[test]
fn filters_apply_where_layers_have_the_column_or_to_one_layer() {
    let options = AppOptions {
        tiles: false,
        inputs: vec!["scene-small".into(), "scene-small:atl06".into()],
        ..AppOptions::default()
    };
    let mut harness = tall_viewer(options);
    let segments = floe_io::scene::scene("scene-small:atl06").unwrap();
    let h_li: Vec<f32> = segments
        .batches
        .iter()
        .flat_map(|b| b.column("h_li").unwrap().as_primitive::<arrow_array::types::Float32Type>().values().to_vec())
        .collect();
    let median = {
        let mut sorted = h_li.clone();
        sorted.sort_by(f32::total_cmp);
        sorted[sorted.len() / 2]
    };
    let photons_kept = scene_count(|conf, _, _| conf >= 3);
    // As the filter's text reads (a decimal, compared in f64): the f32 median itself may lie above its shortest text.
    let threshold: f64 = format!("{median}").parse().unwrap();
    let segments_kept = h_li.iter().filter(|h| f64::from(**h) > threshold).count() as u64;

    // signal_conf_ph on every layer: the segments have no such column and stay whole.
    harness.state_mut().set_map_filters(vec![RowFilter::parse("signal_conf_ph >= 3").unwrap()]);
    harness.run_steps(2);
    let counted = |harness: &mut egui_kittest::Harness<'static, FloeApp>, layer: usize| {
        for _ in 0..200 {
            harness.step();
            if let Some(n) = harness.state().layers[layer].shown_count() {
                return n;
            }
        }
        panic!("no count");
    };
    assert_eq!(counted(&mut harness, 0), photons_kept);
    assert_eq!(counted(&mut harness, 1), h_li.len() as u64);
    // h_li above its median for the segment layer only.
    let segment_layer = harness.state().layers[1].id;
    let mut list = harness.state().map_filters().to_vec();
    list.push(floe::viewer::MapFilter {
        filter: RowFilter::parse(&format!("h_li > {median}")).unwrap(),
        layer: Some(segment_layer),
    });
    harness.state_mut().set_map_filter_list(list);
    harness.run_steps(2);
    assert_eq!(counted(&mut harness, 1), segments_kept);
    harness.get_by_label("Filters").click();
    harness.run_steps(2);
    harness.get_by_label("only synthetic ATL06 segments");

    // The export of both layers applies each filter where it applies.
    let path = std::env::temp_dir().join(format!("floe-scoped-export-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    let notice = common::wait_notice(&mut harness, "Export");
    assert_eq!(notice.text, format!("Exported {} rows to {}", photons_kept + segments_kept, path.display()));
    std::fs::remove_file(&path).ok();

    // The link names the segment layer's filter by its place among the inputs.
    let query = harness.state().view_link().to_query();
    assert!(query.contains(&format!("show.1=h_li+%3E+{median}")), "{query}");
}
