//! Parquet's `AsyncFileReader` over a [`ByteSource`]: footer read once (with a prefetch hint), column
//! chunks fetched with coalesced ranges.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::source::{ByteSource, fetch_ranges};

/// Read the last 64 KiB first: the footer of most files fits, so opening costs one request.
const FOOTER_PREFETCH: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct ParquetSource {
    pub source: Arc<dyn ByteSource>,
    /// The byte ranges of the file's column chunks (from its footer) and their codecs: a fetched range that is one
    /// of them has its pages checked before the parquet crate decodes them.
    pub column_chunks: Arc<std::collections::HashMap<(u64, u64), Compression>>,
}

impl ParquetSource {
    pub fn new(source: Arc<dyn ByteSource>) -> Self {
        Self { source, column_chunks: Arc::default() }
    }

    /// Learns the column chunks' ranges from the file's metadata, refusing ranges that cannot be in the file (the
    /// parquet crate asserts on a negative offset: a panic mid-read).
    pub fn with_column_chunks(self, metadata: &ParquetMetaData) -> Result<Self, String> {
        let size = self.source.size();
        let mut chunks = std::collections::HashMap::new();
        for (group_index, group) in metadata.row_groups().iter().enumerate() {
            for (column_index, column) in group.columns().iter().enumerate() {
                // As `byte_range()` computes it.
                let start = column.dictionary_page_offset().unwrap_or(column.data_page_offset());
                let range = u64::try_from(start)
                    .ok()
                    .zip(u64::try_from(column.compressed_size()).ok())
                    .map(|(start, len)| (start, start.saturating_add(len)))
                    .filter(|(_, end)| *end <= size);
                let Some(range) = range else {
                    return Err(format!(
                        "column {column_index} of row group {group_index} claims {} bytes at offset {start}, outside \
                         the file's {size} bytes",
                        column.compressed_size()
                    ));
                };
                chunks.insert(range, column.compression());
            }
        }
        Ok(Self { column_chunks: Arc::new(chunks), ..self })
    }
}

fn to_parquet_error(e: crate::IoError) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ParquetSource {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let source = Arc::clone(&self.source);
        async move { source.fetch(range).await.map_err(to_parquet_error) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        let (source, chunks) = (Arc::clone(&self.source), Arc::clone(&self.column_chunks));
        async move {
            let fetched = fetch_ranges(source.as_ref(), &ranges).await.map_err(to_parquet_error)?;
            for (range, bytes) in ranges.iter().zip(&fetched) {
                if let Some(codec) = chunks.get(&(range.start, range.end)) {
                    super::parquet_pages::check(bytes, *codec).map_err(ParquetError::General)?;
                }
            }
            Ok(fetched)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.source.size();
            // The footer is fetched (one request for most files), checked, and then handed to the parquet crate
            // from memory.
            let tail_start = size.saturating_sub(FOOTER_PREFETCH as u64);
            let mut tail = fetch_ranges(self.source.as_ref(), std::slice::from_ref(&(tail_start..size)))
                .await
                .map_err(to_parquet_error)?;
            let mut tail = tail.pop().unwrap_or_default();
            let mut tail_start = tail_start;
            if let Some(footer_len) = footer_length(&tail) {
                let needed = footer_len.saturating_add(8);
                if needed > tail.len() as u64 && needed <= size {
                    tail_start = size - needed;
                    let mut whole = fetch_ranges(self.source.as_ref(), std::slice::from_ref(&(tail_start..size)))
                        .await
                        .map_err(to_parquet_error)?;
                    tail = whole.pop().unwrap_or_default();
                }
                if needed <= tail.len() as u64 {
                    let footer = &tail[tail.len() - needed as usize..tail.len() - 8];
                    super::thrift_check::check_footer(footer).map_err(ParquetError::General)?;
                }
            }
            let reader = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(Some(FOOTER_PREFETCH));
            let mut cached = Tail { tail, tail_start, source: self };
            Ok(Arc::new(reader.load_and_finish(&mut cached, size).await?))
        }
        .boxed()
    }
}

/// The length of the Thrift footer a file's last 8 bytes give (`len`, `PAR1`); `None` for anything else (the parquet
/// crate says what is wrong with it).
fn footer_length(tail: &[u8]) -> Option<u64> {
    let end = tail.get(tail.len().checked_sub(8)?..)?;
    let length = u32::from_le_bytes(end.get(0..4)?.try_into().ok()?);
    (end.get(4..8)? == b"PAR1").then_some(u64::from(length))
}

/// The file's tail already fetched, served from memory; anything else fetched from the file.
struct Tail<'a> {
    tail: Bytes,
    tail_start: u64,
    source: &'a mut ParquetSource,
}

impl parquet::arrow::async_reader::MetadataFetch for &mut Tail<'_> {
    fn fetch(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let end = self.tail_start + self.tail.len() as u64;
        if range.start >= self.tail_start && range.end <= end && range.start <= range.end {
            let (start, stop) = ((range.start - self.tail_start) as usize, (range.end - self.tail_start) as usize);
            return std::future::ready(Ok(self.tail.slice(start..stop))).boxed();
        }
        self.source.get_bytes(range)
    }
}
