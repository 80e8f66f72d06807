//! The request timeout: no request holds a task (and a connection) for longer than
//! the configured time, whether the client stalls its body or the work is slow.
//!
//! The whole handler, body reading included, runs under one deadline. When it
//! passes, the handler future is dropped and the answer depends on who was slow:
//! a body not yet fully received is the client's fault, `408` (hyper then closes the
//! connection, as the body was not drained); a slow handler after the whole body
//! arrived is ours, `503` with `Retry-After`. Both carry a `{"detail"}` body. An
//! ingested event whose handler timed out after handing it to the ingestor may still
//! be committed; the SDK's retry then resends the same event id.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::{Body as _, Frame, SizeHint};

use crate::error::ApiError;

/// The default of `--request-timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs every request of `router` under `timeout`.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>, timeout: Duration) -> Router<S> {
    router.layer(middleware::from_fn_with_state(timeout, limit))
}

async fn limit(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let received = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = Body::new(Tracked {
        inner: body,
        received: received.clone(),
    });
    match tokio::time::timeout(timeout, next.run(Request::from_parts(parts, body))).await {
        Ok(response) => response,
        Err(_) => {
            let body_received = received.load(Ordering::Acquire);
            tracing::warn!(
                timeout_secs = timeout.as_secs_f64(),
                body_received,
                "request timed out"
            );
            ApiError::TimedOut {
                body_received,
                after: timeout,
            }
            .into_response()
        }
    }
}

/// A request body that records when it has been read to the end.
struct Tracked {
    inner: Body,
    received: Arc<AtomicBool>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.received.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
