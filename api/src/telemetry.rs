//! One span per HTTP request: method, route, request id; status and latency on the
//! `request finished` event and in the latency histogram (`crate::metrics`).

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{HeaderName, Request, Response};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The header carrying each request's id (set when the client sent none).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` with request ids and the request span.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            // Borrowed: a span records its fields when it is made.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "faultline.http",
                method = %request.method(),
                route,
                request_id,
            )
        })
        .on_request(())
        // Status and latency go on the event, not the span: recording a field on a
        // span makes the JSON log format parse and re-serialise all its fields, twice
        // per request (2-3 % of the server's CPU under ingestion load) for values no
        // later log line of the request would carry anyway.
        .on_response(|response: &Response<_>, latency: Duration, _: &Span| {
            tracing::debug!(
                status = response.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "request finished"
            );
        })
        .on_failure(());
    router
        .layer(axum::middleware::from_fn(crate::metrics::record_request))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
