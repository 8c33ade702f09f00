//! Remote sources over real protocols on loopback: an HTTP server that honours `Range`, and an S3 API
//! server (moto, started by `./scripts/test`, endpoint in `AWS_ENDPOINT`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

use common::{fixtures, read_all};
use floe_io::{DatasetOptions, LonLatBox, PartitionFilter, ReadOptions};

/// Serves files under `root` over HTTP/1.1 with `Range` support; `/forbidden/*` answers 403.
/// The thread ends with the test process.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || handle(stream, &root));
        }
    });
    format!("http://{address}")
}

fn handle(stream: TcpStream, root: &std::path::Path) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut range = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("range: bytes=") {
                let (a, b) = value.trim().split_once('-').unwrap();
                range = Some((a.parse::<u64>().unwrap(), b.parse::<u64>().ok()));
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let file = root.join(path.trim_start_matches('/'));
        let (status, body) = if path.starts_with("/forbidden/") {
            ("403 Forbidden", Vec::new())
        } else {
            match std::fs::read(&file) {
                Ok(bytes) => ("200 OK", bytes),
                Err(_) => ("404 Not Found", Vec::new()),
            }
        };
        let total = body.len() as u64;
        let mut headers =
            format!("Accept-Ranges: bytes\r\nETag: \"{total}\"\r\nLast-Modified: Sat, 21 Nov 2026 12:00:00 GMT\r\n");
        let (status, slice) = match (status, range) {
            ("200 OK", Some((start, end))) => {
                let end = end.unwrap_or(total - 1).min(total - 1);
                headers += &format!("Content-Range: bytes {start}-{end}/{total}\r\n");
                ("206 Partial Content", &body[start as usize..=end as usize])
            }
            _ => (status, &body[..]),
        };
        let head = format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n", slice.len());
        let sent = writer
            .write_all(head.as_bytes())
            .and_then(|_| if method == "HEAD" { Ok(()) } else { writer.write_all(slice) });
        if sent.is_err() {
            return;
        }
        let _ = reader.get_mut().read(&mut []);
    }
}

#[tokio::test]
async fn http_range_reads_match_local_reads() {
    let fx = fixtures();
    let base = serve(fx.clone());
    let bbox = ReadOptions { bbox: Some(LonLatBox::new(-100.0, -90.0, -80.0, 90.0)), ..ReadOptions::default() };
    let local =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &bbox).await.unwrap();
    let remote = read_all(&format!("{base}/covering.parquet"), &DatasetOptions::default(), &bbox).await.unwrap();
    assert_eq!(remote.lon(), local.lon());
    assert_eq!(remote.values("value"), local.values("value"));
    let stats = remote.dataset.files[0].file.byte_source().stats();
    let size = remote.dataset.files[0].file.byte_source().size();
    // The footer in one request, then one coalesced request per selected row group (parquet fetches a
    // row group's column chunks together).
    assert_eq!(stats.requests(), 3, "requests");
    assert!(stats.bytes() * 4 < size, "{} of {size} bytes fetched", stats.bytes());
}

#[tokio::test]
async fn http_granule_reads_match_local_reads() {
    let real = common::shared_geoparquet().join("../hdf5/real");
    let base = serve(real.clone());
    let name = "hrt__ATL06_subset_by_shapefile_reference.h5";
    let local = floe_io::source::open_input(real.join(name).to_str().unwrap()).await.unwrap();
    let remote = floe_io::source::open_input(&format!("{base}/{name}")).await.unwrap();
    let local = floe_io::icesat2::Granule::open(std::sync::Arc::new(local)).await.unwrap();
    let remote = floe_io::icesat2::Granule::open(std::sync::Arc::new(remote)).await.unwrap();
    assert_eq!(remote.beams.len(), 6);
    for (a, b) in local.beams.iter().zip(&remote.beams) {
        let x = local.read_beam(a, None, None, floe_io::icesat2::Surface::Land).await.unwrap();
        let y = remote.read_beam(b, None, None, floe_io::icesat2::Surface::Land).await.unwrap();
        assert_eq!(x.batch, y.batch, "{}", a.name);
    }
    let stats = remote.file.byte_source().stats();
    assert!(stats.requests() > 0 && stats.bytes() <= remote.file.byte_source().size() * 2, "{} bytes", stats.bytes());
}

#[tokio::test]
async fn http_errors_are_clear() {
    let base = serve(fixtures());
    let forbidden = floe_io::HiveDataset::open(&format!("{base}/forbidden/x.parquet"), &DatasetOptions::default())
        .await
        .unwrap_err();
    assert!(
        forbidden
            .to_string()
            .starts_with(&format!("{base}/forbidden/x.parquet: cannot read: access denied (HTTP 401/403)")),
        "{forbidden}"
    );
    let missing =
        floe_io::HiveDataset::open(&format!("{base}/nope.parquet"), &DatasetOptions::default()).await.unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!("{base}/nope.parquet: cannot read: not found (HTTP 404 / no such key or file)")
    );
    let unreachable =
        floe_io::HiveDataset::open("http://127.0.0.1:9/x.parquet", &DatasetOptions::default()).await.unwrap_err();
    assert!(
        unreachable.to_string().starts_with("http://127.0.0.1:9/x.parquet: cannot read: unreachable: "),
        "{unreachable}"
    );
}

fn s3_ready() -> bool {
    let ready = std::env::var_os("AWS_ENDPOINT").is_some();
    if !ready {
        assert!(std::env::var_os("FLOE_REQUIRE_S3").is_none(), "FLOE_REQUIRE_S3 is set but AWS_ENDPOINT is not");
        eprintln!("S3 tests need the loopback S3 server that ./scripts/test starts; not run");
    }
    ready
}

#[tokio::test]
async fn s3_unsigned_reads_and_prefix_datasets() {
    if !s3_ready() {
        return;
    }
    assert!(std::env::var_os("AWS_ACCESS_KEY_ID").is_none(), "the unsigned test runs without credentials");
    let fx = fixtures();
    let local =
        read_all(fx.join("covering.parquet").to_str().unwrap(), &DatasetOptions::default(), &ReadOptions::default())
            .await
            .unwrap();
    let remote = read_all("s3://floe-public/covering.parquet", &DatasetOptions::default(), &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(remote.rows(), 20_000);
    assert_eq!(remote.lon(), local.lon());
    assert_eq!(remote.values("value"), local.values("value"));

    let options = DatasetOptions {
        partition_filters: ["year>=2021", "year<=2021", "month>=11", "month<=11"]
            .iter()
            .map(|f| PartitionFilter::parse(f).unwrap())
            .collect(),
        ..DatasetOptions::default()
    };
    let hive = read_all("s3://floe-public/hive/", &options, &ReadOptions::default()).await.unwrap();
    assert_eq!(hive.dataset.files.len(), 1);
    assert_eq!(hive.rows(), 21);
    assert!(
        hive.dataset.listed_prefixes.iter().all(|p| !p.contains("2020") && !p.contains("2022")),
        "{:?}",
        hive.dataset.listed_prefixes
    );

    // A granule through the same entry point the viewer uses: told apart from Parquet by its signature.
    let layer =
        floe_io::PointSource::open("s3://floe-public/granules/atl03.h5", &DatasetOptions::default()).await.unwrap();
    let floe_io::PointSource::Granule { granule, .. } = layer else { panic!("an HDF5 granule") };
    assert_eq!((granule.product.name(), granule.beams.len(), granule.beams[0].rows), ("ATL03", 1, 2909));
    let local_path = common::shared_geoparquet().join("../hdf5/real/hts__ATL03_gt1l.h5");
    let local = floe_io::source::open_input(local_path.to_str().unwrap()).await.unwrap();
    let local = floe_io::icesat2::Granule::open(std::sync::Arc::new(local)).await.unwrap();
    let surface = floe_io::icesat2::Surface::Land;
    let remote_beam = granule.read_beam(&granule.beams[0], None, None, surface).await.unwrap();
    let local_beam = local.read_beam(&local.beams[0], None, None, surface).await.unwrap();
    assert_eq!(remote_beam.batch, local_beam.batch);

    let missing =
        floe_io::HiveDataset::open("s3://floe-public/missing.parquet", &DatasetOptions::default()).await.unwrap_err();
    assert_eq!(missing.to_string(), "s3://floe-public/missing.parquet: cannot read: no Parquet files found");
}
