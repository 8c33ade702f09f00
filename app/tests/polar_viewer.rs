//! The viewer's polar views (issue 12), headless with the wgpu renderer (lavapipe): data near a pole choose the
//! view, switching projections keeps every point and uploads positions once, and the cursor reads lon/lat.

mod common;

use common::{click_at, loaded_viewer, lonlat_under};
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

/// EPSG:3413 metres under a ui position, through the status bar's readout.
fn metres_at(harness: &mut Harness<'static, FloeApp>, pos: egui::Pos2) -> [f64; 2] {
    let (lon, lat) = lonlat_under(harness, pos);
    Projection::North.polar_from_lonlat(lon, lat).unwrap()
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
    let corners_m: Vec<[f64; 2]> = corners.iter().map(|c| metres_at(&mut harness, *c)).collect();
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
        click_at(&mut harness, *corner);
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

/// A loopback tile server for the polar grid (GIBS's: corner at ±4,194,304 m, 512-pixel tiles, 8,192 m per pixel at
/// level 0). Each tile pixel is coloured by the quadrant its centre lies in, in projected metres, so the tiles show
/// where (0, 0), the pole, is. HEAD and `Range` as object_store asks for them. Returns the URL template.
fn serve_quadrant_tiles() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut range = None;
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                        if let Some(value) = header.to_ascii_lowercase().strip_prefix("range: bytes=") {
                            let (a, b) = value.trim().split_once('-').unwrap();
                            range = Some((a.parse::<usize>().unwrap(), b.parse::<usize>().ok()));
                        }
                    }
                    let mut parts = request.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
                    let numbers: Vec<u32> =
                        path.trim_end_matches(".png").split('/').filter_map(|p| p.parse().ok()).collect();
                    let body = match numbers[..] {
                        [z, y, x] => quadrant_tile(z, y, x),
                        _ => Vec::new(),
                    };
                    let total = body.len();
                    let (status, slice, extra) = match range {
                        Some((start, end)) if total > 0 => {
                            let end = end.unwrap_or(total - 1).min(total - 1);
                            (
                                "206 Partial Content",
                                &body[start..=end],
                                format!("Content-Range: bytes {start}-{end}/{total}\r\n"),
                            )
                        }
                        _ => ("200 OK", &body[..], String::new()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nAccept-Ranges: bytes\r\nLast-Modified: Sat, 21 Nov 2026 12:00:00 GMT\r\n{extra}Content-Length: {}\r\n\r\n",
                        slice.len()
                    );
                    let sent = writer
                        .write_all(head.as_bytes())
                        .and_then(|_| if method == "HEAD" { Ok(()) } else { writer.write_all(slice) });
                    if sent.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}/{{z}}/{{y}}/{{x}}.png")
}

/// Quadrant colours: x < 0, y > 0 red; x ≥ 0, y > 0 green; x < 0, y ≤ 0 blue; x ≥ 0, y ≤ 0 yellow.
const QUADRANTS: [[u8; 3]; 4] = [[220, 40, 40], [40, 200, 40], [40, 40, 220], [230, 210, 30]];

fn quadrant_tile(z: u32, y: u32, x: u32) -> Vec<u8> {
    let resolution = 8192.0 / f64::from(1u32 << z);
    let (left, top) =
        (-4_194_304.0 + f64::from(x) * 512.0 * resolution, 4_194_304.0 - f64::from(y) * 512.0 * resolution);
    let mut pixels = Vec::with_capacity(512 * 512 * 4);
    for row in 0..512 {
        for column in 0..512 {
            let mx = left + (f64::from(column) + 0.5) * resolution;
            let my = top - (f64::from(row) + 0.5) * resolution;
            let quadrant = usize::from(mx >= 0.0) + 2 * usize::from(my <= 0.0);
            pixels.extend(QUADRANTS[quadrant]);
            pixels.push(255);
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, 512, 512);
    encoder.set_color(png::ColorType::Rgba);
    encoder.write_header().unwrap().write_image_data(&pixels).unwrap();
    png
}

#[test]
fn polar_tiles_lie_under_the_points_aligned_and_their_absence_leaves_the_coastline() {
    let north = std::path::PathBuf::from(std::env::var_os("FLOE_FIXTURES").expect("FLOE_FIXTURES"))
        .join("polar/north.parquet")
        .to_string_lossy()
        .into_owned();
    let options = AppOptions {
        tiles: true,
        polar_tiles: Some(serve_quadrant_tiles()),
        inputs: vec![north.clone()],
        projection: Some(Projection::North),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    for _ in 0..600 {
        harness.step();
        let counts = harness.state().polar_tile_counts();
        assert_eq!(counts.failed, 0, "every tile is served");
        if counts.ready >= 4 && counts.loading == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.run_steps(3);
    // Where the pole is on screen, from the cursor readout: metres per ui point along x, then the offset.
    let m0 = metres_at(&mut harness, MAP_CENTRE);
    let m1 = metres_at(&mut harness, MAP_CENTRE + egui::vec2(100.0, 0.0));
    let metres_per_point = (m1[0] - m0[0]) / 100.0;
    let pole = MAP_CENTRE + egui::vec2((-m0[0] / metres_per_point) as f32, (m0[1] / metres_per_point) as f32);
    harness.hover_at(egui::pos2(5.0, 630.0));
    harness.run_steps(2);
    let image = harness.render().expect("render");
    image.save(std::env::temp_dir().join("floe-polar-tiles.png")).unwrap();
    let colour_at = |dx: f32, dy: f32| {
        let p = pole + egui::vec2(dx, dy);
        let pixel = image.get_pixel(p.x.round() as u32, p.y.round() as u32).0;
        [pixel[0], pixel[1], pixel[2]]
    };
    let close = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12);
    // Screen y is down, metres y up: above-left of the pole is x < 0, y > 0. Sampled 10 points from the pole at
    // ±30° from the horizontal, midway between the graticule's meridians (which meet there every 30°, from 15°).
    let (dx, dy) = (8.66, 5.0);
    for ((dx, dy), quadrant) in [((-dx, -dy), 0), ((dx, -dy), 1), ((-dx, dy), 2), ((dx, dy), 3)] {
        let found = colour_at(dx, dy);
        assert!(
            close(found, QUADRANTS[quadrant]),
            "at pole {pole:?} + ({dx}, {dy}): {found:?}, want {:?}",
            QUADRANTS[quadrant]
        );
    }

    // No server: every tile fails, and the sea and the coastline are drawn as without tiles.
    let options = AppOptions {
        tiles: true,
        polar_tiles: Some("http://127.0.0.1:9/{z}/{y}/{x}.png".to_owned()),
        inputs: vec![north],
        projection: Some(Projection::North),
        ..AppOptions::default()
    };
    let mut harness = loaded_viewer(options);
    for _ in 0..600 {
        harness.step();
        let counts = harness.state().polar_tile_counts();
        if counts.failed >= 4 && counts.loading == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let counts = harness.state().polar_tile_counts();
    assert!(counts.ready == 0 && counts.failed >= 4, "{counts:?}");
    let image = harness.render().expect("render");
    let [r, g, b, _] = floe::style::SEA;
    let sea = image.pixels().filter(|p| close([p.0[0], p.0[1], p.0[2]], [r, g, b])).count();
    let [r, g, b, _] = floe::style::COAST;
    let coast = image.pixels().filter(|p| close([p.0[0], p.0[1], p.0[2]], [r, g, b])).count();
    assert!(sea > 100_000 && coast > 200, "{sea} sea pixels, {coast} coastline pixels");
}

#[test]
fn clicking_a_point_on_the_map_lists_its_attributes() {
    let fixtures = std::path::PathBuf::from(std::env::var_os("FLOE_FIXTURES").expect("FLOE_FIXTURES"));
    let oracle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("polar/polar_oracle.json")).unwrap()).unwrap();
    let north = fixtures.join("polar/north.parquet").to_string_lossy().into_owned();
    let options =
        AppOptions { tiles: false, inputs: vec![north], projection: Some(Projection::North), ..AppOptions::default() };
    let mut harness = loaded_viewer(options);
    harness.get_by_label("Zoom to").click();
    harness.run_steps(2);
    // Screen position of a point from its EPSG:3413 metres (pyproj), through the cursor readout's scale.
    let m0 = metres_at(&mut harness, MAP_CENTRE);
    let m1 = metres_at(&mut harness, MAP_CENTRE + egui::vec2(100.0, 0.0));
    let metres_per_point = (m1[0] - m0[0]) / 100.0;
    // The second point: 45°E, 80°N, value 1.
    let point = &oracle["north"][1];
    let (x, y) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    let at = MAP_CENTRE + egui::vec2(((x - m0[0]) / metres_per_point) as f32, (-(y - m0[1]) / metres_per_point) as f32);
    // Two points off: still within the pick radius.
    let click = at + egui::vec2(2.0, -1.0);
    click_at(&mut harness, click);
    harness.run_steps(2);
    let picked = harness.state().picked().expect("a point is picked").clone();
    assert_eq!(picked.layer_name, "north.parquet");
    assert_eq!(picked.point, 1, "the second row of the file");
    let value = |name: &str| picked.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(value("lon").as_deref(), Some("45.000000"));
    assert_eq!(value("lat").as_deref(), Some("80.000000"));
    assert_eq!(value("value").as_deref(), Some("1.00"));
    // The window shows it.
    harness.get_by_label("north.parquet, row 1");
    // A click on empty sea picks nothing.
    let empty = MAP_CENTRE + egui::vec2(-40.0, 40.0);
    click_at(&mut harness, empty);
    assert!(harness.state().picked().is_none(), "nothing within reach of an empty spot");
}
