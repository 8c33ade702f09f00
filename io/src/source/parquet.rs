//! Parquet's `AsyncFileReader` over a [`ByteSource`]: footer read once (with a prefetch hint), column
//! chunks fetched with coalesced ranges.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::source::{ByteSource, fetch_ranges};

/// Read the last 64 KiB first: the footer of most files fits, so opening costs one request.
const FOOTER_PREFETCH: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct ParquetSource {
    pub source: Arc<dyn ByteSource>,
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
        let source = Arc::clone(&self.source);
        async move { fetch_ranges(source.as_ref(), &ranges).await.map_err(to_parquet_error) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.source.size();
            let reader = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(Some(FOOTER_PREFETCH));
            Ok(Arc::new(reader.load_and_finish(self, size).await?))
        }
        .boxed()
    }
}
