//! Faultline's HTTP surface.
//!
//! [`router`] assembles one router per resource module under [`routes`]; handlers
//! turn requests into commands (through `faultline_commands`) or queries (through
//! `faultline_projections`), and every failure becomes an [`ApiError`], the one place
//! where errors map to HTTP statuses and `{"detail": ...}` bodies.

pub mod auth;
pub mod erasure;
pub mod error;
pub mod fallback;
pub mod fields;
pub mod grouping;
pub mod ingest_limits;
pub mod ingest_pipeline;
pub mod issue_ops;
pub mod json;
pub mod key_ops;
pub mod member_ops;
pub mod metrics;
pub mod monitor_ops;
pub mod openapi;
pub mod pagination;
pub mod params;
pub mod releases_seen;
pub mod render;
pub mod resolve;
pub mod routes;
pub mod sourcemaps;
pub mod state;
pub mod team_ops;
pub mod telemetry;
pub mod timeout;
pub mod ui;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;
pub use state::{AppState, Shared};

/// Faultline's version, as `faultline --version` prints it (the workspace shares one).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The whole HTTP surface, ready to serve.
pub fn router(state: AppState) -> Router {
    serve_layers(app_routes().merge(routes::metrics::router()), state)
}

/// [`router`] without `/metrics`, for a server that serves it on an address of its
/// own ([`metrics_router`]).
pub fn router_without_metrics(state: AppState) -> Router {
    serve_layers(app_routes(), state)
}

/// `GET /metrics` alone.
pub fn metrics_router(state: AppState) -> Router {
    serve_layers(routes::metrics::router(), state)
}

fn app_routes() -> Router<AppState> {
    let (rest, _) = rest_routes().split_for_parts();
    // Health checks and ingestion are not part of the REST API (`/api/0/`): they are
    // plain routes, outside the OpenAPI document.
    Router::new()
        .merge(routes::home::router())
        .merge(ui::router())
        .merge(routes::health::router())
        .merge(rest)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .merge(routes::ingest::router())
}

/// Unknown paths answer `{"detail"}` like every other error (each module router
/// sets the wrong-method answer: [`fallback::method_not_allowed`]); then the
/// timeout, request ids, the request span and metrics.
fn serve_layers(routes: Router<AppState>, state: AppState) -> Router {
    let routes = routes.fallback(fallback::not_found);
    let routes = timeout::layer(routes, state.request_timeout);
    telemetry::layer(routes).with_state(state)
}

/// The OpenAPI document of the REST API, as served at `/api/0/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::finish(rest_routes().split_for_parts().1)
}

/// Every route under `/api/0/`, each registered from its `#[utoipa::path]`
/// annotation (`routes!`), so none can be missing from the document.
fn rest_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::openapi_json))
        .merge(routes::index::router())
        .merge(routes::organizations::router())
        .merge(routes::teams::router())
        .merge(routes::members::router())
        .merge(routes::audit_logs::router())
        .merge(routes::notifications::router())
        .merge(routes::projects::router())
        .merge(routes::keys::router())
        .merge(routes::issues::router())
        .merge(routes::events::router())
        .merge(routes::tokens::router())
        .merge(routes::workflows::router())
        .merge(routes::detectors::router())
        .merge(routes::service_hooks::router())
        .merge(routes::monitors::router())
        .merge(routes::releases::router())
        .merge(routes::environments::router())
        .merge(routes::erasures::router())
        .merge(routes::artifact_bundles::router())
        .merge(routes::grouping_info::router())
}
