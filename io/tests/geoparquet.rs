//! GeoParquet reading against oracles: every shared file, pruning, hive datasets, nulls, bad input.

mod common;

use common::{fixtures, read_all, shared_geoparquet};
use floe_io::{ColumnSelection, DatasetOptions, LonLatBox, PartitionFilter, ReadOptions};
use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

#[tokio::test]
async fn every_shared_file_matches_pyarrow() {
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("oracle_geoparquet.json")).unwrap()).unwrap();
    let files = oracle.as_object().unwrap();
    assert_eq!(files.len(), 11, "every file in ../shared/data/geoparquet has an oracle");
    for (name, expected) in files {
        let path = shared_geoparquet().join(name);
        let read = read_all(path.to_str().unwrap(), &DatasetOptions::default(), &ReadOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.dataset.num_rows(), expected["rows"].as_u64().unwrap(), "{name}: rows");
        assert_eq!(read.rows() as u64, expected["points"].as_u64().unwrap(), "{name}: drawable points");
        assert_eq!(
            read.progress.rows_skipped,
            expected["rows"].as_u64().unwrap() - expected["points"].as_u64().unwrap(),
            "{name}: null/empty geometries are counted"
        );
        let (lon, lat) = (read.lon(), read.lat());
        let index: Vec<usize> =
            expected["sample_index"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        for (k, &i) in index.iter().enumerate() {
            let want_lon = expected["lon"][k].as_f64().unwrap();
            let want_lat = expected["lat"][k].as_f64().unwrap();
            assert!(
                close(lon[i], want_lon) && close(lat[i], want_lat),
                "{name} point {i}: ({}, {}) vs ({want_lon}, {want_lat})",
                lon[i],
                lat[i]
            );
        }
        for (column, want) in expected["values"].as_object().unwrap() {
            let got = read.values(column);
            for (k, &i) in index.iter().enumerate() {
                let want = want[k].as_f64();
                assert_eq!(got[i].map(|v| v as f32), want.map(|v| v as f32), "{name}.{column} point {i}");
            }
        }
    }
}

#[tokio::test]
async fn info_reports_bbox_crs_and_encoding() {
    let dir = shared_geoparquet();
    let dataset = floe_io::HiveDataset::open(
        dir.join("atl03x-surface_TEST_small_GEO.parquet").to_str().unwrap(),
        &DatasetOptions::default(),
    )
    .await
    .unwrap();
    let info = floe_io::geoparquet::info::describe(&dataset).await.unwrap();
    assert_eq!(info.crs, "EPSG:7912");
    assert_eq!(info.geometry_encoding, "WKB");
    assert_eq!(info.geo_version.as_deref(), Some("1.0.0"));
    assert_eq!(info.compression, vec!["ZSTD(ZstdLevel(1))".to_owned()]);
    let bbox = info.bbox.unwrap();
    assert!(close(bbox[0], -76.74164516976275) && close(bbox[3], 39.27155760681567), "{bbox:?}");
    assert_eq!(info.bbox_source, "scan of the points");

    let native = floe_io::HiveDataset::open(
        dir.join("natural-earth_cities_native.parquet").to_str().unwrap(),
        &DatasetOptions::default(),
    )
    .await
    .unwrap();
    let info = floe_io::geoparquet::info::describe(&native).await.unwrap();
    assert_eq!(info.geometry_encoding, "point");
    assert_eq!(info.crs, "EPSG:4326");
    assert_eq!(info.bbox.unwrap(), [-175.2205645, -41.2920679923151, 179.2166471, 64.14345946317033]);
}

#[tokio::test]
async fn bbox_pushdown_reads_fewer_bytes_than_a_full_scan() {
    let fx = fixtures();
    let bbox = LonLatBox::new(-100.0, -90.0, -80.0, 90.0);
    let read = ReadOptions { bbox: Some(bbox), ..ReadOptions::default() };
    let pruned =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    let full =
        read_all(fx.join("no_covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    // Row groups hold 18° of longitude each: [-108,-90), [-90,-72) — only these two touch the box.
    assert_eq!(pruned.progress.rows_total, 2000);
    assert_eq!(full.progress.rows_total, 20_000);
    // Both return exactly the points inside: x = -100 … -80 in steps of 0.018°.
    assert_eq!(pruned.rows(), full.rows());
    assert_eq!(pruned.lon(), full.lon());
    assert!(pruned.lon().iter().all(|&x| (-100.0..=-80.0).contains(&x)));
    // Group 4: x = -108 + 0.018 i ≥ -100 for i = 445..999 (555); group 5: x = -90 + 0.018 i ≤ -80 for i ≤ 555 (556).
    assert_eq!(pruned.rows(), 1111);
    let pruned_bytes = pruned.dataset.files[0].file.byte_source().stats().bytes();
    let full_bytes = full.dataset.files[0].file.byte_source().stats().bytes();
    assert!(pruned_bytes * 4 < full_bytes, "pruned read {pruned_bytes} B vs full scan {full_bytes} B");
}

#[tokio::test]
async fn hive_partitions_are_pruned_before_listing() {
    let fx = fixtures();
    let options = DatasetOptions {
        partition_filters: ["year>=2021", "year<=2021", "month>=11", "month<=11"]
            .iter()
            .map(|f| PartitionFilter::parse(f).unwrap())
            .collect(),
        ..DatasetOptions::default()
    };
    let read = read_all(fx.join("hive").to_str().unwrap(), &options, &ReadOptions::default()).await.unwrap();
    assert_eq!(read.dataset.files.len(), 1);
    // Listed: the root and year=2021 only; year=2020 and year=2022 were never listed.
    assert_eq!(read.dataset.listed_prefixes.len(), 3, "{:?}", read.dataset.listed_prefixes);
    assert!(read.dataset.listed_prefixes.iter().all(|p| !p.contains("2020") && !p.contains("2022")));
    assert_eq!(read.rows(), 21);
    assert!(read.values("h_li").iter().all(|v| *v == Some(202111.0)));
    assert!(read.values("year").iter().all(|v| *v == Some(2021.0)));
    assert!(read.values("month").iter().all(|v| *v == Some(11.0)));

    let all =
        read_all(fx.join("hive").to_str().unwrap(), &DatasetOptions::default(), &ReadOptions::default()).await.unwrap();
    assert_eq!(all.dataset.files.len(), 9);
    assert_eq!(all.rows(), 3 * (20 + 21 + 22));
}

#[tokio::test]
async fn null_and_nan_geometries_are_skipped_and_counted() {
    let read = read_all(
        fixtures().join("nulls.parquet").to_str().unwrap(),
        &DatasetOptions::default(),
        &ReadOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(read.lon(), vec![1.0, 3.0]);
    assert_eq!(read.lat(), vec![2.0, 4.0]);
    assert_eq!(read.values("v"), vec![Some(1.0), Some(4.0)]);
    assert_eq!(read.progress.rows_skipped, 3);
}

#[tokio::test]
async fn named_columns_only_are_read() {
    let path = shared_geoparquet().join("atl06_TestParquetFile_001.parquet");
    let read = ReadOptions { columns: ColumnSelection::Named(vec!["h_mean".into()]), ..ReadOptions::default() };
    let all = read_all(path.to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    let schema = all.batches[0].batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["lon", "lat", "h_mean"]);
    let plan = all.dataset.files[0].file.plan(&read).unwrap();
    let file_bytes = all.dataset.files[0].file.byte_source().size();
    assert!(plan.bytes * 2 < file_bytes, "3 of 19 columns: {} of {file_bytes} bytes", plan.bytes);
}

async fn open_error(path: &std::path::Path) -> String {
    floe_io::HiveDataset::open(path.to_str().unwrap(), &DatasetOptions::default()).await.unwrap_err().to_string()
}

#[tokio::test]
async fn bad_input_gives_clear_errors() {
    let bad = fixtures().join("bad");
    let p = |name: &str| bad.join(name);
    let shown = |name: &str| p(name).to_str().unwrap().to_owned();
    assert_eq!(
        open_error(&p("truncated.parquet")).await,
        format!(
            "{}: not a readable Parquet file: Parquet error: Invalid Parquet file. Corrupt footer",
            shown("truncated.parquet")
        )
    );
    assert_eq!(
        open_error(&p("not_parquet.parquet")).await,
        format!(
            "{}: neither an HDF5 granule nor a Parquet file: it is text starting `id,lon,lat`",
            shown("not_parquet.parquet")
        )
    );
    assert_eq!(
        open_error(&p("no_geometry.parquet")).await,
        format!(
            "{}: no geometry found: the file has no GeoParquet `geo` metadata and none of the column pairs \
             longitude/latitude, lon/lat, lon_ph/lat_ph, x/y (columns: a, name)",
            shown("no_geometry.parquet")
        )
    );
    assert_eq!(
        open_error(&p("projected.parquet")).await,
        format!(
            "{}: unsupported CRS EPSG:32633 on column `geometry`: Floe reads geographic lon/lat (OGC:CRS84, EPSG:4326, EPSG:7912); reproject the file first",
            shown("projected.parquet")
        )
    );
    assert_eq!(
        open_error(&p("missing.parquet")).await,
        format!("{}: cannot read: no such file or directory", shown("missing.parquet"))
    );
}

#[tokio::test]
async fn every_compression_decodes_and_unread_columns_are_not_fetched() {
    for codec in ["snappy", "gzip", "lz4", "brotli", "zstd"] {
        let path = fixtures().join(format!("codec_{codec}.parquet"));
        let read = read_all(path.to_str().unwrap(), &DatasetOptions::default(), &ReadOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{codec}: {e}"));
        assert_eq!(read.rows(), 5000, "{codec}");
        let mut heights: Vec<f64> = read.values("height").into_iter().map(|v| v.unwrap()).collect();
        heights.sort_by(f64::total_cmp);
        assert!(heights.iter().enumerate().all(|(i, &h)| h == 0.5 * i as f64), "{codec}: heights 0, 0.5, 1, …");
        let (lon, lat) = (read.lon(), read.lat());
        let first = lon.iter().position(|&x| x == -120.0).expect("first point");
        assert_eq!(lat[first], 30.0, "{codec}");
        let file = &read.dataset.files[0].file;
        let fetched = file.byte_source().stats().bytes();
        assert!(fetched * 5 < file.byte_source().size(), "{codec}: the notes column is not fetched ({fetched} bytes)");
    }
}

#[tokio::test]
async fn rows_name_each_point_in_its_file_through_pruning() {
    // covering.parquet's `value` is each row's number (scripts/fixtures.py): the rows a pruned read reports, batch
    // after batch of 300, are the values of their points.
    let fx = fixtures();
    let bbox = LonLatBox::new(-100.0, -90.0, -80.0, 90.0);
    let read = ReadOptions { bbox: Some(bbox), batch_rows: 300, ..ReadOptions::default() };
    let pruned =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    let mut seen = Vec::new();
    for batch in &pruned.batches {
        let rows = batch.rows.as_ref().expect("GeoParquet batches name their rows");
        assert_eq!(rows.len(), batch.num_rows() as u64);
        let values = batch.column("value").unwrap().as_any().downcast_ref::<arrow_array::Float32Array>().unwrap();
        let rows: Vec<u64> = rows.iter().map(Option::unwrap).collect();
        for (row, value) in rows.iter().zip(values.values()) {
            assert_eq!(*row as f32, *value);
        }
        seen.extend(rows);
    }
    seen.sort_unstable();
    assert_eq!(seen, (4445..5556).collect::<Vec<u64>>());
    // One row read back whole from the file: every column but the geometry.
    let columns = pruned.dataset.files[0].file.read_row(4500).await.unwrap();
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["value", "bbox"]);
    assert_eq!(columns[0].1, "4500.0");
    assert!(columns[1].1.starts_with("{xmin: -99."), "{}", columns[1].1);
    let error = pruned.dataset.files[0].file.read_row(20_000).await.unwrap_err().to_string();
    assert!(error.contains("row 20000") && error.contains("no such row: the file has 20000 rows"), "{error}");
}

#[tokio::test]
async fn value_ranges_prune_row_groups_by_their_statistics() {
    // covering.parquet's `value` is the row number: 20 row groups of 1,000 with min/max statistics.
    let fx = fixtures();
    let ranges = vec![floe_io::ValueRange { column: "value".into(), min: 4_500.0, max: 5_999.0 }];
    let read = ReadOptions { value_ranges: ranges, ..ReadOptions::default() };
    let pruned =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    // Only row groups 4 and 5 can hold values 4,500–5,999: 2,000 rows read (the rows themselves are not filtered).
    assert_eq!(pruned.progress.rows_total, 2000);
    assert_eq!(pruned.rows(), 2000);
    let values = pruned.values("value");
    assert_eq!(values.first(), Some(&Some(4000.0)));
    assert_eq!(values.last(), Some(&Some(5999.0)));
    // A range no row group holds reads nothing; an open end prunes one side only.
    let none = ReadOptions {
        value_ranges: vec![floe_io::ValueRange { column: "value".into(), min: 1e9, max: f64::INFINITY }],
        ..ReadOptions::default()
    };
    let empty =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &none).await.unwrap();
    assert_eq!(empty.rows(), 0);
    let open = ReadOptions {
        value_ranges: vec![floe_io::ValueRange { column: "value".into(), min: f64::NEG_INFINITY, max: 999.0 }],
        ..ReadOptions::default()
    };
    let first =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &open).await.unwrap();
    assert_eq!(first.progress.rows_total, 1000);
}

#[tokio::test]
async fn time_bounds_prune_row_groups_by_their_time_statistics() {
    use parquet::file::reader::FileReader as _;
    use parquet::file::statistics::Statistics;
    // qa/good.parquet: 3 row groups of ATL06-like rows with a nanosecond `time` column.
    let path = fixtures().join("qa").join("good.parquet");
    let reader = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let leaf = reader.metadata().file_metadata().schema_descr().columns().iter().position(|c| c.name() == "time");
    let groups: Vec<(i64, i64, u64)> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| match rg.column(leaf.unwrap()).statistics().unwrap() {
            Statistics::Int64(s) => (*s.min_opt().unwrap(), *s.max_opt().unwrap(), rg.num_rows() as u64),
            other => panic!("time statistics: {other:?}"),
        })
        .collect();
    assert_eq!(groups.len(), 3);
    // The groups' spans overlap (rows are ordered by track); a window after all but the latest group's last time
    // meets only that group: the others are never fetched.
    let mut maxima: Vec<i64> = groups.iter().map(|g| g.1).collect();
    maxima.sort();
    let (start, end) = (maxima[maxima.len() - 2] + 1, i64::MAX);
    let expected: u64 = groups.iter().filter(|(lo, hi, _)| *hi >= start && *lo <= end).map(|g| g.2).sum();
    let all: u64 = groups.iter().map(|g| g.2).sum();
    assert!(expected < all, "the window leaves a row group out");
    let read = ReadOptions {
        time_bounds: vec![floe_io::TimeBounds { column: "time".into(), start_ns: start, end_ns: end }],
        ..ReadOptions::default()
    };
    let pruned = read_all(path.to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    assert_eq!(pruned.progress.rows_total, expected);
    // A window after every row: nothing is read.
    let after = groups.iter().map(|g| g.1).max().unwrap() + 1;
    let read = ReadOptions {
        time_bounds: vec![floe_io::TimeBounds { column: "time".into(), start_ns: after, end_ns: i64::MAX }],
        ..ReadOptions::default()
    };
    let none = read_all(path.to_str().unwrap(), &DatasetOptions::default(), &read).await.unwrap();
    assert_eq!(none.rows(), 0);
}
