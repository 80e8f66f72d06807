//! Sentry's ingestion endpoints: `POST /api/{project_id}/envelope/` and `/store/`.
//!
//! A request is authenticated by its client key (from the in-memory key cache, with
//! the key read model as fallback), its body is size-checked and decompressed, the
//! envelope is parsed (at most `MAX_ENVELOPE_ITEMS` items; JSON no deeper than
//! `MAX_JSON_DEPTH`), the key's and the project's rate limits are applied, each
//! event item is normalised and grouped (pure rules from `faultline_domain::event`),
//! and handed to the ingestor. The answer is `200 {"id": …}` only once the event is
//! committed to the log. Item types Faultline does not store are counted and accepted.

mod auth;
mod body;
mod cron;
mod outcome;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, Method};
use axum::routing::{get, post};
use axum::{Json, Router};
use faultline_domain::event::{
    check_json_depth, parse_envelope, payload_event_id, EnvelopeError, MAX_JSON_DEPTH,
};
use faultline_domain::metadata::{Actor, EventMetadata};
use faultline_projections::accounts::key_cache::KeyInfo;
use faultline_projections::accounts::queries::keys;
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::ingest_pipeline::{submit_event, Submitter};
use crate::state::AppState;
use crate::telemetry::REQUEST_ID;
use outcome::Tally;

/// The ingestion routes, with CORS for browser SDKs.
pub fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(
            [
                "x-sentry-auth",
                "x-requested-with",
                "x-forwarded-for",
                "origin",
                "referer",
                "accept",
                "content-type",
                "authentication",
                "authorization",
                "content-encoding",
                "transfer-encoding",
            ]
            .map(HeaderName::from_static),
        )
        .expose_headers(
            ["x-sentry-error", "x-sentry-rate-limits", "retry-after"].map(HeaderName::from_static),
        )
        .max_age(std::time::Duration::from_secs(3600));
    Router::new()
        .route("/api/{project_id}/envelope/", post(envelope))
        .route("/api/{project_id}/store/", post(store))
        .method_not_allowed_fallback(crate::fallback::method_not_allowed)
        .layer(cors)
        .merge(cron_router())
}

/// The HTTP check-in endpoint, with and without the key in the path and the slash.
fn cron_router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(
            ["x-sentry-auth", "authorization", "content-type"].map(HeaderName::from_static),
        );
    let with_key = get(cron::with_key).post(cron::with_key);
    let without_key = get(cron::without_key).post(cron::without_key);
    Router::new()
        .route(
            "/api/{project_id}/cron/{monitor_slug}/{sentry_key}/",
            with_key.clone(),
        )
        .route(
            "/api/{project_id}/cron/{monitor_slug}/{sentry_key}",
            with_key,
        )
        .route(
            "/api/{project_id}/cron/{monitor_slug}/",
            without_key.clone(),
        )
        .route("/api/{project_id}/cron/{monitor_slug}", without_key)
        .method_not_allowed_fallback(crate::fallback::method_not_allowed)
        .layer(cors)
}

/// What the handler knows about the request before looking at items.
struct Sender {
    project_id: i64,
    public_key: String,
    key: KeyInfo,
    client: Option<String>,
    client_ip: Option<String>,
    request_id: Option<String>,
}

fn parse_project_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::BadRequest("invalid project id in path".into()))
}

/// Looks the key up (cache first, read model second) and checks it may send to
/// `project_id`: unknown, inactive, deleted or another project's key → 403.
async fn authorize(
    state: &AppState,
    project_id: i64,
    public_key: &str,
) -> Result<KeyInfo, ApiError> {
    let rejected =
        || ApiError::ForbiddenBecause("event submission rejected with_reason: ProjectId".into());
    let key = match state.keys.get(public_key) {
        Some(key) => key,
        None => keys::ingest_info(&state.pool, public_key)
            .await?
            .ok_or_else(rejected)?,
    };
    if key.project_id != project_id || !key.is_active {
        return Err(rejected());
    }
    Ok(key)
}

async fn sender(
    state: &AppState,
    project_id: i64,
    auth: Option<auth::SentryAuth>,
    headers: &HeaderMap,
    client_ip: Option<String>,
) -> Result<Sender, ApiError> {
    let auth = auth.ok_or(ApiError::Unauthorized("missing authorization information"))?;
    let key = authorize(state, project_id, &auth.key).await?;
    let client = auth.client.or_else(|| {
        headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    Ok(Sender {
        project_id,
        public_key: auth.key,
        key,
        client,
        client_ip,
        request_id: headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    })
}

/// Takes `count` items from the sender's key's rate limit and its project's
/// (`429` when either is used up).
async fn admit(state: &AppState, sender: &Sender, count: u32) -> Result<(), ApiError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    state
        .limiter
        .admit(&sender.public_key, sender.key.rate_limit, count, now)?;
    state
        .project_limiter
        .admit(&state.pool, sender.project_id, count, now)
        .await
}

/// Checks and parses one event, then stores it through [`submit_event`]; returns
/// its id once committed.
async fn ingest_event(
    state: &AppState,
    sender: &Sender,
    payload: &[u8],
    envelope_event_id: Option<String>,
) -> Result<String, ApiError> {
    if payload.len() > state.limits.event {
        return Err(ApiError::PayloadTooLarge(
            "event exceeded size limits".into(),
        ));
    }
    let invalid =
        |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("invalid event JSON: {e}"));
    check_json_depth(payload, MAX_JSON_DEPTH).map_err(|e| invalid(&e))?;
    // One UTF-8 check of the whole payload is cheaper than validating every string
    // copied; the event stays a sonic-rs value from here to its stored body.
    let text = std::str::from_utf8(payload).map_err(|e| invalid(&e))?;
    let raw: sonic_rs::Value = sonic_rs::from_str(text).map_err(|e| invalid(&e))?;
    let event_id = envelope_event_id
        .or_else(|| payload_event_id(&raw))
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let submitter = Submitter {
        org_id: sender.key.org_id,
        project_id: sender.project_id,
        actor: Actor::Key(sender.public_key.clone()),
        client: sender.client.as_deref(),
        client_ip: sender.client_ip.as_deref(),
        request_id: sender.request_id.as_deref(),
        issue_type: None,
    };
    submit_event(state, submitter, raw, event_id).await
}

/// Records `received` on its monitor, as sent by `sender`.
async fn record_check_in(
    state: &AppState,
    sender: &Sender,
    received: faultline_domain::monitor::ReceivedCheckIn,
) -> Result<(), ApiError> {
    let metadata = EventMetadata {
        actor: Actor::Key(sender.public_key.clone()),
        request_id: sender.request_id.clone(),
        ip_address: sender.client_ip.clone(),
        time: chrono::Utc::now(),
    };
    let target = crate::monitor_ops::CheckInTarget {
        org_id: sender.key.org_id,
        project_id: sender.project_id,
    };
    crate::monitor_ops::record_check_in(state, target, received, &metadata).await
}

/// Records a `check_in` item on its monitor. As in Relay, a check-in that cannot be
/// taken (unreadable, an unknown monitor without a config, a disabled monitor) is
/// dropped without failing the envelope: SDKs do not read per-item answers. Only an
/// unavailable store fails it, so the SDK retries.
async fn ingest_check_in(
    state: &AppState,
    sender: &Sender,
    payload: &[u8],
) -> Result<(), ApiError> {
    let received = match faultline_domain::monitor::parse_check_in(payload, None) {
        Ok(received) => received,
        Err(error) => {
            tracing::info!(project_id = sender.project_id, %error, "check-in dropped");
            return Ok(());
        }
    };
    match record_check_in(state, sender, received).await {
        Err(error @ (ApiError::Unavailable | ApiError::Internal(_))) => Err(error),
        Err(error) => {
            tracing::info!(project_id = sender.project_id, %error, "check-in dropped");
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

async fn envelope(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    receive(
        Endpoint::Envelope,
        state,
        project_id,
        query,
        peer,
        headers,
        body,
    )
    .await
}

/// Which ingestion endpoint a request came to.
#[derive(Clone, Copy)]
enum Endpoint {
    Envelope,
    Store,
}

/// Reads the body and hands it to the endpoint's handler, counting the request and
/// its items by outcome however it ends.
async fn receive(
    endpoint: Endpoint,
    state: AppState,
    project_id: String,
    query: Option<String>,
    peer: std::net::SocketAddr,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let mut tally = Tally::new(match endpoint {
        Endpoint::Envelope => "envelope",
        Endpoint::Store => "store",
    });
    let result = async {
        let project_id = parse_project_id(&project_id)?;
        let bytes = body::read(body, &headers, &state.limits).await?;
        let (state, query, headers) = (&state, query.as_deref(), &headers);
        match endpoint {
            Endpoint::Envelope => {
                handle_envelope(state, project_id, query, peer, headers, &bytes, &mut tally).await
            }
            Endpoint::Store => {
                handle_store(state, project_id, query, peer, headers, &bytes, &mut tally).await
            }
        }
    }
    .await;
    tally.finish(&result);
    result
}

async fn handle_envelope(
    state: &AppState,
    project_id: i64,
    query: Option<&str>,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
    bytes: &Bytes,
    tally: &mut Tally,
) -> Result<Json<Value>, ApiError> {
    let envelope = parse_envelope(bytes).map_err(|e| match e {
        // Relay answers an envelope over a count limit (sessions) like one over a size limit.
        EnvelopeError::TooManyItems { .. } => ApiError::PayloadTooLarge(e.to_string()),
        other => ApiError::BadRequest(format!("invalid envelope: {other}")),
    })?;
    for item in &envelope.items {
        tally.item(&item.item_type);
    }
    let mut auth = auth::from_request(headers, query)?;
    if let Some((key, dsn_project)) = envelope.dsn().and_then(auth::from_dsn) {
        if dsn_project != project_id {
            return Err(ApiError::ForbiddenBecause(
                "event submission rejected with_reason: ProjectId".into(),
            ));
        }
        match &auth {
            Some(given) if given.key != key => {
                return Err(ApiError::Unauthorized(
                    "multiple authorization payloads detected",
                ));
            }
            Some(_) => {}
            None => auth = Some(auth::SentryAuth { key, client: None }),
        }
    }
    let sender = sender(
        state,
        project_id,
        auth,
        headers,
        Some(peer.ip().to_string()),
    )
    .await?;
    let events = envelope
        .items
        .iter()
        .filter(|item| item.item_type == "event")
        .count() as u32;
    admit(state, &sender, events.max(1)).await?;
    let mut id = envelope.event_id();
    for item in &envelope.items {
        if item.item_type == "event" {
            id = Some(ingest_event(state, &sender, &item.payload, envelope.event_id()).await?);
        } else if item.item_type == "check_in" {
            ingest_check_in(state, &sender, &item.payload).await?;
        }
        // Types Faultline does not store are accepted all the same.
        tally.accepted();
    }
    Ok(Json(match id {
        Some(id) => json!({ "id": id }),
        None => json!({}),
    }))
}

async fn store(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    receive(
        Endpoint::Store,
        state,
        project_id,
        query,
        peer,
        headers,
        body,
    )
    .await
}

/// A `store` body: one event, or an envelope sent there with its content type.
async fn handle_store(
    state: &AppState,
    project_id: i64,
    query: Option<&str>,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
    bytes: &Bytes,
    tally: &mut Tally,
) -> Result<Json<Value>, ApiError> {
    let is_envelope = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-sentry-envelope"));
    if is_envelope {
        return handle_envelope(state, project_id, query, peer, headers, bytes, tally).await;
    }
    tally.item("event");
    let auth = auth::from_request(headers, query)?;
    let sender = sender(
        state,
        project_id,
        auth,
        headers,
        Some(peer.ip().to_string()),
    )
    .await?;
    if bytes.is_empty() {
        return Err(ApiError::BadRequest("empty request body".into()));
    }
    admit(state, &sender, 1).await?;
    let id = ingest_event(state, &sender, bytes, None).await?;
    tally.accepted();
    Ok(Json(json!({ "id": id })))
}
