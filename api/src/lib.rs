//! Faultline's HTTP surface.
//!
//! [`router`] assembles one router per resource module under [`routes`]; handlers
//! turn requests into commands (through `faultline_commands`) or queries (through
//! `faultline_projections`), and every failure becomes an [`ApiError`], the one place
//! where errors map to HTTP statuses and `{"detail": ...}` bodies.

pub mod auth;
pub mod error;
pub mod json;
pub mod pagination;
pub mod routes;
pub mod state;
pub mod telemetry;

use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub use error::ApiError;
pub use state::AppState;

/// The whole HTTP API, ready to serve.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(routes::health::router())
        .merge(routes::index::router())
        .merge(routes::ingest::router())
        .merge(routes::organizations::router())
        .merge(routes::teams::router())
        .merge(routes::members::router())
        .merge(routes::audit_logs::router())
        .merge(routes::projects::router())
        .merge(routes::keys::router())
        .merge(routes::issues::router())
        .merge(routes::issue_workflow::router())
        .merge(routes::events::router())
        .merge(routes::tokens::router());
    let timeout = state.request_timeout;
    let routes = routes.layer(middleware::from_fn(move |request, next| {
        deadline(timeout, request, next)
    }));
    telemetry::layer(routes).with_state(state)
}

/// Answers 503 (Retry-After) once `timeout` has passed. Dropping the handler is
/// safe: an uncommitted transaction rolls back, and an event the ingestor commits
/// after all was simply not acknowledged.
async fn deadline(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout_ms = timeout.as_millis() as u64,
                "request deadline passed"
            );
            ApiError::Unavailable.into_response()
        }
    }
}
