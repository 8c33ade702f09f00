//! The browser's byte source: HTTP(S) range requests through `fetch`. JS futures are not `Send`; the browser
//! runs one thread, so they are wrapped to satisfy `ByteSource`.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::error::{IoError, Result};
use crate::source::{ByteSource, FetchStats};

/// What a server must send for Floe to read a file from another origin.
const CORS_HELP: &str = "the server refused to let this page read it (CORS). It must send \
    Access-Control-Allow-Origin, allow the Range request header (Access-Control-Allow-Headers: Range) and expose \
    Content-Range, Content-Length and ETag (Access-Control-Expose-Headers)";

/// A file on an HTTP(S) server (or a public S3 bucket) read with range requests.
#[derive(Debug)]
pub struct HttpSource {
    url: String,
    size: u64,
    stats: Arc<FetchStats>,
}

/// `s3://bucket/key` → the bucket's public HTTPS endpoint.
pub fn http_url(input: &str) -> String {
    match input.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) {
        Some((bucket, key)) => format!("https://{bucket}.s3.amazonaws.com/{key}"),
        None => input.to_owned(),
    }
}

async fn fetch_range(url: &str, range: Range<u64>) -> Result<(u16, Option<String>, Bytes)> {
    let error = |message: String| IoError::Source { location: url.to_owned(), message };
    let window = web_sys::window().ok_or_else(|| error("no browser window".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_mode(web_sys::RequestMode::Cors);
    let headers = web_sys::Headers::new().map_err(|e| error(format!("{e:?}")))?;
    headers
        .set("Range", &format!("bytes={}-{}", range.start, range.end.saturating_sub(1)))
        .map_err(|e| error(format!("{e:?}")))?;
    init.set_headers(&headers);
    let response =
        JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| error(CORS_HELP.into()))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| error("fetch returned no response".into()))?;
    let status = response.status();
    if status == 403 || status == 401 {
        return Err(error(format!("access denied (HTTP {status})")));
    }
    if status == 404 {
        return Err(error("not found (HTTP 404)".into()));
    }
    if !(200..300).contains(&status) {
        return Err(error(format!("HTTP {status}")));
    }
    let content_range = response.headers().get("Content-Range").ok().flatten();
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| error(format!("{e:?}")))?)
        .await
        .map_err(|e| error(format!("reading the response failed: {e:?}")))?;
    Ok((status, content_range, Bytes::from(js_sys::Uint8Array::new(&buffer).to_vec())))
}

impl HttpSource {
    /// Learns the file's size with a one-byte range request, which also proves the server honours `Range`.
    pub async fn open(input: &str) -> Result<Self> {
        let url = http_url(input);
        let (status, content_range, _) = SendWrapper::new(fetch_range(&url, 0..1)).await?;
        if status != 206 {
            return Err(IoError::Source {
                location: input.to_owned(),
                message: format!(
                    "the server ignores Range requests (HTTP {status} instead of 206 Partial Content): Floe reads \
                     files in parts and needs a server that honours Range"
                ),
            });
        }
        let size = content_range
            .as_deref()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|total| total.trim().parse::<u64>().ok())
            .ok_or_else(|| IoError::Source {
                location: input.to_owned(),
                message: "the response has no readable Content-Range: the server must expose it (CORS)".into(),
            })?;
        Ok(Self { url, size, stats: Arc::default() })
    }
}

impl ByteSource for HttpSource {
    fn location(&self) -> &str {
        &self.url
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn fetch(&self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        let expected = range.end - range.start;
        let future = SendWrapper::new(async move {
            let (status, _, bytes) = fetch_range(&self.url, range).await?;
            self.stats.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.stats.bytes.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
            if status != 206 || bytes.len() as u64 != expected {
                return Err(IoError::Source {
                    location: self.url.clone(),
                    message: format!("asked for {expected} bytes, got {} (HTTP {status})", bytes.len()),
                });
            }
            Ok(bytes)
        });
        Box::pin(future)
    }

    fn stats(&self) -> &Arc<FetchStats> {
        &self.stats
    }
}

/// A local file the user picked or dropped. Read slice by slice through `Blob.slice`, so a 2 GB file is never
/// in memory whole: only the footer, the metadata and the column chunks a load needs.
pub struct BlobSource {
    name: String,
    blob: SendWrapper<web_sys::Blob>,
    size: u64,
    stats: Arc<FetchStats>,
}

impl std::fmt::Debug for BlobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobSource").field("name", &self.name).field("size", &self.size).finish()
    }
}

impl BlobSource {
    /// `name` names the file in messages (a `File`'s name; the browser hides its path).
    pub fn new(name: &str, blob: web_sys::Blob) -> Self {
        let size = blob.size().max(0.0) as u64;
        Self { name: name.to_owned(), blob: SendWrapper::new(blob), size, stats: Arc::default() }
    }
}

impl ByteSource for BlobSource {
    fn location(&self) -> &str {
        &self.name
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn fetch(&self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        let future = SendWrapper::new(async move {
            let error = |message: String| IoError::Source { location: self.name.clone(), message };
            if range.start > range.end || range.end > self.size {
                return Err(error(format!(
                    "bytes {}..{} lie past the end of the file ({} bytes)",
                    range.start, range.end, self.size
                )));
            }
            let slice = self
                .blob
                .slice_with_f64_and_f64(range.start as f64, range.end as f64)
                .map_err(|e| error(format!("cannot slice the file: {e:?}")))?;
            let buffer = JsFuture::from(slice.array_buffer())
                .await
                .map_err(|e| error(format!("the browser could not read the file: {e:?}")))?;
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            self.stats.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.stats.bytes.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
            if bytes.len() as u64 != range.end - range.start {
                return Err(error(format!("asked for {} bytes, read {}", range.end - range.start, bytes.len())));
            }
            Ok(Bytes::from(bytes))
        });
        Box::pin(future)
    }

    fn stats(&self) -> &Arc<FetchStats> {
        &self.stats
    }
}
