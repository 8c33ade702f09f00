//! ICESat-2 products against h5py (`scripts/hdf5_oracle.py`): beams, strengths, row counts, coordinates,
//! UTC times, fill values as nulls; the same granule over HTTP range requests; an AOI reads fewer bytes.

mod common;

use std::sync::Arc;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, TimestampNanosecondType};
use floe_io::icesat2::{Granule, Surface};
use floe_io::source::{ByteSource, MemorySource, open_input};
use floe_io::{IoError, LonLatBox};
use serde_json::Value;

fn real(name: &str) -> std::path::PathBuf {
    common::shared_geoparquet().join("../hdf5/real").join(name)
}

async fn granule(name: &str) -> Granule {
    let source = open_input(real(name).to_str().unwrap()).await.unwrap();
    Granule::open(Arc::new(source)).await.unwrap()
}

#[tokio::test]
async fn products_match_h5py() {
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixtures().join("oracle_icesat2.json")).unwrap())
            .unwrap();
    for (name, expected) in oracle.as_object().unwrap() {
        let granule = granule(name).await;
        assert_eq!(granule.product.name(), expected["product"], "{name}");
        let beams = expected["beams"].as_object().unwrap();
        assert_eq!(granule.beams.len(), beams.len(), "{name}: beams");
        for beam in &granule.beams {
            let want = &beams[&beam.name];
            assert_eq!(beam.strength, want["strength"], "{name} {}", beam.name);
            assert_eq!(beam.rows, want["rows"].as_u64().unwrap(), "{name} {}", beam.name);
            let batch = granule.read_beam(beam, None, None, Surface::Land).await.unwrap();
            assert_eq!(batch.num_rows() as u64, beam.rows);
            let lon = batch.lon();
            assert_eq!(lon.value(0), want["lon"][0].as_f64().unwrap());
            assert_eq!(batch.lat().value(batch.num_rows() - 1), want["lat"][1].as_f64().unwrap());
            let time = batch.column("time").unwrap().as_primitive::<TimestampNanosecondType>();
            assert_eq!(time.value(0), want["time_ns"][0].as_i64().unwrap(), "{name} {} first time", beam.name);
            assert_eq!(time.value(time.len() - 1), want["time_ns"][1].as_i64().unwrap());
            for (variable, stats) in want["variables"].as_object().unwrap() {
                let column = batch.column(variable).unwrap_or_else(|| panic!("{name} {} {variable}", beam.name));
                let values = column.as_primitive::<Float32Type>();
                assert_eq!(
                    values.null_count() as u64,
                    stats["nulls"].as_u64().unwrap(),
                    "{name} {} {variable} nulls",
                    beam.name
                );
                let sum: f64 = values.iter().flatten().map(f64::from).sum();
                let want_sum = stats["sum"].as_f64().unwrap();
                assert!(
                    (sum - want_sum).abs() <= 1e-9 * want_sum.abs().max(1.0),
                    "{name} {} {variable}: {sum} vs {want_sum}",
                    beam.name
                );
            }
            let gt = batch.column("gt").unwrap().as_string::<i32>();
            assert_eq!(gt.value(0), beam.name);
            // Along-track distance: ATL06's own x_atc; ATL03's from segment_dist_x + dist_ph_along per photon.
            if let Some(want_x) = want.get("x_atc").and_then(Value::as_array) {
                let x_atc = batch.column("x_atc").unwrap_or_else(|| panic!("{name} {}: no x_atc", beam.name));
                let x_atc = x_atc.as_primitive::<arrow_array::types::Float64Type>();
                assert_eq!(x_atc.len(), want_x.len());
                for (row, want) in want_x.iter().enumerate() {
                    // Within a micrometre: serde_json's float parsing may be one unit in the last place off.
                    let got = x_atc.is_valid(row).then(|| x_atc.value(row));
                    let close = match (got, want.as_f64()) {
                        (Some(a), Some(b)) => (a - b).abs() < 1e-6,
                        (a, b) => a == b,
                    };
                    assert!(close, "{name} {} row {row}: x_atc {got:?}, h5py {want}", beam.name);
                }
            }
        }
    }
}

#[tokio::test]
async fn known_values_of_the_atl06_subset() {
    let granule = granule("hrt__ATL06_subset_by_shapefile_reference.h5").await;
    assert_eq!((granule.rgt, granule.cycle, granule.release.as_deref()), (Some(611), Some(16), Some("006")));
    let batch = granule.read_beam(&granule.beams[0], None, None, Surface::Land).await.unwrap();
    let h_li = batch.column("h_li").unwrap().as_primitive::<Float32Type>();
    // h5py: h_li[:3] = [894.1698, 890.473, fill]; delta_time[0] = 144540679.0498519 s after the SDP epoch.
    assert_eq!((h_li.value(0), h_li.value(1), h_li.is_null(2)), (894.1698, 890.473, true));
    let time = batch.column("time").unwrap().as_primitive::<TimestampNanosecondType>();
    // 315964800 + 1198800018 + 144540679.0498519 − 18 = 1659305479.05 s: 2022-07-31T22:11:19.05Z.
    assert_eq!(time.value(0), 1_659_305_479_049_851_894);
}

#[tokio::test]
async fn aoi_reads_fewer_bytes_and_the_same_rows() {
    // 6 beams × 25,000 photons in chunks of 10,000 (scripts/hdf5_fixtures.py).
    let bytes = bytes::Bytes::from(std::fs::read(common::fixtures().join("hdf5/atl03_v108.h5")).unwrap());
    let full_source = Arc::new(MemorySource::new("full", bytes.clone()));
    let full = Granule::open(full_source.clone()).await.unwrap();
    let mut all = Vec::new();
    for beam in &full.beams {
        all.push(full.read_beam(beam, None, None, Surface::Land).await.unwrap());
    }
    let aoi_source = Arc::new(MemorySource::new("aoi", bytes));
    let aoi_granule = Granule::open(aoi_source.clone()).await.unwrap();
    // The southern tenth of the first beam's extent.
    let lat = all[0].lat().values();
    let (south, north) = lat.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let aoi = LonLatBox::new(-180.0, south, 180.0, south + (north - south) / 10.0);
    let mut selected = 0;
    for (beam, whole) in aoi_granule.beams.iter().zip(&all) {
        let part = aoi_granule.read_beam(beam, Some(aoi), None, Surface::Land).await.unwrap();
        let expected: Vec<f64> = whole
            .lat()
            .iter()
            .flatten()
            .zip(whole.lon().iter().flatten())
            .filter(|(y, x)| aoi.contains(*x, *y))
            .map(|(y, _)| y)
            .collect();
        assert_eq!(part.lat().values().to_vec(), expected, "{}", beam.name);
        selected += part.num_rows();
    }
    assert!(selected > 0 && selected < all.iter().map(|b| b.num_rows()).sum::<usize>() / 5);
    let (full_bytes, aoi_bytes) = (full_source.stats().bytes(), aoi_source.stats().bytes());
    // The segment index points at the first chunk (10,000 of 25,000 rows, 40 %) of every photon variable,
    // lat/lon included; the segment index itself and metadata add a few per cent.
    assert!(aoi_bytes * 100 < full_bytes * 60, "AOI read {aoi_bytes} B vs full read {full_bytes} B");
}

#[tokio::test]
async fn bad_granules_give_clear_errors() {
    let good = std::fs::read(real("hts__ATL03_gt1l.h5")).unwrap();
    let truncated = MemorySource::new("truncated.h5", bytes::Bytes::from(good[..good.len() / 3].to_vec()));
    let error = match Granule::open(Arc::new(truncated)).await {
        Ok(g) => {
            let beam = g.beams.first().cloned().expect("a beam");
            g.read_beam(&beam, None, None, Surface::Land).await.unwrap_err()
        }
        Err(e) => e,
    };
    assert!(matches!(error, IoError::Hdf5 { .. }), "{error}");
    assert!(error.to_string().starts_with("truncated.h5: bad HDF5 data in "), "{error}");
    assert!(error.to_string().contains("past the end of the"), "{error}");

    let not_hdf5 = MemorySource::new("table.csv", bytes::Bytes::from_static(b"lon,lat\n1,2\n"));
    let error = Granule::open(Arc::new(not_hdf5)).await.unwrap_err();
    assert_eq!(error.to_string(), "table.csv: bad HDF5 data in superblock: not an HDF5 file (no HDF5 signature found)");
}

async fn read_fixture(path: &std::path::Path, dataset: &str) -> floe_io::Result<floe_io::hdf5::Values> {
    let file = floe_io::hdf5::Hdf5File::open(Arc::new(open_input(path.to_str().unwrap()).await?)).await?;
    file.read_path(dataset).await
}

#[tokio::test]
async fn corrupted_chunks_and_szip_are_clear_errors() {
    let bad = common::fixtures().join("hdf5_bad");
    let shown = |name: &str| bad.join(name).display().to_string();
    let deflate = read_fixture(&bad.join("bad_deflate.h5"), "/be_float64").await.unwrap_err().to_string();
    assert!(
        deflate.starts_with(&format!("{}: bad HDF5 data in /be_float64: deflate error: ", shown("bad_deflate.h5"))),
        "{deflate}"
    );
    let fletcher = read_fixture(&bad.join("bad_fletcher32.h5"), "/fletcher").await.unwrap_err().to_string();
    assert!(
        fletcher.starts_with(&format!(
            "{}: bad HDF5 data in /fletcher: fletcher32 checksum mismatch",
            shown("bad_fletcher32.h5")
        )),
        "{fletcher}"
    );
    // The undamaged datasets of the same files still read.
    assert!(read_fixture(&bad.join("bad_deflate.h5"), "/be_int32").await.is_ok());
    let szip = bad.join("szip.h5");
    if szip.exists() {
        let error = read_fixture(&szip, "/data").await.unwrap_err().to_string();
        assert_eq!(error, format!("{}: unsupported HDF5 feature: szip filter in /data", shown("szip.h5")));
    } else {
        eprintln!("this h5py build cannot write szip: szip case not run");
    }
}

#[tokio::test]
async fn signal_confidence_follows_the_surface_type() {
    let granule = granule("hts__ATL03_gt1l.h5").await;
    // h5py: signal_conf_ph[0] = [-1, 4, 4, -1, -1] (land, ocean, sea ice, land ice, inland water).
    for (surface, expected) in [(Surface::Land, -1), (Surface::Ocean, 4), (Surface::SeaIce, 4), (Surface::LandIce, -1)]
    {
        let batch = granule.read_beam(&granule.beams[0], None, None, surface).await.unwrap();
        let conf = batch.column("signal_conf_ph").unwrap().as_primitive::<arrow_array::types::Int8Type>();
        assert_eq!((conf.len(), conf.value(0)), (2909, expected), "{surface:?}");
    }
    assert_eq!(Surface::parse("Land-Ice"), Some(Surface::LandIce));
}

#[tokio::test]
async fn rows_name_each_photon_in_its_beam() {
    // The AOI read of the ATL03 fixture's first beam: each photon's row is where its latitude is in the beam's own
    // `heights/lat_ph`, read whole by the HDF5 reader (checked against h5py by the conformance suite).
    let path = common::fixtures().join("hdf5/atl03_v108.h5");
    let bytes = bytes::Bytes::from(std::fs::read(&path).unwrap());
    let granule = Granule::open(Arc::new(MemorySource::new("atl03", bytes))).await.unwrap();
    let beam = &granule.beams[0];
    let whole = granule.read_beam(beam, None, None, Surface::Land).await.unwrap();
    let lat = whole.lat().values();
    let (south, north) = lat.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let aoi = LonLatBox::new(-180.0, south + (north - south) * 0.4, 180.0, south + (north - south) * 0.6);
    let part = granule.read_beam(beam, Some(aoi), None, Surface::Land).await.unwrap();
    let rows = part.rows.clone().expect("granule batches name their rows");
    assert_eq!(rows.len(), part.num_rows() as u64);
    let rows: Vec<u64> = rows.iter().map(Option::unwrap).collect();
    assert!(part.num_rows() > 100);
    let Ok(floe_io::hdf5::Values::F64(lat_ph)) = read_fixture(&path, &format!("/{}/heights/lat_ph", beam.name)).await
    else {
        panic!("lat_ph is f64")
    };
    for (row, lat) in rows.iter().zip(part.lat().values()) {
        assert_eq!(lat_ph[*row as usize], *lat, "row {row}");
    }
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "in order");
}

#[tokio::test]
async fn a_row_of_a_beam_reads_every_dataset_along_it() {
    let path = real("hrt__ATL06_subset_by_shapefile_reference.h5");
    let granule = granule("hrt__ATL06_subset_by_shapefile_reference.h5").await;
    let values = granule.row_values("gt1l", 100).await.unwrap();
    let value = |name: &str| values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    // Against whole datasets read by the HDF5 reader (the conformance suite checks it against h5py).
    let Ok(floe_io::hdf5::Values::F32(h_li)) = read_fixture(&path, "/gt1l/land_ice_segments/h_li").await else {
        panic!("h_li is f32")
    };
    assert_eq!(value("h_li"), Some(h_li[100].to_string()));
    let Ok(floe_io::hdf5::Values::F64(x_atc)) = read_fixture(&path, "/gt1l/land_ice_segments/ground_track/x_atc").await
    else {
        panic!("x_atc is f64")
    };
    assert_eq!(value("ground_track/x_atc"), Some(x_atc[100].to_string()));
    // Datasets Floe never loads are there too, from every subgroup of land_ice_segments.
    assert!(values.iter().any(|(n, _)| n.starts_with("fit_statistics/")), "{values:?}");
    assert!(values.len() > 20, "{} datasets", values.len());
    let error = granule.row_values("gt9x", 0).await.unwrap_err().to_string();
    assert!(error.contains("/gt9x"), "{error}");
}

#[tokio::test]
async fn a_time_window_reads_only_the_rows_around_it() {
    // 6 beams × 25,000 photons in chunks of 10,000 (scripts/hdf5_fixtures.py).
    let bytes = bytes::Bytes::from(std::fs::read(common::fixtures().join("hdf5/atl03_v108.h5")).unwrap());
    let full_source = Arc::new(MemorySource::new("full", bytes.clone()));
    let full = Granule::open(full_source.clone()).await.unwrap();
    let window_source = Arc::new(MemorySource::new("window", bytes));
    let windowed = Granule::open(window_source.clone()).await.unwrap();
    let mut kept = 0;
    for (beam, same) in full.beams.iter().zip(&windowed.beams) {
        let whole = full.read_beam(beam, None, None, Surface::Land).await.unwrap();
        let times: Vec<i64> =
            whole.column("time").unwrap().as_primitive::<TimestampNanosecondType>().iter().flatten().collect();
        let (first, last) = (times[0], times[times.len() - 1]);
        // The first tenth of the beam's time span.
        let window = (first, first + (last - first) / 10);
        let part = windowed.read_beam_in(same, None, None, Surface::Land, Some(window), None).await.unwrap();
        let part_times: Vec<i64> =
            part.column("time").unwrap().as_primitive::<TimestampNanosecondType>().iter().flatten().collect();
        let inside = |t: &i64| *t >= window.0 && *t <= window.1;
        // Every row in the window is there, in order, with the same values; rows outside come only from between the
        // first and last row inside (none here: photon times grow along the beam).
        let expected: Vec<i64> = times.iter().copied().filter(inside).collect();
        assert_eq!(part_times, expected, "{}", beam.name);
        let h = |b: &floe_io::PointBatch| b.column("h_ph").unwrap().as_primitive::<Float32Type>().values().to_vec();
        let offset = times.iter().position(inside).unwrap();
        assert_eq!(h(&part), h(&whole)[offset..offset + expected.len()].to_vec());
        kept += part.num_rows();
    }
    assert!(kept > 0);
    let (full_bytes, window_bytes) = (full_source.stats().bytes(), window_source.stats().bytes());
    // delta_time is read whole, then every other dataset only in the chunk holding the window (1 of 3).
    assert!(window_bytes * 100 < full_bytes * 70, "window read {window_bytes} B vs full read {full_bytes} B");
}

#[tokio::test]
async fn the_chunk_index_narrows_an_area_read_to_the_same_rows() {
    // 6 beams × 20,000 segments in chunks of 2,000, latitude 70 → 72 along each beam (scripts/hdf5_fixtures.py).
    let path = common::fixtures().join("index/atl06_chunked.h5");
    let bytes = bytes::Bytes::from(std::fs::read(&path).unwrap());
    let indexer = Granule::open(Arc::new(MemorySource::new("atl06_chunked.h5", bytes.clone()))).await.unwrap();
    let index = indexer.chunk_index().await.unwrap();
    // 7 along-track datasets per beam, 10 chunks each.
    assert_eq!(index.rows.len(), 6 * 7 * 10);
    // Written and read back as `floe index` and `--index` do: the rows and the granule's description.
    let dir = tempfile::tempdir().unwrap();
    let index_path = dir.path().join("atl06_chunked.index.parquet");
    floe_io::icesat2::write_index_file(&index_path, std::slice::from_ref(&index)).unwrap();
    let index_source = MemorySource::new("index", bytes::Bytes::from(std::fs::read(&index_path).unwrap()));
    let lookup = floe_io::icesat2::IndexLookup::read(Arc::new(index_source)).await.unwrap();
    let chunks = lookup.granule("atl06_chunked.h5").expect("the granule by name");
    let area = LonLatBox::new(-41.0, 70.9, -38.0, 71.1);
    let plain_source = Arc::new(MemorySource::new("plain", bytes.clone()));
    let plain = Granule::open(plain_source.clone()).await.unwrap();
    let indexed_source = Arc::new(MemorySource::new("indexed", bytes.clone()));
    let indexed = Granule::open(indexed_source.clone()).await.unwrap();
    let (plain_before, indexed_before) = (plain_source.stats().bytes(), indexed_source.stats().bytes());
    for (beam, same) in plain.beams.iter().zip(&indexed.beams) {
        let rows = chunks.rows_in(&beam.name, area).expect("the index knows every beam");
        // Latitude 70.9–71.1 is rows 9,000–11,000 of 20,000: chunks 4 and 5.
        assert_eq!(rows, 8_000..12_000, "{}", beam.name);
        let want = plain.read_beam(beam, Some(area), None, Surface::Land).await.unwrap();
        let got = indexed.read_beam_in(same, Some(area), None, Surface::Land, None, Some(rows)).await.unwrap();
        assert_eq!(got.batch, want.batch, "{}", beam.name);
        assert_eq!(got.rows, want.rows, "the same source rows");
    }
    let plain_read = plain_source.stats().bytes() - plain_before;
    let indexed_read = indexed_source.stats().bytes() - indexed_before;
    assert!(indexed_read * 2 < plain_read, "indexed {indexed_read} B vs plain {plain_read} B");
    // Opened through the index's description: the same granule, the same rows, and no metadata read at all — the
    // superblock, then only the chunks of the area.
    let described_source = Arc::new(MemorySource::new("described", bytes.clone()));
    let described = Granule::open_described(described_source.clone(), chunks.described.clone()).await.unwrap();
    assert!(described.is_described());
    assert_eq!((described.product, described.rgt, described.cycle), (plain.product, plain.rgt, plain.cycle));
    assert_eq!(described.beams.len(), plain.beams.len());
    assert_eq!(described_source.stats().requests(), 1, "the superblock only");
    for (beam, same) in plain.beams.iter().zip(&described.beams) {
        assert_eq!(
            (&same.name, &same.strength, same.spot, same.rows),
            (&beam.name, &beam.strength, beam.spot, beam.rows)
        );
        let rows = chunks.rows_in(&beam.name, area);
        let want = plain.read_beam(beam, Some(area), None, Surface::Land).await.unwrap();
        let got = described.read_beam_in(same, Some(area), None, Surface::Land, None, rows).await.unwrap();
        for (field, column) in want.batch.schema().fields().iter().zip(want.batch.columns()) {
            let other = got.batch.column_by_name(field.name()).expect("the same columns");
            assert_eq!(other, column, "{} {}", beam.name, field.name());
        }
        assert_eq!(got.batch, want.batch, "{}", beam.name);
        assert_eq!(got.rows, want.rows, "the same source rows");
    }
    // Every chunk of a beam's area fetched at once (concurrently, coalesced where chunks lie close): no more
    // requests than reading dataset by dataset, and still less than the plain read's bytes.
    let (described_requests, indexed_requests) =
        (described_source.stats().requests(), indexed_source.stats().requests());
    assert!(
        described_requests * 2 < indexed_requests,
        "described {described_requests} vs indexed {indexed_requests} requests"
    );
    let described_read = described_source.stats().bytes();
    assert!(described_read < plain_read, "described {described_read} B vs plain {plain_read} B");
    // Units come from the description too.
    assert_eq!(described.unit("h_li").await, plain.unit("h_li").await);
    // An area the index places elsewhere reads no rows of any beam.
    assert_eq!(chunks.rows_in("gt1l", LonLatBox::new(0.0, 0.0, 1.0, 1.0)), Some(0..0));
    assert_eq!(chunks.rows_in("gt9x", area), None, "a beam the index does not know is not narrowed");
}

#[tokio::test]
async fn a_catalog_read_for_an_area_fetches_only_the_row_groups_that_meet_it() {
    // Two granules far apart (70–72°N 40°W; 64.8°N 49°W), one row group each.
    let chunked = Granule::open(Arc::new(
        open_input(common::fixtures().join("index/atl06_chunked.h5").to_str().unwrap()).await.unwrap(),
    ))
    .await
    .unwrap();
    let real_atl06 = granule("hrt__ATL06_subset_by_shapefile_reference.h5").await;
    let indexes = [chunked.chunk_index().await.unwrap(), real_atl06.chunk_index().await.unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.parquet");
    floe_io::icesat2::write_index_file(&path, &indexes).unwrap();
    let bytes = bytes::Bytes::from(std::fs::read(&path).unwrap());
    let whole_source = Arc::new(MemorySource::new("catalog", bytes.clone()));
    let whole = floe_io::icesat2::IndexLookup::read(whole_source.clone()).await.unwrap();
    let area = LonLatBox::new(-41.0, 70.9, -38.0, 71.1);
    let part_source = Arc::new(MemorySource::new("catalog", bytes));
    let part = floe_io::icesat2::IndexLookup::read_for(part_source.clone(), Some(area)).await.unwrap();
    // The granule in the area: the same chunks and a description either way.
    let (near_whole, near_part) =
        (whole.granule(&indexes[0].granule).unwrap(), part.granule(&indexes[0].granule).unwrap());
    assert_eq!(near_part.beams, near_whole.beams);
    assert!(near_part.described.is_some());
    // The other: known by its row group's extent (outside the area), no rows, no description.
    let far = part.granule(&indexes[1].granule).expect("a granule left out is still known");
    assert_eq!(far.bbox, whole.granule(&indexes[1].granule).unwrap().bbox, "the extent from the statistics");
    assert!(!far.bbox.intersects(&area));
    assert!(far.beams.is_empty() && far.described.is_none());
    let (part_bytes, whole_bytes) = (part_source.stats().bytes(), whole_source.stats().bytes());
    assert!(part_bytes < whole_bytes, "read {part_bytes} B of the catalog for the area vs {whole_bytes} B");
}

#[tokio::test]
async fn a_corrupt_segment_index_neither_panics_nor_loses_photons() {
    // ph_index_beg with NaN, a negative value and 1e300 (scripts/hdf5_fixtures.py): the index is not trusted, so an
    // AOI read keeps every photon inside, as a whole read filtered to the same box does.
    let path = common::fixtures().join("hostile/atl03_bad_segments.h5");
    let bad = Granule::open(Arc::new(open_input(path.to_str().unwrap()).await.unwrap())).await.unwrap();
    let area = LonLatBox::new(-45.6, 62.3, -45.0, 62.6);
    for beam in &bad.beams {
        let whole = bad.read_beam(beam, None, None, Surface::Land).await.unwrap();
        let (lon, lat) = (whole.column("lon").unwrap(), whole.column("lat").unwrap());
        let (lon, lat) = (
            lon.as_primitive::<arrow_array::types::Float64Type>(),
            lat.as_primitive::<arrow_array::types::Float64Type>(),
        );
        let inside = (0..whole.num_rows()).filter(|&i| area.contains(lon.value(i), lat.value(i))).count();
        let cut = bad.read_beam(beam, Some(area), None, Surface::Land).await.unwrap();
        assert!(inside > 0);
        assert_eq!(cut.num_rows(), inside, "{}", beam.name);
    }
}

#[tokio::test]
async fn a_whole_beam_is_read_in_windows_of_rows_with_the_same_points() {
    // 6 beams × 25,000 photons: windows of 10,000 rows give three batches per beam, which together are the beam's
    // single batch row for row, every column.
    use futures::StreamExt;
    let input = common::fixtures().join("hdf5/atl03_v108.h5").to_string_lossy().into_owned();
    let points = floe_io::PointSource::open(&input, &floe_io::DatasetOptions::default()).await.unwrap();
    let read = |window: u64| {
        let options = floe_io::ReadOptions { beam_window_rows: window, ..Default::default() };
        let stream = points.stream(&options, 1, Arc::default(), floe_io::CancelToken::default()).unwrap();
        stream.map(|b| b.unwrap()).collect::<Vec<_>>()
    };
    let (whole, windowed) = (read(1_000_000).await, read(10_000).await);
    // Each photon keeps its row in the beam (what picking and the profile name it by).
    let rows = |batches: &[floe_io::PointBatch]| -> Vec<u64> {
        batches.iter().flat_map(|b| b.rows.as_ref().unwrap().iter().map(Option::unwrap)).collect()
    };
    assert_eq!(rows(&whole), rows(&windowed));
    let whole: Vec<_> = whole.into_iter().map(|b| b.batch).collect();
    let windowed: Vec<_> = windowed.into_iter().map(|b| b.batch).collect();
    assert_eq!(whole.len(), 6);
    assert_eq!(windowed.len(), 18);
    assert!(windowed.iter().all(|b| b.num_rows() <= 10_000));
    let concat = |batches: &[arrow_array::RecordBatch]| {
        arrow_select::concat::concat_batches(&batches[0].schema(), batches).unwrap()
    };
    assert_eq!(concat(&whole), concat(&windowed));
}
