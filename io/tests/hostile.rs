//! Hostile input: real files with bytes flipped, ranges overwritten and tails cut, read end to end. Every
//! mutant must end in Ok or an error — never a panic, never a hang (each read runs under a time limit).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use floe_io::hdf5::{Hdf5File, NodeKind};
use floe_io::source::{ByteSource as _, MemorySource};
use floe_io::{ColumnSelection, DatasetOptions, ReadOptions};
use futures::StreamExt;

const MUTANTS_PER_FILE: u64 = 150;
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// SplitMix64: the same mutants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let at = rng.below(bytes.len());
            let len = (1 + rng.below(16)).min(bytes.len() - at);
            bytes[at..at + len].fill(0xFF);
        }
        2 => {
            // Metadata lives mostly near the start: hit it harder.
            let at = rng.below(bytes.len().min(4096));
            bytes[at] = rng.next() as u8;
        }
        _ => bytes.truncate(rng.below(bytes.len())),
    }
    bytes
}

/// Walks the file and reads every dataset and attribute it can.
async fn read_hdf5_everything(bytes: Vec<u8>) {
    let Ok(file) = Hdf5File::open(Arc::new(MemorySource::new("mutant.h5", Bytes::from(bytes)))).await else { return };
    let Ok(nodes) = file.walk().await else { return };
    for node in nodes.iter().take(400) {
        let _ = file.attributes(&node.path).await;
        if node.kind == NodeKind::Dataset
            && let Ok(info) = file.dataset(&node.path).await
        {
            let _ = file.read(&info, None).await;
        }
    }
}

async fn read_parquet_everything(bytes: Vec<u8>) {
    let source = Arc::new(MemorySource::new("mutant.parquet", Bytes::from(bytes)));
    let Ok(layer) = floe_io::PointSource::from_source(source, &DatasetOptions::default()).await else { return };
    let read = ReadOptions { columns: ColumnSelection::AllNumeric, ..ReadOptions::default() };
    let map = Arc::new(|batch: floe_io::PointBatch| batch.num_rows());
    let Ok(mut stream) = layer.stream_map(&read, 2, Arc::default(), Default::default(), map) else { return };
    while let Some(item) = stream.next().await {
        if item.is_err() {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_files_end_in_errors_not_panics_or_hangs() {
    let shared = common::shared_geoparquet();
    let hdf5 = [
        shared.join("../hdf5/real/icesat2vegr__atl08_clip.h5"),
        shared.join("../hdf5/conformance/groups.hdf5"),
        shared.join("../hdf5/conformance/test_compressed_chunked_datasets_earliest.hdf5"),
        shared.join("../hdf5/conformance/test_attribute_with_creation_order.hdf5"),
        common::fixtures().join("hdf5/types.h5"),
        common::fixtures().join("hdf5/chunk_indexes.h5"),
    ];
    let parquet = [
        shared.join("natural-earth_cities_geo.parquet"),
        shared.join("atl06_10rows.geoparquet"),
        common::fixtures().join("covering.parquet"),
    ];
    let mut rng = Rng(std::env::var("FLOE_MUTATION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED));
    let mut runs = 0;
    for path in &hdf5 {
        let original = std::fs::read(path).unwrap();
        for i in 0..MUTANTS_PER_FILE {
            let mutant = mutate(&original, &mut rng);
            let outcome = tokio::time::timeout(TIME_LIMIT, tokio::spawn(read_hdf5_everything(mutant))).await;
            let joined = outcome
                .unwrap_or_else(|_| panic!("{} mutant {i}: read did not finish in {TIME_LIMIT:?}", path.display()));
            assert!(joined.is_ok(), "{} mutant {i}: panicked: {:?}", path.display(), joined.err());
            runs += 1;
        }
    }
    for path in &parquet {
        let original = std::fs::read(path).unwrap();
        for i in 0..MUTANTS_PER_FILE {
            let mutant = mutate(&original, &mut rng);
            let outcome = tokio::time::timeout(TIME_LIMIT, tokio::spawn(read_parquet_everything(mutant))).await;
            let joined = outcome
                .unwrap_or_else(|_| panic!("{} mutant {i}: read did not finish in {TIME_LIMIT:?}", path.display()));
            assert!(joined.is_ok(), "{} mutant {i}: panicked: {:?}", path.display(), joined.err());
            runs += 1;
        }
    }
    assert_eq!(runs, 9 * MUTANTS_PER_FILE);
}

/// A file that panics on its `k`-th fetch: a bug anywhere under a read, as the read's stream sees it.
#[derive(Debug)]
struct PanicsOnFetch {
    inner: MemorySource,
    left: std::sync::atomic::AtomicUsize,
}

impl floe_io::source::ByteSource for PanicsOnFetch {
    fn location(&self) -> &str {
        self.inner.location()
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn fetch(&self, range: std::ops::Range<u64>) -> futures::future::BoxFuture<'_, floe_io::Result<Bytes>> {
        if self.left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            panic!("fetch number k");
        }
        self.inner.fetch(range)
    }
    fn stats(&self) -> &Arc<floe_io::source::FetchStats> {
        self.inner.stats()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_panics_mid_read_fails_the_read_instead_of_ending_it_short() {
    let path = common::fixtures().join("index/atl06_chunked.h5");
    let bytes = Bytes::from(std::fs::read(&path).unwrap());
    // Count the fetches of a whole read, then make each one in turn panic (past the ones opening the file).
    let counting = Arc::new(MemorySource::new("atl06_chunked.h5", bytes.clone()));
    let layer = floe_io::PointSource::from_source(counting.clone(), &DatasetOptions::default()).await.unwrap();
    let opened = counting.stats().requests() as usize;
    let stream = layer.stream(&ReadOptions::default(), 2, Arc::default(), floe_io::CancelToken::default()).unwrap();
    let rows: usize = stream.map(|b| b.unwrap().num_rows()).collect::<Vec<_>>().await.iter().sum();
    assert_eq!(rows, 6 * 20_000);
    let total = counting.stats().requests() as usize;
    for k in (opened + 1..=total).step_by(3) {
        let source = PanicsOnFetch { inner: MemorySource::new("atl06_chunked.h5", bytes.clone()), left: k.into() };
        let layer = floe_io::PointSource::from_source(Arc::new(source), &DatasetOptions::default()).await.unwrap();
        let stream = layer.stream(&ReadOptions::default(), 2, Arc::default(), floe_io::CancelToken::default()).unwrap();
        let items: Vec<_> = stream.collect().await;
        let error = items.iter().find_map(|i| i.as_ref().err()).map(ToString::to_string);
        assert_eq!(
            error.as_deref(),
            Some("atl06_chunked.h5: reading stopped on an internal error (fetch number k); the read is incomplete"),
            "fetch {k} of {total}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_while_it_is_read_fails_the_read_instead_of_mixing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atl06_chunked.h5");
    let original = std::fs::read(common::fixtures().join("index/atl06_chunked.h5")).unwrap();
    std::fs::write(&path, &original).unwrap();
    let input = path.to_str().unwrap();
    let layer = floe_io::PointSource::open(input, &DatasetOptions::default()).await.unwrap();
    // Replaced between opening and reading (same size, other bytes, a later modification time).
    std::thread::sleep(Duration::from_millis(20));
    let mut changed = original.clone();
    let n = changed.len();
    changed[n / 2..].reverse();
    std::fs::write(&path, &changed).unwrap();
    let stream = layer.stream(&ReadOptions::default(), 2, Arc::default(), floe_io::CancelToken::default()).unwrap();
    let items: Vec<_> = stream.collect().await;
    let error = items.iter().find_map(|i| i.as_ref().err()).map(ToString::to_string);
    assert_eq!(
        error.as_deref(),
        Some(
            format!(
                "{input}: cannot read: the file changed while it was being read (its ETag is not the one it had when \
                 opened): nothing read from it is used; read it again"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn a_dataset_with_a_symlink_loop_or_endless_partitions_is_refused_in_bounded_time() {
    let part = common::shared_geoparquet().join("atl06_10rows.geoparquet");
    // `k=1 -> .`: every level lists the same partition again, without end (the local store sees the loop).
    let looped = tempfile::tempdir().unwrap();
    std::fs::copy(&part, looped.path().join("part.parquet")).unwrap();
    std::os::unix::fs::symlink(".", looped.path().join("k=1")).unwrap();
    let input = looped.path().to_str().unwrap();
    let started = std::time::Instant::now();
    let error = floe_io::HiveDataset::open(input, &DatasetOptions::default()).await.err().map(|e| e.to_string());
    let error = error.expect("a loop is an error, not a dataset");
    assert!(error.starts_with(input) && error.contains("loop"), "{error}");
    // 17 levels of partitions (no real dataset nests so deep; on S3 a loop cannot be seen as one): refused at 16.
    let deep = tempfile::tempdir().unwrap();
    let mut leaf = deep.path().to_path_buf();
    for level in 0..17 {
        leaf = leaf.join(format!("k{level}={level}"));
    }
    std::fs::create_dir_all(&leaf).unwrap();
    std::fs::copy(&part, leaf.join("part.parquet")).unwrap();
    let input = deep.path().to_str().unwrap();
    let error = floe_io::HiveDataset::open(input, &DatasetOptions::default()).await.err().map(|e| e.to_string());
    let error = error.expect("17 levels are refused");
    assert!(
        error.starts_with(&format!("{input}: cannot read: partitions nest more than 16 levels deep at ")),
        "{error}"
    );
    assert!(error.ends_with("(a symlink loop?)"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn sizes_a_file_claims_are_checked_against_the_file_before_anything_is_allocated() {
    // 2^27 float64 values (1 GiB) claimed by a 35 KB file; libhdf5 refuses it too ("invalid dataset size, likely
    // file corruption").
    let path = common::fixtures().join("hostile/huge_dataspace.h5");
    let size = std::fs::metadata(&path).unwrap().len();
    let bytes = Bytes::from(std::fs::read(&path).unwrap());
    let file = Hdf5File::open(Arc::new(MemorySource::new("huge_dataspace.h5", bytes))).await.unwrap();
    let error = file.read_path("/claims").await.unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "huge_dataspace.h5: bad HDF5 data in /claims: its dataspace claims 1073741824 bytes, more than a file \
             of {size} bytes can hold"
        )
    );
}

/// A file whose fetches, once it is open, never answer (a stalled server); counts the fetches dropped unanswered.
#[derive(Debug)]
struct StallsAfterOpen {
    inner: MemorySource,
    stalling: std::sync::atomic::AtomicBool,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a stalled fetch while it lives.
struct Waiting(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl floe_io::source::ByteSource for StallsAfterOpen {
    fn location(&self) -> &str {
        self.inner.location()
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn fetch(&self, range: std::ops::Range<u64>) -> futures::future::BoxFuture<'_, floe_io::Result<Bytes>> {
        if !self.stalling.load(std::sync::atomic::Ordering::SeqCst) {
            return self.inner.fetch(range);
        }
        self.waiting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let waiting = Waiting(Arc::clone(&self.waiting));
        Box::pin(async move {
            let _waiting = waiting;
            futures::future::pending::<()>().await;
            unreachable!()
        })
    }
    fn stats(&self) -> &Arc<floe_io::source::FetchStats> {
        self.inner.stats()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_load_ends_it_at_once_and_drops_its_requests_in_flight() {
    // A granule and a GeoParquet file whose reads stall after they open: the cancel ends each stream with
    // "cancelled" within a second, and no fetch is left waiting.
    for name in ["index/atl06_chunked.h5", "covering.parquet"] {
        let bytes = Bytes::from(std::fs::read(common::fixtures().join(name)).unwrap());
        let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let source = Arc::new(StallsAfterOpen {
            inner: MemorySource::new("stalled", bytes),
            stalling: false.into(),
            waiting: Arc::clone(&waiting),
        });
        let layer = floe_io::PointSource::from_source(source.clone(), &DatasetOptions::default()).await.unwrap();
        source.stalling.store(true, std::sync::atomic::Ordering::SeqCst);
        let cancel = floe_io::CancelToken::default();
        let mut stream = layer.stream(&ReadOptions::default(), 2, Arc::default(), cancel.clone()).unwrap();
        // Cancelled once the read waits on the stalled server.
        let (canceller, stalled) = (cancel.clone(), Arc::clone(&waiting));
        let cancelled_at = tokio::spawn(async move {
            while stalled.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            canceller.cancel();
            std::time::Instant::now()
        });
        let first = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("still waiting");
        let answered = std::time::Instant::now();
        assert_eq!(
            first.map(|r| r.map(|b| b.num_rows()).unwrap_err().to_string()).as_deref(),
            Some("stalled: cancelled")
        );
        let latency = answered.duration_since(cancelled_at.await.unwrap());
        assert!(latency < Duration::from_secs(1), "{name}: the cancel took {latency:?}");
        drop(stream);
        // The workers are aborted with the stream: their stalled fetches are dropped.
        for _ in 0..50 {
            if waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(waiting.load(std::sync::atomic::Ordering::SeqCst), 0, "{name}: fetches left waiting");
    }
}

#[tokio::test]
async fn five_thousand_partitions_are_listed_and_opened_in_bounded_time() {
    // 50 years × 100 days, one 10-row file each: listed (each file opened from the listing, no request of its
    // own), every footer read, all 50,000 rows counted — in seconds.
    let part = std::fs::read(common::shared_geoparquet().join("atl06_10rows.geoparquet")).unwrap();
    let root = tempfile::tempdir().unwrap();
    for year in 0..50 {
        for day in 0..100 {
            let dir = root.path().join(format!("year={}/day={day}", 1970 + year));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("part.parquet"), &part).unwrap();
        }
    }
    let started = std::time::Instant::now();
    let dataset = floe_io::HiveDataset::open(root.path().to_str().unwrap(), &DatasetOptions::default()).await.unwrap();
    assert_eq!(dataset.num_rows(), 50_000);
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
}

/// A GeoParquet-less point file (lon, lat: 1M zeros each, one page per column) written with `codec`, whose first
/// page's header then claims `claim` bytes uncompressed (patched in place: the new size must take as many varint
/// bytes as the old one).
fn parquet_claiming(codec: parquet::basic::Compression, claim: i64) -> Vec<u8> {
    use arrow_array::{Float64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::file::properties::WriterProperties;
    let schema = Arc::new(Schema::new(vec![
        Field::new("lon", DataType::Float64, false),
        Field::new("lat", DataType::Float64, false),
    ]));
    let zeros = Arc::new(Float64Array::from(vec![0.0; 1 << 20]));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![zeros.clone(), zeros]).unwrap();
    let properties = WriterProperties::builder()
        .set_compression(codec)
        .set_dictionary_enabled(false)
        .set_data_page_size_limit(64 << 20)
        .set_data_page_row_count_limit(usize::MAX)
        .set_write_batch_size(1 << 20)
        .build();
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    // The first column chunk starts after the 4-byte magic: field 1 (0x15) page type 0, field 2 (0x15) the
    // uncompressed size, 8 MiB, a zigzag varint of 4 bytes.
    let varint = |mut n: u64| {
        let mut out = Vec::new();
        while n >= 0x80 {
            out.push(n as u8 | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out
    };
    let (old, new) = (varint(8 << 21), varint((claim as u64) << 1));
    assert_eq!(bytes[4..7], [0x15, 0x00, 0x15]);
    assert_eq!(bytes[7..11], old[..], "the first page is not one 8 MiB page");
    assert_eq!(new.len(), old.len(), "a claim of {claim} does not fit in place");
    bytes[7..11].copy_from_slice(&new);
    bytes
}

async fn first_error(name: &str, bytes: Vec<u8>) -> String {
    let source = Arc::new(MemorySource::new(name, Bytes::from(bytes)));
    let points = floe_io::PointSource::from_source(source, &DatasetOptions::default()).await.unwrap();
    let stream = points.stream(&ReadOptions::default(), 1, Arc::default(), Default::default()).unwrap();
    let items: Vec<_> = stream.collect().await;
    items.iter().find_map(|i| i.as_ref().err()).map(ToString::to_string).unwrap_or_default()
}

#[tokio::test]
async fn a_page_that_inflates_past_its_claim_is_refused_before_the_parquet_crate_inflates_it() {
    use parquet::basic::{BrotliLevel, Compression, GzipLevel};
    // The parquet crate's brotli and gzip decoders read to the end of the stream: 8 MiB here, gigabytes for a
    // page crafted further.
    for (codec, name) in [
        (Compression::BROTLI(BrotliLevel::default()), "brotli.parquet"),
        (Compression::GZIP(GzipLevel::default()), "gzip.parquet"),
    ] {
        assert_eq!(
            first_error(name, parquet_claiming(codec, 2_100_000)).await,
            format!(
                "{name}: not a readable Parquet file: Parquet error: page at byte 0 of its column chunk decompresses \
                 to more than the 2100000 bytes its header claims"
            )
        );
    }
    // And a page may not claim more than its codec can expand to (the parquet crate allocates the claim first).
    let bytes = parquet_claiming(Compression::SNAPPY, (1 << 27) - 1);
    let error = first_error("snappy.parquet", bytes).await;
    assert!(
        error.starts_with(
            "snappy.parquet: not a readable Parquet file: Parquet error: page at byte 0 of its column chunk claims \
             134217727 bytes uncompressed from "
        ) && error.ends_with(" compressed bytes, more than SNAPPY expands to"),
        "{error}"
    );
    // The same files as written read in full.
    for codec in [Compression::BROTLI(BrotliLevel::default()), Compression::SNAPPY] {
        assert_eq!(first_error("fine.parquet", parquet_claiming(codec, 8 << 20)).await, "");
    }
}
