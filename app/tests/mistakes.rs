//! What a new user does wrong, and what Floe must answer (issue 10): inputs are never replaced, QA verdicts on
//! Floe's own outputs are right, empty results are explained, and each mistake gets a message that says what to
//! do. Expected values come from h5py/pyarrow/geopandas (fixtures) or are worked out in the comments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn floe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_floe")).args(args).output().expect("run floe")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shared(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(path).to_string_lossy().into_owned()
}

fn fixtures() -> PathBuf {
    std::env::var_os("FLOE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"))
}

fn mistake(name: &str) -> String {
    fixtures().join("mistakes").join(name).to_string_lossy().into_owned()
}

const ATL03: &str = "hdf5/real/hts__ATL03_gt1l.h5";
const ATL06: &str = "hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5";
const ATL08: &str = "hdf5/real/icesat2vegr__atl08_clip.h5";

/// A fresh directory per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floe-mistakes-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Exit code 1 and exactly `expected` on stderr.
fn refused(args: &[&str], expected: &str) {
    let out = floe(args);
    assert_eq!(stderr(&out), format!("{expected}\n"), "floe {args:?}");
    assert_eq!(out.status.code(), Some(1), "floe {args:?}");
}

/// Exit code 3 (nothing selected) and exactly `expected` on stderr.
fn refused3(args: &[&str], expected: &str) {
    let out = floe(args);
    assert_eq!(stderr(&out), format!("{expected}\n"), "floe {args:?}");
    assert_eq!(out.status.code(), Some(3), "floe {args:?}");
}

#[test]
fn an_output_never_replaces_an_input() {
    let dir = scratch("inputs");
    let granule = dir.join("copy.h5");
    std::fs::copy(shared(ATL06), &granule).unwrap();
    let original = std::fs::read(&granule).unwrap();
    let g = text(&granule);
    let is_input = |out: &str| {
        format!(
            "error: {out}: this output is the input {g} (the same file); writing it would destroy the input: choose \
             another output path"
        )
    };
    refused(&["subset", &g, "--out", &g], &is_input(&g));
    refused(&["subset", &g, "--out", &g, "--force"], &is_input(&g));
    let hard = text(&dir.join("hard.parquet"));
    std::fs::hard_link(&granule, &hard).unwrap();
    refused(&["subset", &g, "--out", &hard, "--force"], &is_input(&hard));
    let link = text(&dir.join("link.png"));
    std::os::unix::fs::symlink(&granule, &link).unwrap();
    refused(&["render", &g, "--out", &link, "--force"], &is_input(&link));
    refused(&["render", &g, "--out", &g], &format!("error: {g}: floe render writes PNG images: name the output *.png"));
    refused(
        &["render", &g, "--out", &text(&dir.join("map.jpg"))],
        &format!("error: {}: floe render writes PNG images: name the output *.png", text(&dir.join("map.jpg"))),
    );
    // The AOI file is an input too.
    let aoi = dir.join("aoi.geojson");
    std::fs::write(&aoi, r#"{"type": "Polygon", "coordinates": [[[-17, 64], [-16, 64], [-16, 66], [-17, 64]]]}"#)
        .unwrap();
    let a = text(&aoi);
    refused(
        &["subset", &g, "--aoi", &a, "--out", &a, "--force"],
        &format!(
            "error: {a}: this output is the input {a} (the same file); writing it would destroy the input: choose \
             another output path"
        ),
    );
    assert_eq!(std::fs::read(&granule).unwrap(), original, "the granule is untouched");

    // GeoParquet inputs, and an output that exists.
    let parquet = dir.join("points.parquet");
    std::fs::copy(shared("geoparquet/atl06_10rows.geoparquet"), &parquet).unwrap();
    let p = text(&parquet);
    refused(
        &["subset", &p, "--out", &p, "--force"],
        &format!(
            "error: {p}: this output is the input {p} (the same file); writing it would destroy the input: choose \
             another output path"
        ),
    );
    let out = text(&dir.join("out.parquet"));
    assert!(floe(&["subset", &p, "--out", &out]).status.success());
    let first = std::fs::read(&out).unwrap();
    refused(&["subset", &g, "--out", &out], &format!("error: {out} exists: pass --force to replace it"));
    assert_eq!(std::fs::read(&out).unwrap(), first, "not replaced without --force");
    assert!(floe(&["subset", &g, "--out", &out, "--force"]).status.success());
    assert_ne!(std::fs::read(&out).unwrap(), first, "replaced with --force");
    let png = text(&dir.join("map.png"));
    assert!(floe(&["render", &p, "--out", &png, "--size", "64x64", "--basemap", "none"]).status.success());
    refused(
        &["render", &p, "--out", &png, "--size", "64x64", "--basemap", "none"],
        &format!("error: {png} exists: pass --force to replace it"),
    );
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // A write that fails says it could not write, and names the output.
    let out = floe(&["subset", &p, "--out", "/proc/floe-out.parquet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("error: /proc/floe-out.parquet: cannot write: cannot create a temporary file in /proc: "),
        "{}",
        stderr(&out)
    );
}

/// `floe subset` of a granule, then `floe qa` of the output against it: must pass.
fn subset_then_qa(dir: &Path, granule: &str, subset_args: &[&str], qa_args: &[&str]) -> String {
    let out = text(&dir.join(format!("{}.parquet", Path::new(granule).file_stem().unwrap().to_string_lossy())));
    let mut args = vec!["subset", granule, "--out", &out, "--force"];
    args.extend_from_slice(subset_args);
    let subset = floe(&args);
    assert!(subset.status.success(), "{}", stderr(&subset));
    let mut args = vec!["qa", &out, "--source", granule];
    args.extend_from_slice(qa_args);
    let qa = floe(&args);
    assert!(qa.status.success(), "floe qa of floe's own subset of {granule} failed:\n{}{}", stdout(&qa), stderr(&qa));
    stdout(&qa)
}

#[test]
fn qa_passes_floes_own_subsets_of_the_real_granules() {
    let dir = scratch("qa-own");
    // ATL03: 2,909 photons of gt1l, many sharing their pulse's delta_time.
    let report = subset_then_qa(&dir, &shared(ATL03), &[], &[]);
    assert!(
        report.contains(
            "  pass  gt1l rows            2909 rows; source 2909 in the same time window; 0 missing, 0 extra\n"
        ),
        "{report}"
    );
    assert!(report.contains("  pass  gt1l h_ph"), "{report}");
    assert!(report.contains("  pass  gt1l signal_conf_ph"), "{report}");
    let report = subset_then_qa(&dir, &shared(ATL06), &[], &[]);
    assert!(report.contains("  pass  gt3r h_li"), "{report}");
    let report = subset_then_qa(&dir, &shared(ATL08), &[], &[]);
    assert!(report.contains("  pass  gt1r h_canopy"), "{report}");
    // An AOI that cuts pulses apart: photons of one pulse on both sides of its edge.
    let aoi = dir.join("box.geojson");
    std::fs::write(
        &aoi,
        r#"{"type": "Polygon", "coordinates": [[[95.07, 87.295], [95.11, 87.295], [95.11, 87.298], [95.07, 87.298], [95.07, 87.295]]]}"#,
    )
    .unwrap();
    let aoi = text(&aoi);
    let report = subset_then_qa(&dir, &shared(ATL03), &["--aoi", &aoi], &["--aoi", &aoi]);
    assert!(report.contains("  pass  gt1l rows            664 rows;"), "{report}");
    // The surface is recorded in the output: a land-ice subset is compared with the land-ice column.
    let report = subset_then_qa(&dir, &shared(ATL03), &["--surface", "land-ice"], &[]);
    assert!(report.contains("  pass  gt1l signal_conf_ph"), "{report}");
    let out = text(&dir.join("hts__ATL03_gt1l.parquet"));
    let wrong = floe(&["qa", &out, "--source", &shared(ATL03), "--surface", "ocean"]);
    assert!(stdout(&wrong).contains("  FAIL  gt1l signal_conf_ph"), "{}", stdout(&wrong));
}

#[test]
fn qa_counts_time_steps_per_pass_and_prints_utc() {
    let qa = floe(&["qa", &shared("geoparquet/atl06_TestParquetFile_001.parquet")]);
    // pyarrow, grouping rows by (gt, rgt, cycle) in file order: 311 steps back (by gt alone: 321).
    let report = stdout(&qa);
    let time = report.lines().find(|l| l.starts_with("  WARN  time ")).unwrap_or_else(|| panic!("{report}"));
    assert!(
        time.ends_with(
            " 2019-12-04T12:57:25.755481344Z to 2023-05-30T11:56:54.148842496Z; 311 steps back in time within a \
             track (one beam of one rgt/cycle)"
        ),
        "{report}"
    );
    let qa = floe(&["qa", &shared("geoparquet/atl03x-surface_TEST_small_GEO.parquet")]);
    assert!(stdout(&qa).contains("0 steps back in time within a track"), "{}", stdout(&qa));
    // Two columns with one name: unreadable for pyarrow, a failure here.
    let qa = floe(&["qa", &mistake("duplicate_columns.parquet")]);
    assert!(stdout(&qa).contains(" column names       repeated: `bbox` (2 times)\n"), "{}", stdout(&qa));
    assert!(stdout(&qa).contains("  FAIL  column names "), "{}", stdout(&qa));
    assert_eq!(qa.status.code(), Some(1));
}

#[test]
fn info_bbox_of_lines_and_polygons_is_their_full_extent() {
    let oracle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mistake("shapes_oracle.json")).unwrap()).unwrap();
    for shape in ["linestring", "multipoint", "polygon"] {
        for (suffix, source) in [("", "scan of every vertex"), ("_covering", "bbox covering statistics")] {
            let out = floe(&["info", "--json", &mistake(&format!("{shape}{suffix}.parquet"))]);
            assert!(out.status.success(), "{}", stderr(&out));
            let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(info["bbox"], oracle[shape], "{shape}{suffix}: geopandas total_bounds");
            assert_eq!(info["bbox_source"], source, "{shape}{suffix}");
        }
    }
}

#[test]
fn subset_keeps_points_only_and_never_writes_a_column_twice() {
    let dir = scratch("shapes");
    let out = text(&dir.join("out.parquet"));
    refused(
        &["subset", &mistake("polygon.parquet"), "--out", &out],
        &format!(
            "error: {}: holds Polygon geometries; floe subset writes points only and would turn each into its \
             centre: cut files of lines or polygons with a GIS tool (e.g. geopandas.clip)",
            mistake("polygon.parquet")
        ),
    );
    // Points with an undeclared `bbox` struct: the output has one `bbox`, the covering.
    let subset = floe(&["subset", &mistake("undeclared_bbox.parquet"), "--out", &out]);
    assert!(subset.status.success(), "{}", stderr(&subset));
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["latitude", "longitude", "h", "geometry", "bbox"]);
    let qa = floe(&["qa", &out]);
    assert!(qa.status.success(), "{}", stdout(&qa));
}

#[test]
fn beams_are_checked_and_apply_to_geoparquet_track_columns() {
    let dir = scratch("beams");
    let out = text(&dir.join("out.parquet"));
    refused(
        &["subset", &shared(ATL06), "--beams", "gt4l,gt1l,gtx", "--out", &out],
        "error: --beams: unknown beam `gt4l`, `gtx`: expected gt1l, gt1r, gt2l, gt2r, gt3l, gt3r, strong or weak",
    );
    // Case is ignored: GT1L is gt1l (986 segments in the granule).
    let subset = floe(&["subset", &shared(ATL06), "--beams", "GT1L", "--out", &out, "--force"]);
    assert!(stdout(&subset).starts_with("rows per track: gt1l 986\n"), "{}", stdout(&subset));
    // SlideRule's gt codes: 10 is gt1l (740 rows by pyarrow); spots 1, 3, 5 are the strong beams.
    let sliderule = shared("geoparquet/atl06_TestParquetFile_001.parquet");
    let subset = floe(&["subset", &sliderule, "--beams", "gt1l", "--out", &out, "--force"]);
    assert!(stdout(&subset).contains("wrote") && stdout(&subset).contains(": 740 rows"), "{}", stdout(&subset));
    let subset = floe(&["subset", &sliderule, "--beams", "strong", "--out", &out, "--force"]);
    // pyarrow: spot 1 (717 + 333) + spot 3 (324 + 72) + spot 5 (264 + 208) = 1918.
    assert!(stdout(&subset).contains(": 1918 rows"), "{}", stdout(&subset));
    refused(
        &[
            "subset",
            &shared("geoparquet/natural-earth_cities_geo.parquet"),
            "--beams",
            "gt1l",
            "--out",
            &out,
            "--force",
        ],
        &format!(
            "error: {}: --beams: the input has no beam column (`gt` or `track_id`) to select beams by name",
            shared("geoparquet/natural-earth_cities_geo.parquet")
        ),
    );
}

#[test]
fn empty_results_are_explained_and_exit_3() {
    let dir = scratch("empty");
    let out = text(&dir.join("out.parquet"));
    let granule = shared(ATL06);
    // The granule lies in Iceland (h5py: -16.53..-16.33 E, 64.80..65.13 N).
    let subset = floe(&["subset", &granule, "--bbox", "10,40,11,41", "--out", &out]);
    assert_eq!(subset.status.code(), Some(3), "{}", stderr(&subset));
    let message = stderr(&subset);
    assert!(message.starts_with("error: no rows inside the bbox; the data lie in -16."), "{message}");
    assert!(message.ends_with(" (W,S,E,N): nothing written (--allow-empty writes an empty file)\n"), "{message}");
    assert!(!Path::new(&out).exists());
    // Latitude first, as people write coordinates.
    let swapped = dir.join("swapped.geojson");
    std::fs::write(
        &swapped,
        r#"{"type": "Polygon", "coordinates": [[[64.5, -16.8], [65.2, -16.8], [65.2, -16.2], [64.5, -16.2], [64.5, -16.8]]]}"#,
    )
    .unwrap();
    let subset = floe(&["subset", &granule, "--aoi", &text(&swapped), "--out", &out]);
    assert_eq!(subset.status.code(), Some(3));
    assert!(
        stderr(&subset).contains(
            "; the AOI lies in 64.5,-16.8,65.2,-16.2 and would meet the data with longitude and latitude swapped: \
             GeoJSON and --bbox take longitude first"
        ),
        "{}",
        stderr(&subset)
    );
    // The granule's segments were taken on 2022-07-31 (h5py: delta_time + atlas_sdp_gps_epoch).
    let subset = floe(&["subset", &granule, "--time", "2019-01-01..2019-02-01", "--out", &out]);
    assert_eq!(subset.status.code(), Some(3));
    assert!(
        stderr(&subset).starts_with(
            "error: no rows in the time window 2019-01-01..2019-02-01; the 6108 rows inside the area were taken from \
             2022-"
        ),
        "{}",
        stderr(&subset)
    );
    // The real ATL03 file holds gt1l only.
    refused3(
        &["subset", &shared(ATL03), "--beams", "gt2l", "--out", &out],
        "error: the inputs hold no rows of the beams gt2l: nothing written (--allow-empty writes an empty file)",
    );
    let subset = floe(&["subset", &granule, "--bbox", "10,40,11,41", "--out", &out, "--allow-empty"]);
    assert!(subset.status.success(), "{}", stderr(&subset));
    assert!(stderr(&subset).starts_with("warning: no rows inside the bbox"), "{}", stderr(&subset));
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    // A render of nothing says where the data are.
    let png = text(&dir.join("empty.png"));
    let render = floe(&["render", &granule, "--bbox", "10,40,11,41", "--out", &png, "--size", "64x64"]);
    assert!(render.status.success(), "{}", stderr(&render));
    assert!(stderr(&render).starts_with("warning: no points inside the bbox 10,40,11,41; the data lie in -16."));
}

#[test]
fn bad_inputs_get_messages_that_say_what_to_do() {
    let tree_hint = "not an ICESat-2 product Floe reads (ATL03, ATL06, ATL08); `floe info --tree` lists its groups \
                     and datasets, `floe cat` prints any dataset";
    for (file, what) in [
        ("gedi.h5", "a GEDI_L4A file"),
        ("atl10.h5", "an ICESat-2 ATL10 granule"),
        ("plain.h5", "an HDF5 file without a `short_name` attribute or METADATA/DatasetIdentification"),
    ] {
        refused(&["info", &mistake(file)], &format!("error: {}: {what}, {tree_hint}", mistake(file)));
    }
    let tree = floe(&["info", "--tree", &mistake("gedi.h5")]);
    assert!(stdout(&tree).contains("BEAM0000/"), "{}", stdout(&tree));
    refused(&["info", &mistake("empty.h5")], &format!("error: {}: empty file (0 bytes)", mistake("empty.h5")));
    refused(
        &["info", &mistake("text.h5")],
        &format!(
            "error: {}: neither an HDF5 granule nor a Parquet file: it is text starting `lon,lat,h`",
            mistake("text.h5")
        ),
    );
    let granules = mistake("granules");
    refused(
        &["render", &granules, "--out", "/tmp/floe-never.png"],
        &format!(
            "error: {granules}: a directory of 2 HDF5 file(s) and no Parquet files: granules are opened one by one, \
             so pass them as files (e.g. {granules}/*.h5)"
        ),
    );
}

#[test]
fn cat_prints_fill_values_as_h5dump_and_names_them() {
    let out = floe(&["cat", &shared(ATL06), "/gt1l/land_ice_segments/h_li", "--rows", "0..3"]);
    // h5py: [894.1698, 890.473, 3.4028235e+38].
    assert_eq!(stdout(&out), "894.1698\n890.473\n3.4028235e+38\n");
    assert_eq!(stderr(&out), "_FillValue: 3.4028235e+38 (no data; 1 of the 3 values printed)\n");
    let out = floe(&["cat", &shared(ATL06), "/gt1l/land_ice_segments/ground_track"]);
    let message = stderr(&out);
    assert!(message.contains("is a group, not a dataset; its members are "), "{message}");
    assert!(message.contains("x_atc"), "{message}");
}

#[test]
fn bboxes_across_the_antimeridian_and_out_of_range() {
    let dir = scratch("bbox");
    let out = text(&dir.join("out.parquet"));
    // Across the antimeridian: two boxes. The sample lies near -122 E, so it is not inside either.
    let subset = floe(&["subset", "sample", "--bbox", "170,-80,-170,-70", "--out", &out]);
    assert_eq!(subset.status.code(), Some(3), "accepted, and empty: {}", stderr(&subset));
    // West > east around the world the other way: -60..180 and -180..-90, which holds the sample (near -122 E)
    // as the plain box -180..-90 does.
    let rows = |args: &[&str]| {
        let subset = floe(args);
        assert!(subset.status.success(), "{}", stderr(&subset));
        let text = stdout(&subset);
        let wrote = text.lines().find(|l| l.starts_with("wrote ")).unwrap_or_default();
        let rows = wrote.split(": ").nth(1).and_then(|s| s.split(' ').next()).unwrap_or_default().to_owned();
        rows.parse::<u64>().unwrap_or_else(|_| panic!("{text}"))
    };
    let across = rows(&["subset", "sample", "--bbox", "-60,30,-90,60", "--out", &out, "--force"]);
    let plain = rows(&["subset", "sample", "--bbox", "-180,30,-90,60", "--out", &out, "--force"]);
    assert_eq!(across, plain);
    assert!(across > 9000, "{across} rows");
    refused(
        &["subset", "sample", "--bbox=-200,-95,200,95", "--out", &out],
        "error: bbox `-200,-95,200,95`: longitudes must lie within -180..180 degrees",
    );
    refused(
        &["render", "sample", "--bbox", "170,-80,-170,-70", "--out", &text(&dir.join("x.png"))],
        "error: bbox `170,-80,-170,-70`: west is east of east; a box across the antimeridian is two boxes here: \
         draw 170,-80,180,-70 and -180,-80,-170,-70",
    );
}

#[test]
fn render_keeps_the_terminal_clean_and_explains_one_colour() {
    let dir = scratch("render");
    let png = text(&dir.join("conf.png"));
    // The real ATL03 photons at 87 N are over sea ice: signal_conf_ph for land is -1 everywhere there.
    let render = floe(&[
        "render",
        &shared(ATL03),
        "--color",
        "signal_conf_ph",
        "--out",
        &png,
        "--size",
        "64x64",
        "--basemap",
        "none",
    ]);
    assert!(render.status.success(), "{}", stderr(&render));
    assert_eq!(
        stderr(&render),
        "warning: signal_conf_ph is -1.00 at every point for the land surface (-1: not considered for that \
         surface); pick the surface these photons are over with --surface ocean, sea-ice, land-ice or inland-water\n"
    );
    // Without XDG_RUNTIME_DIR (a plain ssh session or a container) nothing is printed but the results.
    let png = text(&dir.join("plain.png"));
    let render = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["render", "sample", "--out", &png, "--size", "64x64"])
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(render.status.success(), "{}", stderr(&render));
    assert_eq!(stderr(&render), "", "nothing but results on the terminal");
}
