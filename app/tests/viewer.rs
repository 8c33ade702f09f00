//! The desktop viewer, headless with the wgpu renderer (lavapipe): opens the embedded sample, shows the
//! legend, changes colormap without re-uploading positions.

mod common;

use common::{click_at, loaded_viewer, lonlat_under, wait_loaded, wait_notice};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use floe::viewer::{AppOptions, FloeApp};
use floe_render::Colormap;

/// Every point of the embedded sample, read without the viewer.
fn sample_lonlats() -> Vec<(f64, f64)> {
    common::sample_batches()
        .iter()
        .flat_map(|b| b.lon().values().iter().zip(b.lat().values().iter()).map(|(x, y)| (*x, *y)))
        .collect()
}

#[test]
fn viewer_opens_sample_shows_legend_and_changes_colormap() {
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    let layer = &harness.state().layers[0];
    assert!(matches!(layer.state, floe::viewer::LoadState::Done), "sample loaded");
    assert_eq!(layer.rows_loaded + layer.rows_skipped, 9600);
    assert_eq!(layer.colour_column().map(|c| c.name.as_str()), Some("h_canopy"));
    let uploads = layer.uploads;
    assert_eq!(uploads.position_bytes, 8 * layer.rows_loaded);

    // The legend names the column and its unit.
    harness.get_by_label("h_canopy [m]");
    harness.get_by_label("Colormap").click();
    harness.run_steps(2);
    harness.get_by_label("magma").click();
    harness.run_steps(3);
    let layer = &harness.state().layers[0];
    let layer_rows = layer.rows_loaded;
    assert_eq!(layer.style.colormap, Colormap::Magma);
    assert_eq!(layer.uploads.position_bytes, uploads.position_bytes, "no position re-upload");
    assert_eq!(layer.uploads.value_bytes, uploads.value_bytes, "no value re-upload");
    assert_eq!(layer.uploads.lut_uploads, uploads.lut_uploads + 1);

    let image = harness.render().expect("render");
    // The paint callback ran: every loaded point is in view after the automatic zoom to the layer.
    assert_eq!(harness.state().points_drawn(), layer_rows);
    image.save(std::env::temp_dir().join("floe-viewer-test.png")).expect("save screenshot");
    let magma = Colormap::Magma.lut();
    let coloured = image.pixels().filter(|p| magma.iter().any(|c| c[..3] == p.0[..3])).count();
    assert!(coloured > 1000, "legend and points in magma colours: {coloured} pixels");
}

#[test]
fn granule_layer_has_beam_toggles() {
    let granule = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5");
    let options =
        AppOptions { tiles: false, inputs: vec![granule.to_string_lossy().into_owned()], ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    let layer = &harness.state().layers[0];
    assert!(matches!(layer.state, floe::viewer::LoadState::Done), "granule loaded");
    assert_eq!(layer.beams.len(), 6);
    assert_eq!(layer.colour_column().map(|c| c.label()), Some("h_li [meters]".to_owned()));
    let uploads = layer.uploads;
    harness.render().expect("render");
    assert_eq!(harness.state().points_drawn(), 6108, "all beams");

    harness.get_by_label("Strong").click();
    harness.run_steps(3);
    harness.render().expect("render");
    // gt1r + gt2r + gt3r: 987 + 1074 + 994 segments.
    assert_eq!(harness.state().points_drawn(), 3055, "strong beams only");
    assert_eq!(harness.state().layers[0].uploads, uploads, "toggling beams uploads nothing");

    harness.get_by_label("gt1l (weak)").click();
    harness.run_steps(3);
    harness.render().expect("render");
    assert_eq!(harness.state().points_drawn(), 3055 + 986);
}

#[test]
fn memory_budget_stops_loading_and_keeps_what_is_loaded() {
    const BUDGET: u64 = 100_000;
    let options = AppOptions {
        tiles: false,
        inputs: vec!["sample".into()],
        memory_budget: Some(BUDGET),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    let layer = &harness.state().layers[0];
    let floe::viewer::LoadState::Stopped(message) = &layer.state else { panic!("loading did not stop at the budget") };
    assert!(
        message.starts_with("sample: ATL08 h_canopy (synthetic): loading stopped at the memory budget: "),
        "{message}"
    );
    assert!(layer.rows_loaded > 0 && layer.rows_loaded < 9000, "{} rows loaded", layer.rows_loaded);
    assert!(layer.memory_bytes() <= BUDGET, "{} bytes held", layer.memory_bytes());
    assert_eq!(harness.state().notices, vec![floe::viewer::Notice::error(message.clone())]);
    let rows = layer.rows_loaded;
    harness.render().expect("render");
    assert_eq!(harness.state().points_drawn(), rows, "what was loaded is still drawn");
}

#[test]
fn aoi_limits_loading_to_its_polygon() {
    // A box over the middle of the sample's tracks, as GeoJSON.
    let (west, south, east, north) = (-122.3, 44.7, -121.6, 45.1);
    let geojson = format!(
        r#"{{"type": "Polygon", "coordinates": [[[{west}, {south}], [{east}, {south}], [{east}, {north}], [{west}, {north}], [{west}, {south}]]]}}"#
    );
    let aoi = floe_io::aoi::Aoi::from_geojson("box.geojson", geojson.as_bytes()).unwrap();
    // Independent count: every sample point, filtered by plain comparisons.
    let expected =
        sample_lonlats().iter().filter(|(x, y)| *x > west && *x < east && *y > south && *y < north).count() as u64;
    assert!(expected > 1000 && expected < 8000, "the box cuts the tracks: {expected}");
    let options = AppOptions {
        tiles: false,
        inputs: vec!["sample".into()],
        aoi: Some(std::sync::Arc::new(aoi)),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    let layer = &harness.state().layers[0];
    assert!(matches!(layer.state, floe::viewer::LoadState::Done));
    assert_eq!(layer.rows_loaded, expected);
    assert!(layer.bbox.south > south && layer.bbox.north < north);
    // The outline is drawn in its own colour over the map.
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-aoi-test.png")).expect("save screenshot");
    let outline = image.pixels().filter(|p| p.0[0] == 255 && p.0[1] == 80 && p.0[2] == 40).count();
    assert!(outline > 100, "AOI outline pixels: {outline}");

    // "Export selection…": the points inside the AOI, every column, to GeoParquet.
    let path = std::env::temp_dir().join(format!("floe-export-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    wait_notice(&mut harness, "Export");
    let expected_notice = format!("Exported {expected} rows to {}", path.display());
    assert_eq!(harness.state().notices, vec![floe::viewer::Notice::info(expected_notice)]);
    let file = std::fs::File::open(&path).unwrap();
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.metadata().file_metadata().num_rows() as u64, expected);
    let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert!(names.starts_with(&["latitude".to_owned(), "longitude".to_owned()]), "{names:?}");
    assert!(names.contains(&"h_canopy".to_owned()) && names.ends_with(&["geometry".to_owned(), "bbox".to_owned()]));
    std::fs::remove_file(&path).ok();
}

#[test]
fn qa_panel_checks_the_layer_and_shows_histograms() {
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    harness.get_by_label("QA").click();
    harness.run_steps(2);
    harness.get_by_label("Run checks").click();
    for _ in 0..500 {
        harness.step();
        if !harness.state().qa_reports().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(2);
    let id = harness.state().layers[0].id;
    let report = harness.state().qa_reports()[&id].as_ref().expect("the sample is checked");
    assert!(report.passed(), "{:?}", report.checks);
    let geometry_types = report.checks.iter().find(|c| c.name == "geometry_types").expect("geometry check");
    assert_eq!(geometry_types.detail, "declared [\"Point\"], data has [\"Point\"]");
    harness.get_by_label("pass geo metadata");
    // One histogram per loaded column, its label counting values and nulls as the layer holds them.
    let layer = &harness.state().layers[0];
    let h_canopy = layer.columns.iter().position(|c| c.name == "h_canopy").unwrap();
    let values = layer.column_values(h_canopy);
    let nulls = values.iter().filter(|v| !v.is_finite()).count();
    let label = format!("h_canopy [m]: {} values, {nulls} null, ", values.len() - nulls);
    assert!(nulls > 0, "the sample has null canopy heights");
    harness.get_by_label_contains(&label);
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-qa-panel.png")).expect("save screenshot");
}

#[test]
fn drawing_a_rectangle_or_a_polygon_on_the_map_sets_the_aoi() {
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    let points = sample_lonlats();
    harness.get_by_label("None: layers load whole. Draw one, or open a .geojson.");

    // Esc leaves the tool without an AOI.
    harness.get_by_label("Draw rectangle").click();
    harness.run_steps(2);
    assert_eq!(harness.state().aoi_drawing.tool, floe::viewer::DrawTool::Rectangle);
    harness.get_by_label("Drag a rectangle on the map. Right-drag pans; Esc cancels.");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert_eq!(harness.state().aoi_drawing.tool, floe::viewer::DrawTool::Off);

    // A rectangle dragged from one corner to the other: its box is what the status bar showed at the corners.
    let (from, to) = (egui::pos2(520.0, 180.0), egui::pos2(800.0, 430.0));
    let (lon_a, lat_a) = lonlat_under(&mut harness, from);
    let (lon_b, lat_b) = lonlat_under(&mut harness, to);
    harness.get_by_label("Draw rectangle").click();
    harness.run_steps(2);
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for step in 1..=4 {
        harness.hover_at(from + (to - from) * step as f32 / 4.0);
        harness.step();
    }
    let image = harness.render().expect("render");
    let in_progress = image.pixels().filter(|p| p.0[0] == 255 && p.0[1] == 80 && p.0[2] == 40).count();
    assert!(in_progress > 200, "the rectangle is drawn while dragging: {in_progress} pixels");
    harness.drop_at(to);
    harness.step();
    let aoi = harness.state().aoi().expect("a drawn AOI");
    assert_eq!(aoi.name, "drawn rectangle");
    let (west, east, south, north) = (lon_a.min(lon_b), lon_a.max(lon_b), lat_a.min(lat_b), lat_a.max(lat_b));
    assert_eq!(aoi.bbox, floe_io::LonLatBox::new(west, south, east, north));
    wait_loaded(&mut harness);
    let expected = points.iter().filter(|(x, y)| *x > west && *x < east && *y > south && *y < north).count() as u64;
    assert!(expected > 500 && expected < 9000, "the rectangle cuts the tracks: {expected}");
    assert_eq!(harness.state().layers[0].rows_loaded, expected);
    harness.get_by_label_contains("drawn rectangle: lon ");
    image.save(std::env::temp_dir().join("floe-draw-rectangle.png")).expect("save screenshot");

    // Clear loads the layer whole again.
    harness.get_by_label("Clear").click();
    wait_loaded(&mut harness);
    assert!(harness.state().aoi().is_none());
    assert_eq!(harness.state().layers[0].rows_loaded + harness.state().layers[0].rows_skipped, 9600);

    // A triangle clicked corner by corner and closed by a click on its first corner.
    let corners = [egui::pos2(480.0, 160.0), egui::pos2(840.0, 260.0), egui::pos2(560.0, 480.0)];
    let lonlats: Vec<(f64, f64)> = corners.iter().map(|c| lonlat_under(&mut harness, *c)).collect();
    harness.get_by_label("Draw polygon").click();
    harness.run_steps(2);
    for corner in corners {
        click_at(&mut harness, corner);
    }
    assert!(harness.state().aoi().is_none(), "three corners do not close the polygon by themselves");
    harness.hover_at(egui::pos2(700.0, 400.0));
    harness.step();
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-draw-polygon.png")).expect("save screenshot");
    click_at(&mut harness, corners[0] + egui::vec2(3.0, -2.0));
    let aoi = harness.state().aoi().expect("a drawn polygon");
    assert_eq!(aoi.name, "drawn polygon");
    let ring: Vec<(f64, f64)> = aoi.polygons().0[0].exterior().coords().map(|c| (c.x, c.y)).collect();
    assert_eq!(ring, vec![lonlats[0], lonlats[1], lonlats[2], lonlats[0]]);
    wait_loaded(&mut harness);
    // Independent count: strictly inside the triangle when on the same side of all three edges.
    let side = |(ax, ay): (f64, f64), (bx, by): (f64, f64), (px, py): (f64, f64)| {
        (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    };
    let inside = |p: (f64, f64)| {
        let s = [side(lonlats[0], lonlats[1], p), side(lonlats[1], lonlats[2], p), side(lonlats[2], lonlats[0], p)];
        s.iter().all(|v| *v > 0.0) || s.iter().all(|v| *v < 0.0)
    };
    let expected = points.iter().filter(|p| inside(**p)).count() as u64;
    assert!(expected > 300 && expected < 9000, "the triangle cuts the tracks: {expected}");
    assert_eq!(harness.state().layers[0].rows_loaded, expected);
}

fn atl06_granule() -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_layer_keeps_its_style_and_beams_across_an_aoi_change() {
    let options = AppOptions { tiles: false, inputs: vec![atl06_granule()], ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    harness.get_by_label("Colour by").click();
    harness.run_steps(2);
    harness.get_by_label("h_li_sigma").click();
    harness.run_steps(2);
    harness.get_by_label("Colormap").click();
    harness.run_steps(2);
    harness.get_by_label("magma").click();
    harness.run_steps(2);
    harness.get_by_label("gt1l (weak)").click();
    harness.run_steps(2);
    {
        let layer = &mut harness.state_mut().layers[0];
        layer.style.value_range = (0.05, 0.25);
        layer.range_user_set = true;
        layer.point_size = 7.0;
    }
    // A box over the middle of the granule (h5py: latitudes 64.80..65.13).
    let aoi = floe_io::aoi::Aoi::from_bbox(floe_io::LonLatBox::new(-16.6, 64.9, -16.2, 65.0));
    let ctx = harness.ctx.clone();
    harness.state_mut().set_aoi(Some(std::sync::Arc::new(aoi)), &ctx);
    wait_loaded(&mut harness);
    let layer = &harness.state().layers[0];
    assert!(layer.rows_loaded > 0 && layer.rows_loaded < 6108, "{} rows inside the box", layer.rows_loaded);
    assert_eq!(layer.colour_column().map(|c| c.name.as_str()), Some("h_li_sigma"));
    assert_eq!(layer.style.colormap, Colormap::Magma);
    assert_eq!(layer.style.value_range, (0.05, 0.25));
    assert!(layer.range_user_set);
    assert_eq!(layer.point_size, 7.0);
    let hidden: Vec<&str> = layer.beams.iter().filter(|b| !b.2).map(|b| b.0.as_str()).collect();
    assert_eq!(hidden, ["gt1l"]);
    let shown: u64 = {
        let rows = layer.rows_loaded;
        harness.render().expect("render");
        rows
    };
    assert!(harness.state().points_drawn() < shown, "gt1l stays hidden after the reload");
}

#[test]
fn the_save_window_refuses_inputs_and_shows_problems_in_the_window() {
    let granule = atl06_granule();
    let options = AppOptions { tiles: false, inputs: vec![granule.clone()], ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    harness.get_by_label("Export selection…").click();
    harness.run_steps(2);
    let set_path = |harness: &mut Harness<'static, FloeApp>, path: &str| {
        harness.state_mut().save_dialog.as_mut().expect("the Save window is open").path = path.to_owned();
        harness.run_steps(1);
    };
    set_path(&mut harness, &granule);
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label(&format!(
        "{granule} is the open input {granule} (the same file): writing it would destroy it. Choose another name."
    ));
    set_path(&mut harness, "/nonexistent-floe-folder/out.parquet");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("The folder /nonexistent-floe-folder does not exist.");
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-save-window.png")).expect("save screenshot");

    // An existing file is replaced only after "Replace".
    let out = std::env::temp_dir().join(format!("floe-save-window-{}.parquet", std::process::id()));
    std::fs::write(&out, b"keep me").unwrap();
    set_path(&mut harness, &out.to_string_lossy());
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label(&format!("{} exists. Replace it?", out.display()));
    harness.get_by_label("Keep it").click();
    harness.run_steps(2);
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("Replace").click();
    wait_notice(&mut harness, "Export");
    assert!(harness.state().save_dialog.is_none(), "the window closes once the path is taken");
    assert_eq!(
        harness.state().notices,
        vec![floe::viewer::Notice::info(format!("Exported 6108 rows to {}", out.display()))]
    );
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"PAR1");
    std::fs::remove_file(&out).ok();
}

#[test]
fn the_qa_panel_of_a_granule_exports_and_checks_against_it() {
    let granule = atl06_granule();
    let original = std::fs::read(&granule).unwrap();
    let options = AppOptions { tiles: false, inputs: vec![granule.clone()], ..AppOptions::default() };
    // Tall enough for the QA section below six beam toggles: widgets scrolled out of view take no clicks.
    let mut harness = Harness::builder()
        .with_size(egui::vec2(960.0, 1100.0))
        .wgpu()
        .build_eframe(|cc| FloeApp::new(cc, options).expect("app starts"));
    wait_loaded(&mut harness);
    harness.get_by_label("QA").click();
    harness.run_steps(2);
    harness.get_by_label(
        "QA checks GeoParquet files, such as conversions of a granule. This layer is the granule itself.",
    );
    assert!(harness.query_by_label("Run checks").is_none(), "no checks that can only fail on a granule");
    harness.get_by_label("Export and check against this granule…").click();
    harness.run_steps(2);
    let out = std::env::temp_dir().join(format!("floe-qa-granule-{}.parquet", std::process::id()));
    std::fs::remove_file(&out).ok();
    harness.state_mut().save_dialog.as_mut().expect("the Save window is open").path = out.to_string_lossy().into();
    harness.run_steps(1);
    harness.get_by_label("Save").click();
    for _ in 0..1000 {
        harness.step();
        if !harness.state().notices.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(2);
    let notice = harness.state().notices.first().expect("a notice").clone();
    assert!(!notice.is_error, "{}", notice.text);
    let prefix = format!("Exported 6108 rows to {} and checked them against the granule: ", out.display());
    assert!(notice.text.starts_with(&prefix) && notice.text.ends_with(", 0 failed"), "{}", notice.text);
    let id = harness.state().layers[0].id;
    let report = harness.state().qa_reports()[&id].as_ref().expect("a report");
    assert!(report.checks.iter().any(|c| c.name == "gt1l h_li" && c.status == floe_io::qa::Status::Pass));
    harness.get_by_label("pass gt1l rows");
    assert_eq!(std::fs::read(&granule).unwrap(), original, "the granule is untouched");
    std::fs::remove_file(&out).ok();
}

#[test]
fn time_ranges_are_shown_as_utc_dates() {
    let options = AppOptions {
        tiles: false,
        inputs: vec![atl06_granule()],
        color: Some("time".to_owned()),
        ..AppOptions::default()
    };
    let harness = loaded_viewer(options);
    assert_eq!(harness.state().layers[0].colour_column().map(|c| c.name.as_str()), Some("time"));
    // h5py: the granule's segments were taken from 2022-07-31 22:11:18 to 22:11:24 UTC; the legend and both range
    // boxes show dates, not seconds since 1970.
    let legend = harness.query_all_by_label_contains("2022-07-31 22:11:").count();
    assert_eq!(legend, 2, "the legend's two ends");
    let boxes = harness
        .query_all(egui_kittest::kittest::By::new().predicate(|node| {
            node.role() == egui::accesskit::Role::SpinButton
                && node.value().is_some_and(|v| v.starts_with("2022-07-31 22:11:"))
        }))
        .count();
    assert_eq!(boxes, 2, "the range boxes show UTC date-times");
}

#[test]
fn the_open_url_window_opens_what_is_typed() {
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    harness.get_by_label("Open URL…").click();
    harness.run_steps(2);
    harness.get_by_label("https://…, s3://bucket/key or a dataset prefix");
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/geoparquet/atl06_10rows.geoparquet")
        .to_string_lossy()
        .into_owned();
    let text_box = harness.get_by_role(egui::accesskit::Role::TextInput);
    text_box.focus();
    text_box.type_text(&path);
    harness.run_steps(2);
    harness.get_by_label("Open").click();
    for _ in 0..500 {
        harness.step();
        if harness.state().layers.get(1).is_some_and(|l| !l.is_loading()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let layer = harness.state().layers.get(1).expect("a second layer");
    assert_eq!(layer.name, "atl06_10rows.geoparquet");
    assert_eq!(layer.rows_loaded, 10, "pyarrow: 10 rows");
    assert!(harness.query_by_label("Open").is_none(), "the window closes once the URL is taken");
}

#[test]
fn clicking_the_web_mercator_map_picks_the_nearest_point() {
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    // Where the pointer is, independently of the picking code: the status bar's readout.
    let centre = egui::pos2(630.0, 330.0);
    let c = lonlat_under(&mut harness, centre);
    let right = lonlat_under(&mut harness, centre + egui::vec2(100.0, 0.0));
    let down = lonlat_under(&mut harness, centre + egui::vec2(0.0, 100.0));
    // A sample point near the centre, and its screen position (the map is locally linear at this scale).
    let points = sample_lonlats();
    let target = *points
        .iter()
        .min_by(|a, b| {
            let d = |p: &(f64, f64)| (p.0 - c.0).hypot(p.1 - c.1);
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let click = centre
        + egui::vec2(
            ((target.0 - c.0) / (right.0 - c.0) * 100.0) as f32,
            ((target.1 - c.1) / (down.1 - c.1) * 100.0) as f32,
        );
    let clicked_at = lonlat_under(&mut harness, click);
    click_at(&mut harness, click);
    harness.run_steps(2);
    // The nearest sample point to where the click landed, in Web Mercator (the map's plane).
    let world = |p: (f64, f64)| floe_render::world_from_lonlat(p.0, p.1);
    let at = world(clicked_at);
    let nearest = *points
        .iter()
        .min_by(|a, b| {
            let d = |p: &(f64, f64)| {
                let w = world(*p);
                (w[0] - at[0]).hypot(w[1] - at[1])
            };
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let picked = harness.state().picked().expect("a point is picked").clone();
    let value = |name: &str| picked.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(value("lon"), Some(format!("{:.6}", nearest.0)));
    assert_eq!(value("lat"), Some(format!("{:.6}", nearest.1)));
    assert!(picked.attributes.iter().any(|(n, _)| n.starts_with("h_canopy")), "{:?}", picked.attributes);
}

#[test]
fn filters_limit_what_loads_and_what_exports() {
    let batch = floe_io::sample::sample_batch();
    let h = batch.column_by_name("h_canopy").unwrap().as_any().downcast_ref::<arrow_array::Float32Array>().unwrap();
    let expected = h.iter().filter(|v| v.is_some_and(|v| v > 20.0)).count() as u64;
    let filters = vec![floe::row_filter::RowFilter::parse("h_canopy > 20").unwrap()];
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], filters, ..AppOptions::default() });
    assert_eq!(harness.state().layers[0].rows_loaded, expected);
    let path = std::env::temp_dir().join(format!("floe-filtered-export-{}.parquet", std::process::id()));
    let ctx = harness.ctx.clone();
    harness.state_mut().export_selection(path.clone(), None, &ctx);
    wait_notice(&mut harness, "Export");
    let notice = format!("Exported {expected} rows to {}", path.display());
    assert_eq!(harness.state().notices, vec![floe::viewer::Notice::info(notice)]);
    std::fs::remove_file(&path).ok();
}

#[test]
fn a_class_column_gets_a_categorical_legend_whose_entries_hide_classes() {
    use floe_render::colormap::CLASS_COLOURS;
    let options = AppOptions {
        tiles: false,
        inputs: vec!["scene-small".into()],
        color: Some("atl08_class".into()),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    // Counted here from the scene's own batches.
    let scene = floe_io::scene::scene("scene-small").unwrap();
    let mut expected = [0usize; 4];
    for batch in &scene.batches {
        let class = batch.column("atl08_class").unwrap().as_any().downcast_ref::<arrow_array::UInt8Array>().unwrap();
        for value in class.values() {
            expected[usize::from(*value)] += 1;
        }
    }
    harness.get_by_label(&format!("2 canopy ({})", expected[2]));
    // Photons at one place overlap on the map and their soft edges blend: show one class at a time.
    let uploads = harness.state().layers[0].uploads;
    for (class, name) in [(0, "noise"), (1, "ground"), (3, "top of canopy")] {
        harness.get_by_label(&format!("{class} {name} ({})", expected[class])).click();
        harness.run_steps(2);
    }
    let layer = &harness.state().layers[0];
    assert_eq!(layer.style.classes.map(|c| c.hidden), Some(0b1011));
    assert_eq!(layer.uploads.position_bytes, uploads.position_bytes, "no position re-upload");
    assert_eq!(layer.uploads.value_bytes, uploads.value_bytes, "no value re-upload");
    assert_eq!(layer.uploads.lut_uploads, uploads.lut_uploads + 3, "one table per click");
    let in_map = |x: u32, y: u32| x > 320 && y > 40 && y < 600;
    let image = harness.render().expect("render");
    let red = image
        .enumerate_pixels()
        .filter(|(x, y, p)| in_map(*x, *y) && p.0[0] > 150 && p.0[1] < 130 && p.0[2] < 130)
        .count();
    assert!(red > 20, "only canopy photons, in their red ({:?}): {red} pixels", CLASS_COLOURS[2]);
    harness.get_by_label(&format!("2 canopy ({})", expected[2])).click();
    harness.run_steps(2);
    let image = harness.render().expect("render");
    let drawn = image.enumerate_pixels().filter(|(x, y, p)| in_map(*x, *y) && p.0 != floe::style::SEA).count();
    assert_eq!(drawn, 0, "every class hidden: nothing drawn");
}

#[test]
fn the_filters_section_adds_and_removes_row_filters() {
    let batch = floe_io::sample::sample_batch();
    let h = batch.column_by_name("h_canopy").unwrap().as_any().downcast_ref::<arrow_array::Float32Array>().unwrap();
    let expected = h.iter().filter(|v| v.is_some_and(|v| v > 20.0)).count() as u64;
    let mut harness =
        loaded_viewer(AppOptions { tiles: false, inputs: vec!["sample".into()], ..AppOptions::default() });
    let all = harness.state().layers[0].rows_loaded;
    harness.get_by_label("Filters").click();
    harness.run_steps(2);
    // A text that is no filter is refused, with the syntax.
    let text_box = harness.get_by_role(egui::accesskit::Role::TextInput);
    text_box.focus();
    text_box.type_text("h_canopy ~ 20");
    harness.run_steps(2);
    harness.get_by_label("Apply").click();
    harness.run_steps(2);
    assert!(harness.state().filters().is_empty());
    let text_box = harness.get_by_role(egui::accesskit::Role::TextInput);
    text_box.focus();
    for _ in 0.."h_canopy ~ 20".len() {
        harness.key_press(egui::Key::Backspace);
    }
    harness.get_by_role(egui::accesskit::Role::TextInput).type_text("h_canopy > 20");
    harness.run_steps(2);
    harness.get_by_label("Load with").click();
    harness.run_steps(2);
    wait_loaded(&mut harness);
    assert_eq!(harness.state().filters().len(), 1);
    assert_eq!(harness.state().layers[0].rows_loaded, expected, "only the rows that pass");
    harness.get_by_label("h_canopy > 20");
    harness.get_by_label("Remove filter").click();
    harness.run_steps(2);
    wait_loaded(&mut harness);
    assert!(harness.state().filters().is_empty());
    assert_eq!(harness.state().layers[0].rows_loaded, all, "every row again");
}
