//! `Retry-After` for object_store's HTTP clients: object_store retries 429 and 5xx replies with its own backoff and
//! ignores the delay the server asks for, so a throttling server is asked again too soon and the retries run out.
//! This wraps its reqwest client: a 429 or 503 that names a delay (in seconds, at most [`MAX_RETRY_AFTER`]) is
//! waited out and the request sent again, up to [`RETRIES`] times, before object_store's own retries see it.

use std::time::Duration;

use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};

/// A longer delay is not waited for here: the reply goes to object_store's retries (and then to the user).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Delays honoured per request.
const RETRIES: usize = 3;

/// The delay a reply asks for before the request is sent again: its `Retry-After` in seconds, on a 429 or 503.
/// (The HTTP-date form is not honoured: servers throttling range reads send seconds.)
pub fn retry_after(status: u16, headers: &http::HeaderMap) -> Option<Duration> {
    if status != 429 && status != 503 {
        return None;
    }
    let seconds: u64 = headers.get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds)).filter(|delay| *delay <= MAX_RETRY_AFTER)
}

/// Connects object_store's reqwest client wrapped in [`RetryAfterService`].
#[derive(Debug, Default)]
pub struct RetryAfterConnector;

impl HttpConnector for RetryAfterConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(RetryAfterService(ReqwestConnector::default().connect(options)?)))
    }
}

#[derive(Debug)]
pub struct RetryAfterService(HttpClient);

#[async_trait::async_trait]
impl HttpService for RetryAfterService {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let mut waited = 0;
        loop {
            let reply = self.0.execute(HttpRequest::from_parts(parts.clone(), body.clone())).await?;
            match retry_after(reply.status().as_u16(), reply.headers()) {
                Some(delay) if waited < RETRIES => {
                    log::debug!("HTTP {}: retrying after {delay:?} as the server asks", reply.status().as_u16());
                    drop(reply);
                    tokio::time::sleep(delay).await;
                    waited += 1;
                }
                _ => return Ok(reply),
            }
        }
    }
}
