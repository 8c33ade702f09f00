//! Byte sources: where a file's bytes come from (local disk, HTTP(S), S3, memory) and what it cost to get them.
//!
//! Readers see only [`ByteSource`]: ranged reads plus a size. Requests are counted after coalescing, so
//! `requests`/`bytes` in [`FetchStats`] are what really went over the wire (or disk).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::error::{IoError, Result};

pub(crate) mod parquet;
mod parquet_pages;
#[cfg(not(target_arch = "wasm32"))]
mod retry_after;
mod thrift_check;
#[cfg(target_arch = "wasm32")]
pub mod web;

/// Ranges closer than this are fetched as one request (as object_store and h5coro do).
pub const COALESCE_GAP: u64 = 1024 * 1024;

/// Requests and bytes fetched from one source.
#[derive(Debug, Default)]
pub struct FetchStats {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

impl FetchStats {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn record(&self, bytes: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Something that serves byte ranges of one file.
pub trait ByteSource: Send + Sync + std::fmt::Debug {
    /// How a user names this file (path or URL), used in every error message.
    fn location(&self) -> &str;
    /// Total size in bytes.
    fn size(&self) -> u64;
    /// Fetches one range with one request.
    fn fetch(&self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>>;
    /// Counters of what [`ByteSource::fetch`] cost.
    fn stats(&self) -> &Arc<FetchStats>;
}

/// An input as it may be shown or logged: the values of an `http(s)://` URL's query hidden (presigned URLs carry
/// their credentials there: `X-Amz-Signature=…`), the names kept.
pub fn redact(input: &str) -> String {
    match input.split_once('?') {
        Some((base, query)) if input.starts_with("http://") || input.starts_with("https://") => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) => format!("{key}=REDACTED"),
                    None => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", pairs.join("&"))
        }
        _ => input.to_owned(),
    }
}

/// Fetches several ranges, merging those closer than [`COALESCE_GAP`] into single requests.
pub async fn fetch_ranges(source: &dyn ByteSource, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
    fetch_ranges_within(source, ranges, COALESCE_GAP).await
}

/// [`fetch_ranges`], merging only ranges closer than `gap`.
pub async fn fetch_ranges_within(source: &dyn ByteSource, ranges: &[Range<u64>], gap: u64) -> Result<Vec<Bytes>> {
    let size = source.size();
    if let Some(bad) = ranges.iter().find(|r| r.start > r.end || r.end > size) {
        return Err(IoError::Source {
            location: source.location().to_owned(),
            message: format!("range {}..{} is outside the file's {size} bytes", bad.start, bad.end),
        });
    }
    let parts = fetch_coalesced(source, ranges, gap).await?;
    if parts.len() != ranges.len() {
        return Err(IoError::Source {
            location: source.location().to_owned(),
            message: format!("{} of {} ranges were fetched", parts.len(), ranges.len()),
        });
    }
    // Both coalescers slice what came back without checking its length: a short answer is an error here.
    for (range, part) in ranges.iter().zip(&parts) {
        if part.len() as u64 != range.end - range.start {
            return Err(IoError::Source {
                location: source.location().to_owned(),
                message: format!("server returned {} bytes for range {}..{}", part.len(), range.start, range.end),
            });
        }
    }
    Ok(parts)
}

/// A merged request never grows beyond this (ranges are still merged up to it; a longer range is split): a
/// hostile or huge read is fetched in pieces, a piece retried alone, and no single reply holds more.
pub const MAX_REQUEST_BYTES: u64 = 8 * 1024 * 1024;

/// Requests of one `fetch_ranges` call in flight at once (a store file also caps all its requests together).
const REQUESTS_IN_FLIGHT: usize = 16;

/// Fetches the merged requests, at most [`REQUESTS_IN_FLIGHT`] at once, and slices each asked range back out of
/// them (joining the pieces of a range longer than [`MAX_REQUEST_BYTES`]).
async fn fetch_coalesced(source: &dyn ByteSource, ranges: &[Range<u64>], gap: u64) -> Result<Vec<Bytes>> {
    use futures::{StreamExt, TryStreamExt};
    let requests = plan_requests(ranges, gap, MAX_REQUEST_BYTES);
    // Collected first: a lazy `map` closure in the stream makes the future not `Send` (a higher-ranked lifetime).
    let fetches: Vec<BoxFuture<'_, Result<Bytes>>> = requests.iter().map(|r| source.fetch(r.clone())).collect();
    let fetched: Vec<Bytes> = futures::stream::iter(fetches).buffered(REQUESTS_IN_FLIGHT).try_collect().await?;
    ranges
        .iter()
        .map(|range| {
            let first = requests.partition_point(|r| r.end <= range.start);
            let mut pieces = Vec::new();
            for (request, bytes) in requests.iter().zip(&fetched).skip(first) {
                if request.start >= range.end {
                    break;
                }
                let start = range.start.max(request.start) - request.start;
                let end = range.end.min(request.end) - request.start;
                let (start, end) = (start as usize, end as usize);
                // A short reply is caught by the length check of the caller, never sliced past its end.
                pieces.push(bytes.slice(start.min(bytes.len())..end.min(bytes.len())));
            }
            match pieces.len() {
                0 => Ok(Bytes::new()),
                1 => Ok(pieces.swap_remove(0)),
                _ => Ok(pieces.concat().into()),
            }
        })
        .collect()
}

/// The requests that cover `ranges`: sorted, ranges closer than `gap` merged while the merged request stays within
/// `cap` bytes, and any longer request split into pieces of at most `cap`. No two requests overlap.
fn plan_requests(ranges: &[Range<u64>], gap: u64, cap: u64) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.iter().filter(|r| r.start < r.end).cloned().collect();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for range in sorted {
        let last = merged.last().cloned();
        match last {
            Some(last) if range.end <= last.end => {}
            Some(last) if range.start <= last.end.saturating_add(gap) && range.end - last.start <= cap.max(1) => {
                if let Some(l) = merged.last_mut() {
                    l.end = range.end;
                }
            }
            Some(last) if range.start < last.end => merged.push(last.end..range.end),
            _ => merged.push(range),
        }
    }
    let cap = cap.max(1);
    merged
        .into_iter()
        .flat_map(|r| (r.start..r.end).step_by(cap as usize).map(move |start| start..(start + cap).min(r.end)))
        .collect()
}

/// A file held in memory (the embedded sample; tests).
#[derive(Debug)]
pub struct MemorySource {
    name: String,
    bytes: Bytes,
    stats: Arc<FetchStats>,
}

impl MemorySource {
    pub fn new(name: impl Into<String>, bytes: Bytes) -> Self {
        Self { name: name.into(), bytes, stats: Arc::default() }
    }
}

impl ByteSource for MemorySource {
    fn location(&self) -> &str {
        &self.name
    }

    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn fetch(&self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        let result = usize::try_from(range.start)
            .ok()
            .zip(usize::try_from(range.end).ok())
            .filter(|(start, end)| start <= end && *end <= self.bytes.len())
            .map(|(start, end)| self.bytes.slice(start..end))
            .ok_or_else(|| IoError::Source {
                location: self.name.clone(),
                message: format!(
                    "range {}..{} is outside the file's {} bytes",
                    range.start,
                    range.end,
                    self.bytes.len()
                ),
            });
        if let Ok(bytes) = &result {
            self.stats.record(bytes.len() as u64);
        }
        Box::pin(std::future::ready(result))
    }

    fn stats(&self) -> &Arc<FetchStats> {
        &self.stats
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{StoreLocation, StoreSource, list_granules, open_input, store_error};

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use object_store::path::Path;
    use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
    use std::time::Duration;

    /// A parsed input: the store that serves it and the path (a file or a prefix) inside that store.
    #[derive(Clone, Debug)]
    pub struct StoreLocation {
        pub display: String,
        pub store: Arc<dyn ObjectStore>,
        pub path: Path,
        /// True for local paths that are directories: a dataset, not a file.
        pub is_local_dir: bool,
        /// An `http(s)://` URL with a query (a presigned URL): fetched whole, query included, by `presigned`.
        presigned: Option<url::Url>,
    }

    impl StoreLocation {
        /// Parses a local path, `http(s)://…` or `s3://bucket/key`.
        pub fn parse(input: &str) -> Result<Self> {
            let display = redact(input);
            let invalid = |message: String| IoError::Source { location: display.clone(), message };
            if input.starts_with("http://") || input.starts_with("https://") {
                let url = url::Url::parse(input).map_err(|e| invalid(format!("invalid URL: {e}")))?;
                let origin = url.origin().ascii_serialization();
                let store = object_store::http::HttpBuilder::new()
                    .with_url(origin)
                    .with_client_options(client_options().with_allow_http(true))
                    .with_retry(retry_config())
                    .with_http_connector(retry_after::RetryAfterConnector)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?;
                let path = Path::from_url_path(url.path()).map_err(|e| invalid(e.to_string()))?;
                let presigned = url.query().is_some().then(|| url.clone());
                return Ok(Self { display, store: Arc::new(store), path, is_local_dir: false, presigned });
            }
            if let Some(rest) = input.strip_prefix("s3://") {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(invalid("s3 URL has no bucket name".into()));
                }
                // `with_client_options` replaces what `from_env` read: carry AWS_ALLOW_HTTP over by hand.
                let allow_http = std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_client_options(client_options().with_allow_http(allow_http))
                    .with_retry(retry_config())
                    .with_http_connector(retry_after::RetryAfterConnector);
                if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
                    // NASA's Earthdata buckets and most public altimetry data live here.
                    builder = builder.with_region("us-west-2");
                }
                if !has_aws_credentials() {
                    // Public buckets: unsigned requests.
                    builder = builder.with_skip_signature(true);
                }
                let store = builder.build().map_err(|e| invalid(e.to_string()))?;
                let path = Path::parse(key.trim_end_matches('/')).map_err(|e| invalid(e.to_string()))?;
                return Ok(Self { display, store: Arc::new(store), path, is_local_dir: false, presigned: None });
            }
            let local = std::path::Path::new(input.strip_prefix("file://").unwrap_or(input));
            let absolute = std::fs::canonicalize(local).map_err(|e| invalid(describe_io_error(&e)))?;
            let path = Path::from_absolute_path(&absolute).map_err(|e| invalid(e.to_string()))?;
            let store = object_store::local::LocalFileSystem::new();
            Ok(Self { display, store: Arc::new(store), path, is_local_dir: absolute.is_dir(), presigned: None })
        }

        /// Opens the file at `path` (or a file below a prefix) as a [`ByteSource`].
        pub async fn open(&self, path: &Path, display: String) -> Result<StoreSource> {
            let display = redact(&display);
            if let Some(url) = &self.presigned {
                return presigned::open(url, display.clone()).await?.ok_or_else(|| IoError::Source {
                    location: display,
                    message: "not found (HTTP 404 / no such key or file)".into(),
                });
            }
            let meta = self.store.head(path).await.map_err(|e| store_error(display.clone(), e))?;
            Ok(self.source(path, display, &meta))
        }

        /// Like [`StoreLocation::open`], but `None` when there is no such object (it may be a prefix).
        pub async fn open_if_exists(&self, path: &Path, display: String) -> Result<Option<StoreSource>> {
            let display = redact(&display);
            if let Some(url) = &self.presigned {
                return presigned::open(url, display).await;
            }
            match self.store.head(path).await {
                Ok(meta) => Ok(Some(self.source(path, display, &meta))),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(store_error(display, e)),
            }
        }

        /// A file a listing of this store returned, opened from what the listing said of it (size, ETag): no
        /// request of its own.
        pub fn listed(&self, meta: &object_store::ObjectMeta, display: String) -> StoreSource {
            self.source(&meta.location, redact(&display), meta)
        }

        fn source(&self, path: &Path, display: String, meta: &object_store::ObjectMeta) -> StoreSource {
            StoreSource {
                display,
                store: Arc::clone(&self.store),
                path: path.clone(),
                size: meta.size,
                // Every range must come from the file as it was when opened. A weak ETag (`W/…`) never matches
                // `If-Match` (RFC 9110 compares strongly), so it cannot serve.
                e_tag: meta.e_tag.clone().filter(|tag| !tag.starts_with("W/")),
                stats: Arc::default(),
                presigned: None,
                in_flight: in_flight(),
            }
        }
    }

    /// Opens a single file given as a path or URL.
    pub async fn open_input(input: &str) -> Result<StoreSource> {
        let location = StoreLocation::parse(input)?;
        location.open(&location.path, input.to_owned()).await
    }

    /// At most this many granules under one prefix: a listing is bounded, whatever the store holds.
    const MAX_LISTED_GRANULES: usize = 100_000;

    /// The HDF5 granules (`.h5`, `.hdf5`, `.he5`) an input names: itself when it is a file (or an `http(s)://` URL,
    /// which cannot be listed), else every one under the local directory or `s3://` prefix (ending in `/`), by path.
    pub async fn list_granules(input: &str) -> Result<Vec<String>> {
        use futures::TryStreamExt as _;
        let location = StoreLocation::parse(input)?;
        let is_prefix = location.is_local_dir || (input.starts_with("s3://") && input.ends_with('/'));
        if !is_prefix {
            return Ok(vec![input.to_owned()]);
        }
        let mut objects = location.store.list(Some(&location.path));
        let mut granules = Vec::new();
        while let Some(object) = objects.try_next().await.map_err(|e| store_error(input.to_owned(), e))? {
            let name = object.location.filename().unwrap_or_default();
            let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
            if name.starts_with(['.', '_']) || !["h5", "hdf5", "he5"].contains(&extension.as_str()) {
                continue;
            }
            if granules.len() == MAX_LISTED_GRANULES {
                return Err(IoError::Source {
                    location: input.to_owned(),
                    message: format!("more than {MAX_LISTED_GRANULES} granules under it: name a narrower prefix"),
                });
            }
            let relative =
                object.location.as_ref().strip_prefix(location.path.as_ref()).unwrap_or(object.location.as_ref());
            granules.push(format!("{}/{}", input.trim_end_matches('/'), relative.trim_start_matches('/')));
        }
        granules.sort();
        if granules.is_empty() {
            return Err(IoError::Source {
                location: input.to_owned(),
                message: "no HDF5 granules (.h5) under it".into(),
            });
        }
        Ok(granules)
    }

    /// Without a byte for this long a request is abandoned (and retried): a stalled connection, not a slow
    /// download, is what times out. `FLOE_HTTP_READ_TIMEOUT` (seconds) changes it.
    pub fn read_timeout() -> Duration {
        let seconds = std::env::var("FLOE_HTTP_READ_TIMEOUT").ok().and_then(|v| v.trim().parse::<f64>().ok());
        let timeout = seconds.filter(|s| *s > 0.0).and_then(|s| Duration::try_from_secs_f64(s).ok());
        timeout.unwrap_or(Duration::from_secs(30))
    }

    /// A request's whole time is bounded only loosely (a request is at most `MAX_REQUEST_BYTES`, 8 MiB, which
    /// even a slow link moves in 10 minutes); the read timeout catches stalls.
    fn client_options() -> ClientOptions {
        ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(10))
            .with_read_timeout(read_timeout())
            .with_timeout(Duration::from_secs(600))
    }

    /// Retries with exponential backoff and jitter (object_store's) for 5xx, 429, 408, resets, timeouts and bodies
    /// that break off; `Retry-After` is honoured below it (`retry_after`). An unreachable host still fails within
    /// seconds (5 quick connection attempts), a flaky one gets a minute.
    fn retry_config() -> RetryConfig {
        RetryConfig {
            max_retries: 5,
            retry_timeout: Duration::from_secs(60),
            backoff: object_store::BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
        }
    }

    fn has_aws_credentials() -> bool {
        ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
            .iter()
            .any(|v| std::env::var_os(v).is_some())
    }

    fn describe_io_error(e: &std::io::Error) -> String {
        match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => e.to_string(),
        }
    }

    /// An object store's error for `location`, described in words and kept as the source.
    pub fn store_error(location: String, e: object_store::Error) -> IoError {
        IoError::Store { location, message: describe_store_error(&e), source: Box::new(e) }
    }

    /// Turns object_store's errors into words a user understands, by their type: the variant, and the kind of
    /// the HTTP error among its sources (never by searching the text).
    fn describe_store_error(e: &object_store::Error) -> String {
        match e {
            object_store::Error::NotFound { .. } => return "not found (HTTP 404 / no such key or file)".into(),
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                return format!("access denied (HTTP 401/403): {}", one_line(&e.to_string()));
            }
            _ => {}
        }
        let mut cause: &(dyn std::error::Error + 'static) = e;
        let mut kind = None;
        loop {
            if let Some(http) = cause.downcast_ref::<object_store::client::HttpError>() {
                kind = Some(http.kind());
            }
            match cause.source() {
                Some(next) => cause = next,
                None => break,
            }
        }
        // The innermost cause ("Connection refused (os error 111)") says it best; object_store's own text is a
        // paragraph of retry counts, URLs and wrapper names.
        let root = one_line(&cause.to_string());
        let root = root.trim_end_matches([':', ' ']);
        match kind {
            Some(object_store::client::HttpErrorKind::Connect) => format!("unreachable: {root}"),
            Some(object_store::client::HttpErrorKind::Timeout) => format!("timed out: {root}"),
            // The innermost cause ("Server returned non-2xx status code: 503 Service Unavailable", after the
            // retries ran out): the retry paragraph around it says nothing the user can act on.
            _ if !std::ptr::addr_eq(cause, e) => root.to_owned(),
            _ => one_line(&e.to_string()),
        }
    }

    fn one_line(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Presigned `http(s)://` URLs: ranges fetched with the query (their signature) kept, errors without the URL.
    mod presigned {
        use super::*;

        fn client() -> Result<reqwest::Client> {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(read_timeout())
                .timeout(Duration::from_secs(600))
                .build()
                .map_err(|e| IoError::Invalid(format!("HTTP client: {}", e.without_url())))
        }

        /// What a range request brought back.
        pub struct Reply {
            pub bytes: Bytes,
            /// The file's size, from `Content-Range`.
            pub total: Option<u64>,
            /// The reply's strong ETag (a weak one cannot be required).
            pub e_tag: Option<String>,
        }

        /// Why one attempt did not bring the range back.
        enum Failure {
            /// Worth trying again (5xx, 429, a reset, a stall, a body that broke off), after at least this delay.
            Retry(String, Option<Duration>),
            /// Final: said to the user as it is.
            Final(IoError),
        }

        /// At most this many attempts per range.
        const ATTEMPTS: u32 = 6;

        /// Fetches one range (the URL never in an error), retrying what may pass with exponential backoff and
        /// jitter, or the server's `Retry-After`. With `e_tag` (the one the file had when opened) every reply must
        /// carry it: `If-Match` is sent, and a reply with another ETag is refused as well as a 412.
        pub async fn fetch(
            client: &reqwest::Client,
            url: &url::Url,
            display: &str,
            range: &Range<u64>,
            e_tag: Option<&str>,
        ) -> Result<Reply> {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let (message, after) = match fetch_once(client, url, display, range, e_tag).await {
                    Ok(reply) => return Ok(reply),
                    Err(Failure::Final(e)) => return Err(e),
                    Err(Failure::Retry(message, after)) => (message, after),
                };
                if attempt == ATTEMPTS {
                    return Err(IoError::Source {
                        location: display.to_owned(),
                        message: format!("{message} (after {ATTEMPTS} attempts)"),
                    });
                }
                // Decorrelated jitter, as object_store's: between 100 ms and 3× the last backoff, at most 5 s.
                let backoff = (100u64 << attempt.min(6)).min(5000);
                let jitter = {
                    use std::hash::{BuildHasher, Hasher};
                    std::collections::hash_map::RandomState::new().build_hasher().finish() % backoff.max(1)
                };
                let delay = after.unwrap_or(Duration::ZERO).max(Duration::from_millis(backoff / 2 + jitter / 2));
                log::debug!("{display}: {message}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
            }
        }

        async fn fetch_once(
            client: &reqwest::Client,
            url: &url::Url,
            display: &str,
            range: &Range<u64>,
            e_tag: Option<&str>,
        ) -> std::result::Result<Reply, Failure> {
            let fail = |message: String| Failure::Final(IoError::Source { location: display.to_owned(), message });
            let header = format!("bytes={}-{}", range.start, range.end.saturating_sub(1));
            let mut request = client.get(url.clone()).header("Range", &header);
            if let Some(tag) = e_tag {
                request = request.header("If-Match", tag);
            }
            let reply = match request.send().await {
                Ok(reply) => reply,
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() => {
                    return Err(Failure::Retry(one_line(&e.without_url().to_string()), None));
                }
                Err(e) => return Err(fail(one_line(&e.without_url().to_string()))),
            };
            let status = reply.status().as_u16();
            match status {
                206 => {}
                412 => return Err(Failure::Final(changed(display))),
                // The server ignores Range: refused before the body (possibly the whole file) is read.
                200..=299 => {
                    return Err(fail(format!(
                        "the server answered a range request with HTTP {status} (the whole file): range requests \
                         are needed"
                    )));
                }
                404 => return Err(fail("not found (HTTP 404 / no such key or file)".into())),
                401 | 403 => {
                    return Err(fail(format!("access denied (HTTP {status}): the presigned URL may have expired")));
                }
                408 | 429 | 500..=599 => {
                    let after = super::retry_after::retry_after(status, reply.headers());
                    return Err(Failure::Retry(format!("HTTP {status}"), after));
                }
                _ => return Err(fail(format!("HTTP {status}"))),
            }
            let reply_e_tag = reply
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .filter(|tag| !tag.starts_with("W/"))
                .map(str::to_owned);
            if e_tag.is_some_and(|tag| reply_e_tag.as_deref() != Some(tag)) {
                return Err(Failure::Final(changed(display)));
            }
            let total = reply
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit_once('/'))
                .and_then(|(_, total)| total.trim().parse::<u64>().ok());
            let bytes = reply.bytes().await.map_err(|e| {
                Failure::Retry(format!("the reply broke off: {}", one_line(&e.without_url().to_string())), None)
            })?;
            let expected = range.end - range.start;
            if bytes.len() as u64 != expected && total.is_none_or(|total| range.end <= total) {
                return Err(Failure::Retry(
                    format!("the reply broke off after {} of {expected} bytes", bytes.len()),
                    None,
                ));
            }
            Ok(Reply { bytes, total, e_tag: reply_e_tag })
        }

        /// Opens a presigned URL: its size from the first byte's `Content-Range` (a presigned GET URL signs no HEAD);
        /// `None` when there is no such object.
        pub async fn open(url: &url::Url, display: String) -> Result<Option<StoreSource>> {
            let client = client()?;
            let reply = match fetch(&client, url, &display, &(0..1), None).await {
                Ok(reply) => reply,
                Err(IoError::Source { message, .. }) if message.starts_with("not found") => return Ok(None),
                Err(e) => return Err(e),
            };
            let total = reply.total.ok_or_else(|| IoError::Source {
                location: display.clone(),
                message: "no file size in the reply's Content-Range".into(),
            })?;
            Ok(Some(StoreSource {
                display,
                store: Arc::new(object_store::memory::InMemory::new()),
                path: Path::default(),
                size: total,
                e_tag: reply.e_tag,
                stats: Arc::default(),
                presigned: Some((client, url.clone())),
                in_flight: in_flight(),
            }))
        }
    }

    /// One object in an object store.
    #[derive(Debug)]
    pub struct StoreSource {
        display: String,
        store: Arc<dyn ObjectStore>,
        path: Path,
        size: u64,
        /// The ETag at open, required of every range (`If-Match`).
        e_tag: Option<String>,
        stats: Arc<FetchStats>,
        /// A presigned URL's client and URL (query included), instead of the store.
        presigned: Option<(reqwest::Client, url::Url)>,
        /// Requests to this file in flight at once, whoever asks (beams read side by side each coalesce their own).
        in_flight: Arc<tokio::sync::Semaphore>,
    }

    /// The error of a file whose ETag is no longer the one it had when opened.
    fn changed(location: &str) -> IoError {
        IoError::Source {
            location: location.to_owned(),
            message: "the file changed while it was being read (its ETag is not the one it had when opened): nothing \
                      read from it is used; read it again"
                .into(),
        }
    }

    /// At most this many requests to one file at once.
    pub const MAX_IN_FLIGHT: usize = 16;

    fn in_flight() -> Arc<tokio::sync::Semaphore> {
        Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT))
    }

    impl ByteSource for StoreSource {
        fn location(&self) -> &str {
            &self.display
        }

        fn size(&self) -> u64 {
            self.size
        }

        fn fetch(&self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
            Box::pin(async move {
                let expected = range.end - range.start;
                // Never closed, so acquiring only waits; a closed semaphore would mean no limit, not a failure.
                let _permit = self.in_flight.acquire().await.ok();
                let bytes = match &self.presigned {
                    Some((client, url)) => {
                        presigned::fetch(client, url, &self.display, &range, self.e_tag.as_deref()).await?.bytes
                    }
                    None => {
                        // object_store retries a body that breaks off with an error; one that just ends early (a
                        // reply without a length, a proxy's) is retried here.
                        let mut attempt = 0;
                        loop {
                            let options =
                                object_store::GetOptions { if_match: self.e_tag.clone(), ..Default::default() }
                                    .with_range(Some(range.clone()));
                            // Each reply's ETag is compared too: a server that ignores `If-Match` still says
                            // which file it served.
                            let fetched = async {
                                let reply = self.store.get_opts(&self.path, options).await?;
                                let same = self.e_tag.is_none()
                                    || reply.meta.e_tag.is_none()
                                    || reply.meta.e_tag == self.e_tag;
                                if !same {
                                    return Ok(None);
                                }
                                Ok(Some(reply.bytes().await?))
                            };
                            let bytes = fetched.await.map_err(|e| match e {
                                object_store::Error::Precondition { .. } => changed(&self.display),
                                e => store_error(self.display.clone(), e),
                            })?;
                            let Some(bytes) = bytes else { return Err(changed(&self.display)) };
                            attempt += 1;
                            if bytes.len() as u64 == expected || attempt == 3 {
                                break bytes;
                            }
                            log::debug!(
                                "{}: a reply ended after {} of {expected} bytes; retrying",
                                self.display,
                                bytes.len()
                            );
                            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                        }
                    }
                };
                self.stats.record(bytes.len() as u64);
                if bytes.len() as u64 != expected {
                    return Err(IoError::Source {
                        location: self.display.clone(),
                        message: format!("asked for {expected} bytes, got {}", bytes.len()),
                    });
                }
                Ok(bytes)
            })
        }

        fn stats(&self) -> &Arc<FetchStats> {
            &self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalescing_merges_near_ranges_and_slices_back() {
        let merged = plan_requests(&[10..20, 0..5, 3_000_000..3_000_010, 30..40], COALESCE_GAP, MAX_REQUEST_BYTES);
        assert_eq!(merged, vec![0..40, 3_000_000..3_000_010]);
        let source = MemorySource::new("mem", Bytes::from((0..=255u8).cycle().take(4_000_000).collect::<Vec<_>>()));
        let parts = futures::executor::block_on(fetch_ranges(&source, &[10..12, 0..2, 3_000_000..3_000_001])).unwrap();
        assert_eq!(parts[0].as_ref(), &[10, 11]);
        assert_eq!(parts[1].as_ref(), &[0, 1]);
        assert_eq!(parts[2].as_ref(), &[(3_000_000 % 256) as u8]);
        assert_eq!(source.stats().requests(), 2);
        assert_eq!(source.stats().bytes(), 13);
        let err =
            futures::executor::block_on(fetch_ranges(&source, std::slice::from_ref(&(0..5_000_000)))).unwrap_err();
        assert_eq!(err.to_string(), "mem: cannot read: range 0..5000000 is outside the file's 4000000 bytes");
    }

    #[test]
    fn requests_are_capped_in_size_and_pieces_joined_back() {
        // Merging stops at the cap; a range longer than the cap is split; overlapping ranges share requests.
        assert_eq!(plan_requests(&[0..10, 12..20, 25..30], 100, 20), vec![0..20, 25..30]);
        assert_eq!(plan_requests(std::slice::from_ref(&(0..45)), 100, 20), vec![0..20, 20..40, 40..45]);
        assert_eq!(plan_requests(&[0..10, 5..15, 2..3, 15..15], 0, 100), vec![0..15]);
        assert_eq!(plan_requests(&[0..10, 5..35], 0, 20), vec![0..10, 10..30, 30..35]);
        let data: Vec<u8> = (0..=255u8).cycle().take(20_000_000).collect();
        let source = MemorySource::new("mem", Bytes::from(data.clone()));
        let ranges = [100..19_000_000, 5..6, 18_999_990..19_000_010];
        let parts = futures::executor::block_on(fetch_ranges(&source, &ranges)).unwrap();
        for (range, part) in ranges.iter().zip(&parts) {
            assert_eq!(part.as_ref(), &data[range.start as usize..range.end as usize]);
        }
        // 5..6; 100..19_000_000 in three pieces of at most 8 MiB; the tail beyond it, 19_000_000..19_000_010.
        assert_eq!(source.stats().requests(), 5);
        assert_eq!(source.stats().bytes(), 1 + 18_999_900 + 10);
    }
}
