//! Replays the fuzzing corpus (`fuzz/corpus/TARGET/`, minimised by `cargo fuzz cmin`, findings included) through
//! the same entry points the fuzz targets call: every input must come back — Ok or an error — within a time limit,
//! without a panic escaping. Findings also get a test of their own below, with the error they now give.

use std::path::PathBuf;
use std::time::{Duration, Instant};

const TIME_LIMIT: Duration = Duration::from_secs(10);

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

fn replay(target: &str, run: fn(&[u8]) -> u64) {
    let inputs = corpus(target);
    assert!(!inputs.is_empty(), "no corpus for {target}");
    for (name, bytes) in inputs {
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| run(&bytes));
        assert!(outcome.is_ok(), "{target}/{name}: a panic escaped");
        assert!(started.elapsed() < TIME_LIMIT, "{target}/{name}: took {:?}", started.elapsed());
    }
}

#[test]
fn hdf5_corpus() {
    replay("hdf5", floe_io::fuzzing::hdf5);
}

#[test]
fn point_file_corpus() {
    replay("point_file", |bytes| floe_io::fuzzing::point_file("fuzz.bin", bytes));
}

#[test]
fn wkb_corpus() {
    replay("wkb", floe_io::fuzzing::wkb);
}

#[test]
fn geojson_aoi_corpus() {
    replay("geojson_aoi", floe_io::fuzzing::geojson_aoi);
}

#[test]
fn kerchunk_corpus() {
    replay("kerchunk", floe_io::fuzzing::kerchunk);
}

/// Found by fuzzing (point_file): a data page that says it is dictionary-encoded in a column chunk without a
/// dictionary page. The parquet crate panicked on it ("Decoder for dict should have been set"; such panics are now
/// caught, see `geoparquet::read`'s tests); the check of the chunk's page headers now refuses it first: what follows
/// the pages the parquet crate would have read is not a page.
#[tokio::test]
async fn a_dictionary_page_without_its_dictionary_is_an_error() {
    use futures::StreamExt;
    use std::sync::Arc;
    let (_, bytes) =
        corpus("point_file").into_iter().find(|(n, _)| n == "parquet_dict_page_without_dictionary").unwrap();
    let source = Arc::new(floe_io::source::MemorySource::new("dict.parquet", bytes.into()));
    let points = floe_io::PointSource::from_source(source, &floe_io::DatasetOptions::default()).await.unwrap();
    let stream =
        points.stream(&floe_io::ReadOptions::default(), 2, Arc::default(), floe_io::CancelToken::default()).unwrap();
    let items: Vec<_> = stream.collect().await;
    let error = items.iter().find_map(|i| i.as_ref().err()).map(ToString::to_string);
    assert_eq!(
        error.as_deref(),
        Some(
            "dict.parquet: not a readable Parquet file: Parquet error: malformed page header at byte 298 of its \
             column chunk: unknown Thrift type 14"
        )
    );
}

/// Found by fuzzing (point_file, a timeout): a 10 KB footer whose lists claim hundreds of millions of elements. The
/// parquet crate's Thrift decoder skipped them one by one (0.7 s here, hours for a footer crafted further); Floe's
/// check of the footer refuses it in milliseconds.
#[tokio::test]
async fn a_footer_claiming_more_elements_than_its_bytes_is_refused_at_once() {
    use std::sync::Arc;
    let (_, bytes) =
        corpus("point_file").into_iter().find(|(n, _)| n == "parquet_footer_claims_too_many_elements").unwrap();
    let started = Instant::now();
    let source = Arc::new(floe_io::source::MemorySource::new("footer.parquet", bytes.into()));
    let error = floe_io::PointSource::from_source(source, &floe_io::DatasetOptions::default()).await.err().unwrap();
    assert_eq!(
        error.to_string(),
        "footer.parquet: not a readable Parquet file: Parquet error: malformed footer: a list claims 234881023 \
         elements where 5922 bytes are left"
    );
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
}

/// Found by fuzzing (point_file, a slow unit): a well-formed footer over a column chunk whose page header claims a
/// huge list; the parquet crate's page-header decoder spun on it for seconds (`floe info`: 2.2 s for 17 KB). Page
/// headers of whole column chunks are checked as they arrive.
#[tokio::test]
async fn a_page_header_claiming_more_than_its_chunk_holds_is_refused_at_once() {
    use futures::StreamExt;
    use std::sync::Arc;
    let (_, bytes) =
        corpus("point_file").into_iter().find(|(n, _)| n == "parquet_page_header_claims_too_many_elements").unwrap();
    let started = Instant::now();
    let source = Arc::new(floe_io::source::MemorySource::new("pages.parquet", bytes.into()));
    let points = floe_io::PointSource::from_source(source, &floe_io::DatasetOptions::default()).await.unwrap();
    let stream =
        points.stream(&floe_io::ReadOptions::default(), 1, Arc::default(), floe_io::CancelToken::default()).unwrap();
    let items: Vec<_> = stream.collect().await;
    let error = items.iter().find_map(|i| i.as_ref().err()).map(ToString::to_string).unwrap();
    assert!(
        error.starts_with("pages.parquet: not a readable Parquet file: Parquet error: malformed page header at byte "),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_millis(200), "{:?}", started.elapsed());
}

/// Found by fuzzing (point_file): a footer whose column chunk starts at a negative offset. The parquet crate's
/// `ColumnChunkMetaData::byte_range` asserts on it (a panic mid-read); Floe refuses such a footer when it opens the
/// file.
#[tokio::test]
async fn a_column_chunk_at_a_negative_offset_is_an_error() {
    use std::sync::Arc;
    let (_, bytes) = corpus("point_file").into_iter().find(|(n, _)| n == "parquet_negative_column_offset").unwrap();
    let source = Arc::new(floe_io::source::MemorySource::new("negative.parquet", bytes.into()));
    let error = floe_io::PointSource::from_source(source, &floe_io::DatasetOptions::default()).await.err().unwrap();
    assert_eq!(
        error.to_string(),
        "negative.parquet: column 2 of row group 0 claims 2282 bytes at offset -38, outside the file's 12135 bytes"
    );
}
