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
    /// The strong ETag of the first reply, required of every later one.
    e_tag: Option<String>,
    stats: Arc<FetchStats>,
}

/// `s3://bucket/key` → the bucket's public HTTPS endpoint.
pub fn http_url(input: &str) -> String {
    match input.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) {
        Some((bucket, key)) => format!("https://{bucket}.s3.amazonaws.com/{key}"),
        None => input.to_owned(),
    }
}

/// A request not finished in this long is aborted (and retried): `fetch` has no idle timeout, and a stalled
/// connection would otherwise hold a load forever. A request is at most 8 MiB, which even a slow link moves in it.
const TIMEOUT_MS: i32 = 60_000;

/// At most this many attempts per range (network errors, 5xx, 429, 408, timeouts, replies cut short).
const ATTEMPTS: u32 = 6;

/// One reply, as far as the caller needs it.
struct Reply {
    status: u16,
    content_range: Option<String>,
    e_tag: Option<String>,
    bytes: Bytes,
}

/// Why one attempt failed: worth another (after at least a delay the server may name), or final.
enum Failure {
    Retry(String, Option<u32>),
    Final(String),
}

/// Aborts its request when dropped: a load that is cancelled (its stream dropped) stops its downloads, and a
/// refused reply's body is not read.
struct Abort(web_sys::AbortController);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// One range request. A 206 is read whole; anything else is refused before its body is read (a server that
/// ignores Range would send the whole file).
async fn fetch_once(url: &str, range: &Range<u64>, open: bool) -> std::result::Result<Reply, Failure> {
    let window = web_sys::window().ok_or_else(|| Failure::Final("no browser window".into()))?;
    let controller = web_sys::AbortController::new().map_err(|e| Failure::Final(format!("{e:?}")))?;
    let abort = Abort(controller);
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_signal(Some(&abort.0.signal()));
    let headers = web_sys::Headers::new().map_err(|e| Failure::Final(format!("{e:?}")))?;
    headers
        .set("Range", &format!("bytes={}-{}", range.start, range.end.saturating_sub(1)))
        .map_err(|e| Failure::Final(format!("{e:?}")))?;
    init.set_headers(&headers);
    // The timer aborts the request; it is left to fire harmlessly once the reply is in.
    let timer = {
        let controller = abort.0.clone();
        wasm_bindgen::closure::Closure::once_into_js(move || controller.abort())
    };
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(timer.unchecked_ref(), TIMEOUT_MS);
    let response = match JsFuture::from(window.fetch_with_str_and_init(url, &init)).await {
        Ok(response) => response,
        // The first request tells a CORS refusal (final, and not told apart from a network error by the browser)
        // from a file that opened; later ones failing are the network's doing.
        Err(_) if open => return Err(Failure::Final(CORS_HELP.into())),
        Err(_) => return Err(Failure::Retry("the request failed or timed out".into(), None)),
    };
    let response: web_sys::Response =
        response.dyn_into().map_err(|_| Failure::Final("fetch returned no response".into()))?;
    let status = response.status();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    match status {
        206 => {}
        401 | 403 => return Err(Failure::Final(format!("access denied (HTTP {status})"))),
        404 => return Err(Failure::Final("not found (HTTP 404)".into())),
        200..=299 => {
            return Err(Failure::Final(format!(
                "the server ignores Range requests (HTTP {status} instead of 206 Partial Content): Floe reads files \
                 in parts and needs a server that honours Range"
            )));
        }
        408 | 429 | 500..=599 => {
            let after = header("Retry-After").and_then(|v| v.trim().parse::<u32>().ok()).filter(|s| *s <= 30);
            return Err(Failure::Retry(format!("HTTP {status}"), after.map(|s| s * 1000)));
        }
        _ => return Err(Failure::Final(format!("HTTP {status}"))),
    }
    let (content_range, e_tag) = (header("Content-Range"), header("ETag").filter(|t| !t.starts_with("W/")));
    let body = response.array_buffer().map_err(|e| Failure::Final(format!("{e:?}")))?;
    let buffer =
        JsFuture::from(body).await.map_err(|_| Failure::Retry("the reply broke off or timed out".into(), None))?;
    let bytes = Bytes::from(js_sys::Uint8Array::new(&buffer).to_vec());
    if bytes.len() as u64 != range.end - range.start {
        return Err(Failure::Retry(
            format!("the reply ended after {} of {} bytes", bytes.len(), range.end - range.start),
            None,
        ));
    }
    Ok(Reply { status, content_range, e_tag, bytes })
}

/// A range, retried with exponential backoff and jitter (or the server's `Retry-After`) while that may help.
async fn fetch_range(url: &str, range: &Range<u64>, open: bool) -> Result<Reply> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (message, after) = match fetch_once(url, range, open).await {
            Ok(reply) => return Ok(reply),
            Err(Failure::Final(message)) => return Err(IoError::Source { location: url.to_owned(), message }),
            Err(Failure::Retry(message, after)) => (message, after),
        };
        if attempt == ATTEMPTS {
            let message = format!("{message} (after {ATTEMPTS} attempts)");
            return Err(IoError::Source { location: url.to_owned(), message });
        }
        let backoff = (100u32 << attempt.min(6)).min(5000);
        let jitter = (js_sys::Math::random() * f64::from(backoff)) as u32;
        sleep(after.unwrap_or(0).max(backoff / 2 + jitter / 2)).await;
    }
}

/// The total size in a `Content-Range` (`bytes 0-0/12345`).
fn total_of(content_range: Option<&str>) -> Option<u64> {
    content_range?.rsplit('/').next()?.trim().parse().ok()
}

impl HttpSource {
    /// Learns the file's size (and ETag) with a one-byte range request, which also proves the server honours
    /// `Range`.
    pub async fn open(input: &str) -> Result<Self> {
        let url = http_url(input);
        let reply = SendWrapper::new(fetch_range(&url, &(0..1), true)).await.map_err(|e| match e {
            IoError::Source { message, .. } => IoError::Source { location: input.to_owned(), message },
            e => e,
        })?;
        let size = total_of(reply.content_range.as_deref()).ok_or_else(|| IoError::Source {
            location: input.to_owned(),
            message: "the response has no readable Content-Range: the server must expose it (CORS)".into(),
        })?;
        debug_assert_eq!(reply.status, 206);
        Ok(Self { url, size, e_tag: reply.e_tag, stats: Arc::default() })
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
            let reply = fetch_range(&self.url, &range, false).await?;
            self.stats.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.stats.bytes.fetch_add(reply.bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
            // Every reply must come from the file as it was opened: the same ETag (where the server exposes one)
            // and the same total size. The browser cannot send If-Match without a CORS preflight the server may
            // refuse, so the replies are compared instead.
            let same_tag = self.e_tag.is_none() || reply.e_tag == self.e_tag;
            if !same_tag || total_of(reply.content_range.as_deref()) != Some(self.size) {
                return Err(IoError::Source {
                    location: self.url.clone(),
                    message: "the file changed while it was being read (its ETag or size is not the one it had \
                              when opened): nothing read from it is used; read it again"
                        .into(),
                });
            }
            if reply.bytes.len() as u64 != expected {
                return Err(IoError::Source {
                    location: self.url.clone(),
                    message: format!("asked for {expected} bytes, got {}", reply.bytes.len()),
                });
            }
            Ok(reply.bytes)
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
