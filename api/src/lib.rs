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
pub mod timeout;

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
    let routes = timeout::layer(routes, state.request_timeout);
    telemetry::layer(routes).with_state(state)
}
