//! Sentry's HTTP check-in endpoint for jobs that only have curl:
//! `GET|POST /api/{project_id}/cron/{monitor_slug}/{sentry_key}/` (or the key in a
//! header or `?sentry_key=`), with `?status=in_progress|ok|error` and optionally
//! `check_in_id`, `environment` and `duration` (seconds); a `POST` with a JSON body
//! sends a whole check-in, `monitor_config` included. Answers `202` with no body.
//!
//! Relay accepts first and drops a bad check-in later; here the check-in is recorded
//! before the answer, so a curl user sees what was wrong (400, 404) at once.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use faultline_domain::monitor;

use super::{admit, auth, body, parse_project_id, record_check_in, sender};
use crate::error::ApiError;
use crate::state::AppState;

fn refused(error: monitor::MonitorError) -> ApiError {
    ApiError::BadRequest(error.to_string())
}

/// `/api/{project_id}/cron/{monitor_slug}/{sentry_key}/`.
pub(super) async fn with_key(
    State(state): State<AppState>,
    Path((project_id, slug, key)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let given = auth::SentryAuth { key, client: None };
    check_in(
        state,
        &project_id,
        &slug,
        Some(given),
        query,
        peer,
        headers,
        body,
    )
    .await
}

/// `/api/{project_id}/cron/{monitor_slug}/`, the key in a header or the query.
pub(super) async fn without_key(
    State(state): State<AppState>,
    Path((project_id, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let given = auth::from_request(&headers, query.as_deref())?;
    check_in(state, &project_id, &slug, given, query, peer, headers, body).await
}

#[allow(clippy::too_many_arguments)]
async fn check_in(
    state: AppState,
    project_id: &str,
    slug: &str,
    given: Option<auth::SentryAuth>,
    query: Option<String>,
    peer: std::net::SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let project_id = parse_project_id(project_id)?;
    let sender = sender(
        &state,
        project_id,
        given,
        &headers,
        Some(peer.ip().to_string()),
    )
    .await?;
    let bytes: Bytes = body::read(body, &headers, &state.limits).await?;
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let received = if is_json && !bytes.is_empty() {
        monitor::parse_check_in(&bytes, Some(slug)).map_err(refused)?
    } else {
        monitor::parse_check_in_query(query.as_deref().unwrap_or_default(), slug)
            .map_err(refused)?
    };
    admit(&state, &sender, 1).await?;
    record_check_in(&state, &sender, received).await?;
    Ok(StatusCode::ACCEPTED)
}
