//! The viewer's polar views (issue 12), headless with the wgpu renderer (lavapipe): data near a pole choose the
//! view, switching projections keeps every point and uploads positions once, and the cursor reads lon/lat.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use floe::viewer::{AppOptions, FloeApp};
use floe_render::Projection;

fn atl03_87n() -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real/hts__ATL03_gt1l.h5")
        .to_string_lossy()
        .into_owned()
}

fn loaded_viewer(options: AppOptions) -> Harness<'static, FloeApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(960.0, 640.0))
        .wgpu()
        .build_eframe(|cc| FloeApp::new(cc, options).expect("app starts"));
    for _ in 0..500 {
        harness.step();
        if harness.state().layers.first().is_some_and(|l| !l.is_loading()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(3);
    harness
}

/// The top bar's projection switch: the combo box labelled "Map".
fn projection_switch<'a>(harness: &'a Harness<'static, FloeApp>) -> egui_kittest::Node<'a> {
    harness.get(egui_kittest::kittest::By::new().label("Map").role(egui::accesskit::Role::ComboBox))
}

/// The map's centre on screen: right of the 300-point side panel, between the top and status bars.
const MAP_CENTRE: egui::Pos2 = egui::pos2(630.0, 330.0);

#[test]
fn data_at_87n_open_in_the_north_view_and_switch_without_a_reread() {
    let options = AppOptions { tiles: false, inputs: vec![atl03_87n()], ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    assert_eq!(harness.state().projection(), Projection::North, "every photon is at 87.3°N");
    // h5py: 2,909 photons; all are on the screen (Web Mercator could not show any of them).
    assert_eq!(harness.state().layers[0].rows_loaded, 2909);
    // The paint callback counts what it draws: render a frame first.
    harness.render().expect("render");
    assert_eq!(harness.state().points_drawn(), 2909);
    let first_uploads = harness.state().layers[0].uploads;
    // 8 bytes of f32 offsets per point, once.
    assert_eq!(first_uploads.position_bytes, 2909 * 8);

    // The top bar's projection switch.
    projection_switch(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("Web Mercator").click();
    harness.run_steps(3);
    assert_eq!(harness.state().projection(), Projection::Mercator);
    let layer = &harness.state().layers[0];
    assert_eq!(layer.rows_loaded, 2909, "nothing read again");
    assert_eq!(layer.uploads.position_bytes, 2909 * 8, "the positions are uploaded once more, whole");
    assert_eq!(layer.uploads.value_bytes, first_uploads.value_bytes, "values are uploaded again with them");

    projection_switch(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("North polar stereographic (EPSG:3413)").click();
    harness.run_steps(3);
    assert_eq!(harness.state().projection(), Projection::North);
    let layer = &harness.state().layers[0];
    assert!(!layer.bbox.is_empty());
    harness.get_by_label("Zoom to").click();
    harness.run_steps(2);
    harness.render().expect("render");
    assert_eq!(harness.state().points_drawn(), 2909, "every point is back on the map");
}

#[test]
fn the_cursor_reads_lon_lat_in_the_polar_view() {
    let options = AppOptions {
        tiles: false,
        inputs: vec![atl03_87n()],
        projection: Some(Projection::North),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    // Zoom to the whole layer: the two photon groups (95°E and 179°E at 87.3°N) around the map's centre.
    harness.get_by_label("Zoom to").click();
    harness.run_steps(2);
    harness.hover_at(MAP_CENTRE);
    harness.run_steps(2);
    let (lon, lat) = harness.state().cursor_lonlat().expect("the pointer is over the map");
    // The view is fitted to the groups' projected box; its centre is between them, on the pole's side of 87.3°.
    assert!((87.0..90.0).contains(&lat), "lat {lat}");
    assert!((95.0..179.0).contains(&lon), "lon {lon}");
    // Independent check of the readout: one point to the right is one point further along +x in EPSG:3413.
    let right = {
        harness.hover_at(MAP_CENTRE + egui::vec2(100.0, 0.0));
        harness.run_steps(2);
        harness.state().cursor_lonlat().unwrap()
    };
    let a = Projection::North.polar_from_lonlat(lon, lat).unwrap();
    let b = Projection::North.polar_from_lonlat(right.0, right.1).unwrap();
    assert!(b[0] > a[0] && (b[1] - a[1]).abs() < 1e-6 * (b[0] - a[0]).abs().max(1.0) + 1.0, "{a:?} → {b:?}");
}

#[test]
fn a_polygon_drawn_around_the_north_pole_selects_the_points_inside_it_on_screen() {
    let grid = std::path::PathBuf::from(std::env::var_os("FLOE_FIXTURES").expect("FLOE_FIXTURES"))
        .join("polar/pole_grid.parquet")
        .to_string_lossy()
        .into_owned();
    let options =
        AppOptions { tiles: false, inputs: vec![grid], projection: Some(Projection::North), ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    assert_eq!(harness.state().layers[0].rows_loaded, 720);
    harness.get_by_label("Zoom to").click();
    harness.run_steps(2);
    // An irregular quadrilateral around the map's centre, where the pole is once the grid is zoomed to.
    let corners: Vec<egui::Pos2> = [(-120.0, -90.0), (110.0, -100.0), (130.0, 95.0), (-100.0, 110.0)]
        .iter()
        .map(|(x, y)| MAP_CENTRE + egui::vec2(*x, *y))
        .collect();
    // Independently of the AOI code: each corner's lon/lat as the status bar reads it, in EPSG:3413 metres.
    let corners_m: Vec<[f64; 2]> = corners
        .iter()
        .map(|c| {
            harness.hover_at(*c);
            harness.run_steps(2);
            let (lon, lat) = harness.state().cursor_lonlat().expect("over the map");
            Projection::North.polar_from_lonlat(lon, lat).unwrap()
        })
        .collect();
    let inside = |p: [f64; 2]| {
        let mut inside = false;
        for (i, a) in corners_m.iter().enumerate() {
            let b = corners_m[(i + 1) % corners_m.len()];
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
                inside = !inside;
            }
        }
        inside
    };
    let expected = (0..20)
        .flat_map(|lat| (0..36).map(move |lon| (f64::from(lon) * 10.0 - 180.0, 80.0 + f64::from(lat) * 0.5)))
        .filter(|(lon, lat)| inside(Projection::North.polar_from_lonlat(*lon, *lat).unwrap()))
        .count();
    assert!(expected > 100 && expected < 720, "{expected} grid points inside the drawn shape");
    assert!(inside([0.0, 0.0]), "the shape contains the pole");

    harness.get_by_label("Draw polygon").click();
    harness.run_steps(2);
    for corner in corners.iter().chain(corners.first()) {
        harness.hover_at(*corner);
        harness.step();
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos: *corner,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            harness.step();
        }
        // Far enough apart in time that two clicks are never a double-click.
        std::thread::sleep(std::time::Duration::from_millis(400));
        harness.step();
    }
    assert!(harness.state().aoi().is_some(), "the polygon closed on its first corner");
    for _ in 0..500 {
        harness.step();
        if harness.state().layers.first().is_some_and(|l| !l.is_loading()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(harness.state().layers[0].rows_loaded, expected as u64, "the points inside the shape as drawn");
}
