//! Progress counters and cancellation shared between a loading task and whoever watches it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What a load has done so far. Totals are known once the files' footers are read.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_fetched: AtomicU64,
    pub bytes_total: AtomicU64,
    pub rows_loaded: AtomicU64,
    pub rows_total: AtomicU64,
    /// Rows not drawn because their geometry was null, empty or NaN.
    pub rows_skipped: AtomicU64,
    /// Rows read but outside the requested bbox.
    pub rows_filtered: AtomicU64,
}

/// A consistent-enough copy of [`Progress`] for display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub bytes_fetched: u64,
    pub bytes_total: u64,
    pub rows_loaded: u64,
    pub rows_total: u64,
    pub rows_skipped: u64,
    pub rows_filtered: u64,
}

impl Progress {
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            bytes_fetched: self.bytes_fetched.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            rows_loaded: self.rows_loaded.load(Ordering::Relaxed),
            rows_total: self.rows_total.load(Ordering::Relaxed),
            rows_skipped: self.rows_skipped.load(Ordering::Relaxed),
            rows_filtered: self.rows_filtered.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

impl ProgressSnapshot {
    /// Fraction done in [0, 1], by rows (bytes when rows are unknown).
    pub fn fraction(&self) -> f32 {
        if self.rows_total > 0 {
            (self.rows_loaded + self.rows_skipped + self.rows_filtered) as f32 / self.rows_total as f32
        } else if self.bytes_total > 0 {
            self.bytes_fetched as f32 / self.bytes_total as f32
        } else {
            0.0
        }
    }
}

/// Cancels a load: streams check it between batches and end with [`crate::IoError::Cancelled`], and
/// [`CancelToken::cancelled`] wakes whoever waits on it, so a reader can drop its requests in flight at once.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    wakers: std::sync::Mutex<Vec<std::task::Waker>>,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        let wakers = self.0.wakers.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the load is cancelled.
    pub fn cancelled(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let state = Arc::clone(&self.0);
        std::future::poll_fn(move |cx| {
            if state.cancelled.load(Ordering::SeqCst) {
                return std::task::Poll::Ready(());
            }
            if let Ok(mut wakers) = state.wakers.lock()
                && !wakers.iter().any(|w| w.will_wake(cx.waker()))
            {
                wakers.push(cx.waker().clone());
            }
            // Cancelled between the first look and the registration: do not miss it.
            if state.cancelled.load(Ordering::SeqCst) { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
        })
    }

    /// `stream` until the load is cancelled: then it stops being polled at once — its reads, and the requests they
    /// have in flight, are dropped with it — and one [`crate::IoError::Cancelled`] for `location` ends it.
    pub fn guard<T: Send + 'static>(
        &self,
        location: &str,
        stream: futures::stream::BoxStream<'static, crate::Result<T>>,
    ) -> futures::stream::BoxStream<'static, crate::Result<T>> {
        use futures::StreamExt;
        let (token, location) = (self.clone(), location.to_owned());
        let cancelled = futures::stream::once(async move {
            token.is_cancelled().then_some(Err(crate::IoError::Cancelled { location }))
        })
        .filter_map(std::future::ready);
        stream.take_until(self.cancelled()).chain(cancelled).boxed()
    }
}
