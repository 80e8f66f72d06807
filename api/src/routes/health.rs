//! `GET /_health` (the process is up) and `GET /_ready` (database, projections, and
//! whether retention is held back).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use faultline_projections::status::statuses;
use serde_json::{json, Value};

use crate::state::AppState;

/// The health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_health", get(health))
        .route("/_ready", get(ready))
}

/// Which Faultline answers, so an operator can tell what runs.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": crate::VERSION }))
}

/// 200 when the database answers and no projection has stopped; 503 otherwise.
/// Either way the body lists each projection's lag in events.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match statuses(&state.pool, &state.runners()).await {
        Ok(projections) => {
            let failed = projections.iter().any(|p| p.failed);
            let status = if failed {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            // Reported, not a failure: retention waits and nothing is lost.
            let held_back = faultline_projections::storage::retention_hold(&state.pool)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "could not read the latest retention pass");
                    None
                });
            let body = json!({
                "status": if failed { "degraded" } else { "ready" },
                "database": "ok",
                "projections": projections,
                "retention": {"heldBack": held_back},
            });
            (status, Json(body))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check could not reach the database");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
