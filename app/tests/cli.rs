//! The `floe` binary end to end: `info --json` values, `render` pixels, and bad input.

use std::path::PathBuf;

use arrow_array::Array;
use std::process::Command;

fn floe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_floe")).args(args).output().expect("run floe")
}

fn shared(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/geoparquet")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn fixtures() -> PathBuf {
    std::env::var_os("FLOE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"))
}

#[test]
fn info_json_reports_the_file() {
    let out = floe(&["info", "--json", &shared("atl06_TestParquetFile_001.parquet")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["rows"], 2779);
    assert_eq!(info["crs"], "OGC:CRS84");
    assert_eq!(info["geometry_encoding"], "lon/lat columns");
    assert_eq!(info["geometry_column"], "longitude, latitude");
    assert_eq!(
        info["bbox"],
        serde_json::json!([-77.06519833673225, 38.93054841053501, -77.03321877305318, 38.995737185380975])
    );
    let columns = info["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 19);
    assert_eq!(columns[2], serde_json::json!({"name": "longitude", "type": "Float64"}));
    assert_eq!(info["compression"], serde_json::json!(["SNAPPY"]));
}

#[test]
fn info_text_names_geometry_and_crs() {
    let out = floe(&["info", &shared("atl06_10rows.geoparquet")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  rows         10\n"), "{text}");
    assert!(text.contains("  geometry     WKB in `geometry` (Point)\n"), "{text}");
    assert!(text.contains("  crs          OGC:CRS84\n"), "{text}");
    assert!(text.contains("  geo version  1.0.0-beta.1\n"), "{text}");
}

#[test]
fn render_draws_a_sample_point_in_its_colormap_colour() {
    let batch = floe_io::sample::sample_batch();
    let h =
        batch.column_by_name("h_canopy").unwrap().as_any().downcast_ref::<arrow_array::Float32Array>().unwrap().clone();
    let bbox =
        batch.column_by_name("bbox").unwrap().as_any().downcast_ref::<arrow_array::StructArray>().unwrap().clone();
    let xs = bbox.column(0).as_any().downcast_ref::<arrow_array::Float64Array>().unwrap().clone();
    let ys = bbox.column(1).as_any().downcast_ref::<arrow_array::Float64Array>().unwrap().clone();
    let row = (500..h.len()).find(|&i| h.is_valid(i)).unwrap();
    let (lon, lat, value) = (xs.value(row), ys.value(row), h.value(row));
    // ±30 m around one segment: segments are 100 m apart along track, beams 90 m across.
    let d = 0.0003;
    let bbox_arg = format!("{},{},{},{}", lon - d, lat - d, lon + d, lat + d);
    let dir = tempdir();
    let png_path = dir.join("sample.png");
    let out = floe(&[
        "render",
        "sample",
        "--out",
        png_path.to_str().unwrap(),
        "--basemap",
        "none",
        "--size",
        "101x101",
        "--range",
        "0:40",
        "--bbox",
        &bbox_arg,
        "--point-size",
        "9",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("h_canopy [m]: range from 0.00 to 40.00 (viridis)"), "{stdout}");
    let (width, pixels) = read_png(&png_path);
    let at = |x: usize, y: usize| -> [u8; 4] { pixels[(y * width + x) * 4..][..4].try_into().unwrap() };
    let expected = floe_render::Colormap::Viridis.lut()[floe_render::colormap::lut_index(value, 0.0, 40.0)];
    assert_eq!(at(50, 50), expected, "point {row} (h_canopy {value}) at the centre");
    assert_eq!(at(2, 2), [255, 255, 255, 255], "white background without a basemap");
    assert!(!dir.read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
}

#[test]
fn render_whole_sample_with_coastline() {
    let dir = tempdir();
    let png_path = dir.join("whole.png");
    let out = floe(&["render", "sample", "--out", png_path.to_str().unwrap(), "--size", "400x300", "--cmap", "magma"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, pixels) = read_png(&png_path);
    let magma = floe_render::Colormap::Magma.lut();
    let coloured = pixels.chunks(4).filter(|p| magma.iter().any(|c| c[..] == p[..])).count();
    // Three beam pairs along a 160 km track, 3 px points: a few hundred opaque pixels in magma colours.
    assert!(coloured > 250, "{coloured} pixels in magma colours");
    assert_eq!(pixels[..4], floe::style::SEA[..], "sea-coloured background with the coastline basemap");
}

fn read_png(path: &std::path::Path) -> (usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    (info.width as usize, pixels)
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floe-cli-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fails_with(args: &[&str], expected_stderr: &str) {
    let out = floe(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with(expected_stderr), "expected `{expected_stderr}`, got `{stderr}`");
}

#[test]
fn bad_input_exits_non_zero_with_a_clear_message() {
    let bad = fixtures().join("bad");
    let p = |name: &str| bad.join(name).to_string_lossy().into_owned();
    fails_with(
        &["info", &p("truncated.parquet")],
        &format!("error: {}: not a readable Parquet file: ", p("truncated.parquet")),
    );
    fails_with(
        &["info", &p("not_parquet.parquet")],
        &format!(
            "error: {}: neither an HDF5 granule nor a Parquet file: it is text starting `id,lon,lat`",
            p("not_parquet.parquet")
        ),
    );
    fails_with(
        &["render", &p("no_geometry.parquet"), "--out", "/tmp/x.png"],
        &format!("error: {}: no geometry found", p("no_geometry.parquet")),
    );
    fails_with(
        &["info", &p("projected.parquet")],
        &format!("error: {}: unsupported CRS EPSG:32633", p("projected.parquet")),
    );
    fails_with(
        &["info", "http://127.0.0.1:9/data.parquet"],
        "error: http://127.0.0.1:9/data.parquet: cannot read: unreachable: ",
    );
    fails_with(
        &["render", "sample", "--out", "/tmp/x.png", "--cmap", "rainbow"],
        "error: unknown colormap `rainbow` (available: viridis, magma,",
    );
    fails_with(
        &["render", "sample", "--out", "/tmp/x.png", "--color", "nope"],
        "error: sample: no numeric column `nope` to colour by",
    );
}

fn granule(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn info_json_for_a_granule() {
    let out = floe(&["info", "--json", "--stats", &granule("hrt__ATL06_subset_by_shapefile_reference.h5")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["product"], "ATL06");
    assert_eq!(info["release"], "006");
    assert_eq!((info["rgt"].as_i64(), info["cycle"].as_i64()), (Some(611), Some(16)));
    assert_eq!(info["beams"][0], serde_json::json!({"name": "gt1l", "strength": "weak", "spot": 6, "rows": 986}));
    assert_eq!(info["beams"][1]["strength"], "strong");
    let h_li = info["variables"].as_array().unwrap().iter().find(|v| v["path"] == "land_ice_segments/h_li").unwrap();
    assert_eq!(h_li["type"], "float32");
    assert!(info["stats"]["requests"].as_u64().unwrap() > 0);
}

#[test]
fn cat_prints_values_like_h5py() {
    let out = floe(&[
        "cat",
        &granule("hrt__ATL06_subset_by_shapefile_reference.h5"),
        "/gt1l/land_ice_segments/h_li",
        "--rows",
        "0..3",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // h5py: [894.1698, 890.473, 3.4028235e+38] — cat prints the stored values, fill included.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "894.1698\n890.473\n3.4028235e+38\n");
    let out =
        floe(&["cat", &granule("hts__ATL03_gt1l.h5"), "/gt1l/heights/signal_conf_ph", "--rows", "0..2", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[[-1,4,4,-1,-1],[-1,4,4,-1,-1]]");
    // NaN and the infinities told apart; integers as integers; a scalar as a value (h5py: scripts/hdf5_fixtures.py).
    let special = fixtures().join("cat/special.h5");
    let special = special.to_str().unwrap();
    let cat =
        |dataset: &str| String::from_utf8_lossy(&floe(&["cat", special, dataset, "--json"]).stdout).trim().to_owned();
    assert_eq!(cat("/floats"), r#"[1.5,"NaN","Infinity","-Infinity"]"#);
    assert_eq!(cat("/ints"), "[-1,4,127]");
    assert_eq!(cat("/scalar"), "42.25");
    let tree = floe(&["info", "--tree", &granule("icesat2vegr__atl08_clip.h5")]);
    let text = String::from_utf8_lossy(&tree.stdout);
    assert!(text.contains("  @short_name = \"ATL08\"\n"), "{text}");
    assert!(text.contains("land_segments/\n"), "{text}");
    fails_with(
        &["cat", &granule("hts__ATL03_gt1l.h5"), "/gt1l/nope"],
        &format!("error: {}: no group or dataset /gt1l/nope", granule("hts__ATL03_gt1l.h5")),
    );
}

#[test]
fn render_draws_a_granule() {
    let dir = tempdir();
    let granule = granule("hrt__ATL06_subset_by_shapefile_reference.h5");
    let render = |png: &std::path::Path| {
        let out = floe(&[
            "render",
            &granule,
            "--out",
            png.to_str().unwrap(),
            "--size",
            "300x300",
            "--color",
            "h_li",
            "--range",
            "600:1400",
            "--basemap",
            "none",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("wrote"), "6108 points");
        read_png(png).1
    };
    let pixels = render(&dir.join("atl06.png"));
    let viridis = floe_render::Colormap::Viridis.lut();
    let coloured = pixels.chunks(4).filter(|p| viridis.iter().any(|c| c[..] == p[..])).count();
    assert!(coloured > 100, "{coloured} pixels in viridis colours");
    // The same command draws the same image (beams are read concurrently, but drawn in a fixed order).
    assert_eq!(render(&dir.join("atl06-again.png")), pixels, "the same image twice");
}

#[test]
fn subset_bad_input_exits_non_zero_with_a_clear_message() {
    let dir = tempdir();
    let atl06 = granule("hrt__ATL06_subset_by_shapefile_reference.h5");
    let out = dir.join("never.parquet").to_string_lossy().into_owned();
    let line = dir.join("line.geojson");
    std::fs::write(&line, r#"{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}"#).unwrap();
    let line = line.to_string_lossy().into_owned();
    fails_with(
        &["subset", &atl06, "--aoi", &line, "--out", &out],
        &format!(
            "error: {line}: not a usable area of interest: a LineString has no area: an AOI needs Polygon or \
             MultiPolygon geometries"
        ),
    );
    // An AOI that never ends is refused at the size an AOI may have, not read into memory without end.
    fails_with(
        &["subset", &atl06, "--aoi", "/dev/zero", "--out", &out],
        "error: /dev/zero: not a usable area of interest: more than 67108864 bytes, more than an AOI file may have",
    );
    let missing = dir.join("missing.geojson").to_string_lossy().into_owned();
    fails_with(
        &["subset", &atl06, "--aoi", &missing, "--out", &out],
        &format!("error: {missing}: not a usable area of interest: cannot read the file: No such file or directory"),
    );
    fails_with(
        &["subset", &atl06, "--bbox", "-16.6,64.8,-16.3,65.0", "--columns", "h_li,nope", "--out", &out],
        "error: --columns: no column `nope` (columns: latitude, longitude, time, h_li,",
    );
    fails_with(
        &["subset", &atl06, "--time", "2019-05-01..yesterday", "--out", &out],
        "error: --time: `yesterday` is not a UTC date (2019-05-01) or date-time (2019-05-01T12:30:00Z)",
    );
    assert!(!std::path::Path::new(&out).exists(), "no output after a failure");
}

#[test]
fn subset_of_a_granule_on_s3_equals_the_local_subset() {
    if std::env::var_os("AWS_ENDPOINT").is_none() {
        assert!(std::env::var_os("FLOE_REQUIRE_S3").is_none(), "FLOE_REQUIRE_S3 is set but AWS_ENDPOINT is not");
        return;
    }
    let dir = tempdir();
    // scripts/s3_setup.py uploads the real ATL03 subset as granules/atl03.h5.
    let (local, remote) = (dir.join("local.parquet"), dir.join("s3.parquet"));
    let bbox = "95.07,87.295,95.11,87.298";
    for (input, out) in
        [(granule("hts__ATL03_gt1l.h5"), &local), ("s3://floe-public/granules/atl03.h5".into(), &remote)]
    {
        let result = floe(&["subset", &input, "--bbox", bbox, "--out", out.to_str().unwrap()]);
        assert!(result.status.success(), "{input}: {}", String::from_utf8_lossy(&result.stderr));
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(stdout.starts_with("rows per track: gt1l 664\n"), "{input}: {stdout}");
    }
    let read = |path: &std::path::Path| {
        let file = std::fs::File::open(path).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        reader.map(|b| b.unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(read(&local), read(&remote));
}

#[test]
fn subset_of_a_hive_dataset_keeps_partition_values_as_columns() {
    let dir = tempdir();
    let hive = fixtures().join("hive");
    let out_path = dir.join("hive.parquet");
    let args = ["subset", hive.to_str().unwrap(), "--filter", "year>=2021", "--bbox", "-45.0,62.0,-44.9,63.0"];
    let out = floe(&[&args[..], &["--out", out_path.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::File::open(&out_path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    let table = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
    let names: Vec<String> = table.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["latitude", "longitude", "h_li", "year", "month", "geometry", "bbox"]);
    // Each part has 10 + month rows at lon -45.00, -44.99, …: 9 lie strictly inside the box; 2 years × 3 months.
    assert_eq!(table.num_rows(), 54);
    let column =
        |name: &str| arrow_cast::cast(table.column_by_name(name).unwrap(), &arrow_schema::DataType::Float64).unwrap();
    let (h_li, year, month) = (column("h_li"), column("year"), column("month"));
    let f64s =
        |a: &arrow_array::ArrayRef| a.as_any().downcast_ref::<arrow_array::Float64Array>().unwrap().values().to_vec();
    let (h_li, year, month) = (f64s(&h_li), f64s(&year), f64s(&month));
    // The fixture's h_li is year * 100 + month of the file it came from.
    for row in 0..54 {
        assert_eq!(h_li[row], year[row] * 100.0 + month[row], "row {row}");
        assert!(year[row] >= 2021.0, "row {row}: the filter leaves out 2020");
    }
}

#[test]
fn subset_selects_beams_time_and_drops_nulls_on_request() {
    let dir = tempdir();
    let atl06 = granule("hrt__ATL06_subset_by_shapefile_reference.h5");
    let read = |path: &std::path::Path| {
        let file = std::fs::File::open(path).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
        arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
    };
    let all = dir.join("all.parquet");
    let out = floe(&["subset", &atl06, "--out", all.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // h5py: 986, 987, 1074, 1074, 993, 994 segments per beam.
    assert!(
        stdout.starts_with("rows per track: gt1l 986, gt1r 987, gt2l 1074, gt2r 1074, gt3l 993, gt3r 994\n"),
        "{stdout}"
    );
    let all = read(&all);
    assert_eq!(all.num_rows(), 6108);
    let h_li_nulls = all.column_by_name("h_li").unwrap().null_count();

    let strong = dir.join("strong.parquet");
    let out = floe(&["subset", &atl06, "--beams", "strong", "--drop-null", "h_li", "--out", strong.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let strong = read(&strong);
    let strengths = strong.column_by_name("beam_strength").unwrap();
    let strengths = strengths.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    assert!(strengths.iter().all(|s| s == Some("strong")));
    assert_eq!(strong.column_by_name("h_li").unwrap().null_count(), 0);
    assert!(strong.num_rows() < 6108 - h_li_nulls && strong.num_rows() > 2000, "{} rows", strong.num_rows());

    // An empty time range keeps nothing; with --allow-empty it still writes a valid, empty file.
    let none = dir.join("none.parquet");
    let out =
        floe(&["subset", &atl06, "--time", "2000-01-01..2000-01-02", "--allow-empty", "--out", none.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::File::open(&none).unwrap();
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn interrupted_subset_leaves_no_file_that_looks_complete() {
    let dir = tempdir();
    let atl06 = granule("hrt__ATL06_subset_by_shapefile_reference.h5");
    for delay_ms in [5, 20, 40, 60, 80, 120, 200] {
        let out = dir.join(format!("killed-{delay_ms}.parquet"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
            .args(["subset", &atl06, "--out", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().ok();
        child.wait().unwrap();
        // Either nothing, or the whole file: never a partial one under the final name.
        if out.exists() {
            let file = std::fs::File::open(&out).unwrap();
            let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap_or_else(|e| panic!("killed after {delay_ms} ms: a partial file: {e}"));
            assert_eq!(builder.metadata().file_metadata().num_rows(), 6108);
        }
    }
}

#[test]
fn qa_flags_each_fault_and_passes_good_files() {
    let qa = fixtures().join("qa");
    let source = granule("hrt__ATL06_subset_by_shapefile_reference.h5");
    let run = |file: &str| {
        let path = qa.join(file).to_string_lossy().into_owned();
        let out = floe(&["qa", &path, "--source", &source]);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, stdout) = run("good.parquet");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("pass  gt2l rows                   1074 rows; source 1074 in the same time window; 0 missing")
    );
    let faults = [
        ("missing_geo.parquet", "FAIL  geo metadata                no `geo` key in the Parquet footer: not GeoParquet"),
        ("wrong_version.parquet", "FAIL  version                     \"0.4.0\" is not a GeoParquet version"),
        ("wrong_bbox.parquet", "FAIL  bbox                        declared [-16.4, 64.9, -16.3, 65.0], data ["),
        (
            "wrong_types.parquet",
            "FAIL  geometry_types              declared [\"Polygon\"], but the data has [\"Point\"]",
        ),
        ("fills_not_nulled.parquet", "FAIL  fill values                 h_li: 2143 values are 3.4028234663852886e38"),
        ("swapped_lonlat.parquet", "FAIL  lon/lat                     the geometry holds (latitude, longitude)"),
        (
            "dropped_rows.parquet",
            "FAIL  gt1l rows                   887 rows; source 986 in the same time window; 99 missing",
        ),
    ];
    for (file, expected) in faults {
        let (code, stdout) = run(file);
        assert_eq!(code, Some(1), "{file}: {stdout}");
        assert!(stdout.contains(expected), "{file}: expected `{expected}` in\n{stdout}");
    }
    // The dropped rows are named by time: the fixture drops every 10th row from the 4th on, so the first missing
    // gt1l row is the 4th of gt1l in time order in good.parquet.
    let good = std::fs::File::open(qa.join("good.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(good).unwrap().build().unwrap();
    let mut gt1l_times = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let tracks =
            arrow_cast::cast(batch.column_by_name("track_id").unwrap(), &arrow_schema::DataType::Utf8).unwrap();
        let tracks = tracks.as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
        let time = arrow_cast::cast(batch.column_by_name("time").unwrap(), &arrow_schema::DataType::Int64).unwrap();
        let time = time.as_any().downcast_ref::<arrow_array::Int64Array>().unwrap();
        gt1l_times.extend((0..batch.num_rows()).filter(|&i| tracks.value(i) == "gt1l").map(|i| time.value(i)));
    }
    gt1l_times.sort_unstable();
    let fourth = arrow_array::temporal_conversions::timestamp_ns_to_datetime(gt1l_times[3]).unwrap();
    let (_, stdout) = run("dropped_rows.parquet");
    let expected = format!("99 missing, 0 extra; missing at {}, ", fourth.format("%Y-%m-%dT%H:%M:%S%.9fZ"));
    assert!(stdout.contains(&expected), "expected `{expected}` in\n{stdout}");

    // A granule given as the file to check is named for what it is.
    let out = floe(&["qa", &source]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{source}\n  FAIL  parquet  an HDF5 file (an ICESat-2 granule?), not Parquet: QA checks conversion outputs; \
             give the granule as --source to compare an output with it\n"
        )
    );

    // A directory is a dataset: every file gets its report, and one failing file fails the run.
    let out = floe(&["qa", &qa.to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    let headers: Vec<&str> = stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(headers.len(), 8, "{stdout}");
    assert!(headers.iter().all(|h| h.starts_with(&*qa.to_string_lossy()) && h.ends_with(".parquet")), "{headers:?}");

    // The same checks on an S3 prefix (the loopback S3 server ./scripts/test starts).
    if std::env::var_os("AWS_ENDPOINT").is_some() {
        let out = floe(&["qa", "s3://floe-public/qa/", "--source", &source]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        let headers: Vec<&str> = stdout.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(headers, ["s3://floe-public/qa/dropped_rows.parquet", "s3://floe-public/qa/good.parquet"]);
        assert!(
            stdout
                .contains("FAIL  gt1l rows                   887 rows; source 986 in the same time window; 99 missing")
        );
        assert!(
            stdout
                .contains("pass  gt1l rows                   986 rows; source 986 in the same time window; 0 missing")
        );
    } else {
        assert!(std::env::var_os("FLOE_REQUIRE_S3").is_none(), "FLOE_REQUIRE_S3 is set but AWS_ENDPOINT is not");
    }

    // The shared GeoParquet files pass, except the one that is plain Parquet with lon/lat columns.
    let shared_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/geoparquet");
    let mut names: Vec<String> = std::fs::read_dir(&shared_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 10);
    for name in names {
        let out = floe(&["qa", &shared(&name)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if name == "atl06_TestParquetFile_001.parquet" {
            assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
            assert!(stdout.contains("FAIL  geo metadata       no `geo` key"), "{stdout}");
        } else {
            assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        }
    }
}

#[test]
fn render_draws_the_legend_into_the_png() {
    let dir = tempdir();
    let with = dir.join("legend.png");
    let without = dir.join("no-legend.png");
    for (path, extra) in [(&with, None), (&without, Some("--no-legend"))] {
        let mut args =
            vec!["render", "sample", "--out", path.to_str().unwrap(), "--size", "400x300", "--range", "0:40"];
        args.extend(extra);
        let out = floe(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (width, pixels) = read_png(&with);
    let at = |x: usize, y: usize| -> [u8; 4] { pixels[(y * width + x) * 4..][..4].try_into().unwrap() };
    // The colour bar: 200 pixels from x = 180 to 380 at y = 259–270 (a 220×52 box 10 pixels from the corner).
    let lut = floe_render::Colormap::Viridis.lut();
    assert_eq!(at(180, 265), lut[0], "the bar's low end");
    assert_eq!(at(379, 265), lut[254], "the bar's high end");
    assert_eq!(at(280, 265), lut[128], "its middle");
    // The title's text is dark ink on the box.
    assert!((180..300).any(|x| (243..256).any(|y| at(x, y)[0] < 100)), "title text");
    let (_, plain) = read_png(&without);
    let plain_at = |x: usize, y: usize| -> [u8; 4] { plain[(y * width + x) * 4..][..4].try_into().unwrap() };
    assert_eq!(plain_at(280, 265), floe::style::SEA, "--no-legend: the sea");
}

#[test]
fn filters_drop_rows_before_drawing() {
    // The sample's h_canopy above 20 m, counted here from the sample itself.
    let batch = floe_io::sample::sample_batch();
    let h = batch.column_by_name("h_canopy").unwrap().as_any().downcast_ref::<arrow_array::Float32Array>().unwrap();
    let expected = h.iter().filter(|v| v.is_some_and(|v| v > 20.0)).count();
    assert!(expected > 100 && expected < h.len());
    let dir = tempdir();
    let png = dir.join("filtered.png");
    let out = floe(&["render", "sample", "--filter", "h_canopy > 20", "--out", png.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!(", {expected} points)")), "{stdout}");
    // The real ATL06 granule: 2,634 segments below 800 m (h5py, scripts/subset_check.py).
    let granule = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5");
    let out = floe(&[
        "render",
        granule.to_str().unwrap(),
        "--filter",
        "h_li < 800",
        "--out",
        png.to_str().unwrap(),
        "--force",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(", 2634 points)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A time window: the sample's segments between 10:00:05 and 10:00:10 UTC, counted from its `time` column.
    let time =
        batch.column_by_name("time").unwrap().as_any().downcast_ref::<arrow_array::TimestampNanosecondArray>().unwrap();
    let (start, end) = (1_635_933_605_000_000_000i64, 1_635_933_610_000_000_000i64);
    let in_window = time.iter().filter(|t| t.is_some_and(|t| (start..end).contains(&t))).count();
    assert!(in_window > 100 && in_window < time.len(), "{in_window}");
    let out = floe(&[
        "render",
        "sample",
        "--time",
        "2021-11-03T10:00:05Z..2021-11-03T10:00:10Z",
        "--out",
        png.to_str().unwrap(),
        "--force",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!(", {in_window} points)")), "{stdout}");
    fails_with(
        &["render", "sample", "--filter", "depth > 3", "--out", png.to_str().unwrap(), "--force"],
        "error: sample: ATL08 h_canopy (synthetic): --filter `depth > 3`: no column `depth`",
    );
    fails_with(
        &["render", "sample", "--filter", "h_canopy ~ 3", "--out", png.to_str().unwrap(), "--force"],
        "error: --filter `h_canopy ~ 3`: expected COLUMN OP VALUE",
    );
}

#[test]
fn render_colours_a_class_column_by_class_with_a_named_legend() {
    let dir = tempdir();
    let png = dir.join("classes.png");
    let out =
        floe(&["render", "scene-small", "--color", "atl08_class", "--size", "700x450", "--out", png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("atl08_class: classes 0 noise, 1 ground, 2 canopy, 3 top of canopy\n"), "{stdout}");
    let (width, pixels) = read_png(&png);
    let at = |x: usize, y: usize| -> [u8; 4] { pixels[(y * width + x) * 4..][..4].try_into().unwrap() };
    // The legend box (bottom right): four rows 17 pixels apart from y = 342 + 30, each with its class's swatch.
    for (row, colour) in floe_render::colormap::CLASS_COLOURS.iter().take(4).enumerate() {
        let y = 342 + 30 + 17 * row;
        assert!((500..700).any(|x| at(x, y) == *colour), "swatch of class {row} on row {y}");
    }
}

#[test]
fn index_refuses_what_is_no_granule_and_never_overwrites_its_input() {
    let out = tempdir().join("index.parquet");
    let out = out.to_str().unwrap();
    let parquet = shared("atl06_10rows.geoparquet");
    fails_with(
        &["index", &parquet, "--out", out],
        &format!("error: {parquet}: bad HDF5 data in superblock: not an HDF5 file (no HDF5 signature found)"),
    );
    let types = fixtures().join("hdf5/types.h5").to_string_lossy().into_owned();
    fails_with(
        &["index", &types, "--out", out],
        &format!("error: {types}: an HDF5 file without a `short_name` attribute or METADATA/DatasetIdentification"),
    );
    let atl03 = granule("hts__ATL03_gt1l.h5");
    fails_with(&["index", &atl03, "--out", &atl03], &format!("error: {atl03}: this output is the input {atl03}"));
    assert!(!std::path::Path::new(out).exists(), "nothing written after a failure");
    // A granule indexes: one row per stored chunk (13 along-track datasets of gt1l's heights and 37 of its
    // geolocation segments, one chunk each).
    let run = floe(&["index", &atl03, "--out", out]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains(": 50 chunks of 50 datasets in 1 beams"));
}

#[test]
fn an_interrupted_write_leaves_no_temporary_file_and_no_output() {
    // SIGINT the moment the temporary file appears, i.e. mid-write: afterwards the directory holds neither it nor
    // the output.
    let atl03 = fixtures().join("hdf5/atl03_v108.h5").to_string_lossy().into_owned();
    let mut interrupted = 0;
    for attempt in 0..20 {
        let dir = tempdir().join(format!("interrupt-{attempt}"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("photons.parquet");
        let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
            .args(["subset", &atl03, "--out", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let partial = |dir: &std::path::Path| {
            std::fs::read_dir(dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        };
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && !partial(&dir) && started.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        if child.try_wait().unwrap().is_some() {
            continue; // Finished before the write was seen: try again.
        }
        Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().unwrap();
        let status = child.wait().unwrap();
        if status.success() {
            continue; // The write completed between the look and the signal.
        }
        interrupted += 1;
        assert_eq!(status.code(), Some(130), "exit code of an interrupted run");
        let left = names_in(&dir);
        assert!(left.is_empty(), "left behind: {left:?}");
        if interrupted == 3 {
            break;
        }
    }
    assert!(interrupted > 0, "no run was interrupted mid-write in 20 attempts");
}

#[test]
fn a_write_that_fails_midway_keeps_the_old_output_and_leaves_no_temporary_file() {
    // The file-size limit (`ulimit -f`, in 1 KiB blocks) is reached mid-write: the run fails with an error, the
    // previous output is still there byte for byte, and no temporary file remains.
    let atl03 = fixtures().join("hdf5/atl03_v108.h5").to_string_lossy().into_owned();
    let dir = tempdir().join("file-size-limit");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("photons.parquet");
    let old = b"the previous output".to_vec();
    std::fs::write(&out, &old).unwrap();
    let command = format!(
        "ulimit -f 64 && exec '{}' subset '{atl03}' --out '{}' --force",
        env!("CARGO_BIN_EXE_floe"),
        out.display()
    );
    let run = Command::new("sh").args(["-c", &command]).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), old);
    let left = names_in(&dir);
    assert_eq!(left, vec!["photons.parquet".to_owned()]);
}

#[test]
fn two_writes_to_one_path_at_once_end_with_one_valid_file() {
    // Two subsets of different areas race to the same output: afterwards it is one of the two, whole, and nothing
    // else is in the directory.
    let atl03 = fixtures().join("hdf5/atl03_v108.h5").to_string_lossy().into_owned();
    let dir = tempdir().join("concurrent-writes");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("photons.parquet");
    let alone: Vec<Vec<u8>> = ["--beams=gt1l", "--beams=gt2r"]
        .iter()
        .map(|beams| {
            let single = dir.join("single.parquet");
            let run = floe(&["subset", &atl03, beams, "--out", single.to_str().unwrap(), "--force"]);
            assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
            let bytes = std::fs::read(&single).unwrap();
            std::fs::remove_file(&single).unwrap();
            bytes
        })
        .collect();
    assert_ne!(alone[0], alone[1]);
    for _ in 0..3 {
        let children: Vec<_> = ["--beams=gt1l", "--beams=gt2r"]
            .iter()
            .map(|beams| {
                Command::new(env!("CARGO_BIN_EXE_floe"))
                    .args(["subset", &atl03, beams, "--out", out.to_str().unwrap(), "--force"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let written = std::fs::read(&out).unwrap();
        assert!(written == alone[0] || written == alone[1], "the output is neither run's file");
        let left = names_in(&dir);
        assert_eq!(left, vec!["photons.parquet".to_owned()]);
    }
}

#[test]
fn hostile_files_under_a_one_gib_memory_limit_end_in_errors_not_crashes() {
    // `prlimit --as=1G`: a size a file claims that slipped past its bound would make an allocation fail, and Rust
    // aborts on that. Every run must end with success or a one-line error (exit 1), never a signal or a panic.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut inputs = vec![
        fixtures().join("hostile/atl03_bad_segments.h5"),
        fixtures().join("hostile/huge_dataspace.h5"),
        corpus.join("point_file/parquet_dict_page_without_dictionary"),
    ];
    // Every tenth file of the fuzz corpus, in a fixed order.
    let mut fuzzed: Vec<_> =
        std::fs::read_dir(corpus.join("point_file")).unwrap().flatten().map(|e| e.path()).collect();
    fuzzed.sort();
    inputs.extend(fuzzed.into_iter().step_by(10));
    let out = tempdir().join("hostile-under-prlimit.parquet");
    for input in &inputs {
        let input = input.to_string_lossy().into_owned();
        for args in [vec!["info", &input], vec!["subset", &input, "--out", out.to_str().unwrap(), "--force"]] {
            let run = Command::new("prlimit")
                .arg(format!("--as={}", 1u64 << 30))
                .arg(env!("CARGO_BIN_EXE_floe"))
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(
                matches!(run.status.code(), Some(0 | 1)),
                "floe {args:?} under prlimit --as=1G: {:?}\n{stderr}",
                run.status
            );
            assert!(run.status.success() || stderr.contains("error: "), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
}

/// The names of the entries in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}
