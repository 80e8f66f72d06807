//! Events: `/api/0/organizations/{org}/issues/{issue_id}/events/` (with `latest`,
//! `oldest` and event ids), and `/api/0/projects/{org}/{project}/events/{event_id}/`.
//!
//! Events are read from the log (the `EventIngested` payload holds the normalized
//! event) and shaped as Sentry's event serializer does: camelCase ids and frames, and
//! the interfaces as `entries`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use faultline_domain::issue::{IssueEvent, Occurrence};
use faultline_projections::issues::queries::{self, EventRow, IssueRow};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::date;
use crate::pagination::{link_header, PageParams};
use crate::resolve::{access_to_issue, resolve_issue, resolve_project, EVENT_READ};
use crate::state::AppState;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The event routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_of_issue))
        .routes(routes!(of_issue))
        .routes(routes!(of_issue_without_org))
        .routes(routes!(in_project))
}

/// The occurrence stored at an event's log position.
fn occurrence(row: &EventRow) -> Result<Occurrence, ApiError> {
    match serde_json::from_value::<IssueEvent>(row.current_payload()) {
        Ok(IssueEvent::EventIngested(occurrence)) => Ok(*occurrence),
        Ok(_) => Err(ApiError::Internal(
            format!("log position {} is not an ingested event", row.position).into(),
        )),
        Err(error) => Err(ApiError::internal(error)),
    }
}

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

/// `{type, value, filename, function}` of the main (last) exception and its crash
/// frame (the last in-app frame, else the last frame), or `{title}`.
fn event_metadata(data: &Value, title: &str) -> Value {
    let Some(main) = data
        .pointer("/exception/values")
        .and_then(Value::as_array)
        .and_then(|values| values.last())
    else {
        return json!({ "title": title });
    };
    let mut metadata = Map::new();
    if let Some(kind) = text(main, "type") {
        metadata.insert("type".into(), json!(kind));
    }
    if let Some(value) = text(main, "value") {
        metadata.insert("value".into(), json!(value));
    }
    let frames = main
        .pointer("/stacktrace/frames")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let frame = frames
        .iter()
        .rev()
        .find(|f| f.get("in_app").and_then(Value::as_bool) == Some(true))
        .or_else(|| frames.last());
    if let Some(frame) = frame {
        for key in ["filename", "function"] {
            if let Some(value) = text(frame, key) {
                metadata.insert(key.into(), json!(value));
            }
        }
    }
    Value::Object(metadata)
}

/// `[{key, value}]` from the stored `[[key, value]]` pairs.
fn tags_json(occurrence: &Occurrence) -> Value {
    Value::Array(
        occurrence
            .tags
            .iter()
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect(),
    )
}

fn message_of(data: &Value) -> String {
    data.pointer("/logentry/formatted")
        .or_else(|| data.pointer("/logentry/message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A time the client sent (RFC 3339 or Unix seconds) as Sentry's ISO string.
fn iso_time(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(|secs| {
                DateTime::<Utc>::from_timestamp(secs.trunc() as i64, (secs.fract() * 1e9) as u32)
            })
            .map(|t| json!(date(t)))
            .unwrap_or(Value::Null),
        Some(Value::String(s)) => json!(s),
        _ => Value::Null,
    }
}

/// A frame as Sentry's API shows it.
fn frame_json(frame: &Value) -> Value {
    let lineno = frame.get("lineno").and_then(Value::as_i64);
    let mut context = Vec::new();
    if let Some(line) = lineno {
        let pre = frame
            .get("pre_context")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let start = line - pre.len() as i64;
        for (i, text) in pre.into_iter().enumerate() {
            context.push(json!([start + i as i64, text]));
        }
        if let Some(current) = frame.get("context_line") {
            context.push(json!([line, current]));
        }
        let post = frame
            .get("post_context")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, text) in post.into_iter().enumerate() {
            context.push(json!([line + 1 + i as i64, text]));
        }
    }
    let field = |key: &str| frame.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "filename": field("filename"),
        "absPath": field("abs_path"),
        "module": field("module"),
        "package": field("package"),
        "platform": field("platform"),
        "instructionAddr": field("instruction_addr"),
        "symbolAddr": field("symbol_addr"),
        "function": field("function"),
        "rawFunction": field("raw_function"),
        "symbol": field("symbol"),
        "context": context,
        "lineNo": field("lineno"),
        "colNo": field("colno"),
        "inApp": frame.get("in_app").and_then(Value::as_bool).unwrap_or(false),
        "trust": field("trust"),
        "errors": null,
        "lock": null,
        "sourceLink": null,
        "vars": field("vars"),
    })
}

fn stacktrace_json(stacktrace: Option<&Value>) -> Value {
    let Some(stacktrace) = stacktrace.filter(|s| s.is_object()) else {
        return Value::Null;
    };
    let frames: Vec<Value> = stacktrace
        .get("frames")
        .and_then(Value::as_array)
        .map(|frames| frames.iter().map(frame_json).collect())
        .unwrap_or_default();
    let has_system_frames = frames.iter().any(|f| f["inApp"] == json!(false));
    json!({
        "frames": frames,
        "framesOmitted": stacktrace.get("frames_omitted").cloned().unwrap_or(Value::Null),
        "registers": stacktrace.get("registers").cloned().unwrap_or(Value::Null),
        "hasSystemFrames": has_system_frames,
    })
}

/// The event's interfaces as Sentry's `entries`.
fn entries(data: &Value) -> Vec<Value> {
    let mut entries = Vec::new();
    if let Some(values) = data.pointer("/exception/values").and_then(Value::as_array) {
        let values: Vec<Value> = values
            .iter()
            .map(|exception| {
                let field = |key: &str| exception.get(key).cloned().unwrap_or(Value::Null);
                json!({
                    "type": field("type"),
                    "value": field("value"),
                    "mechanism": field("mechanism"),
                    "threadId": field("thread_id"),
                    "module": field("module"),
                    "stacktrace": stacktrace_json(exception.get("stacktrace")),
                    "rawStacktrace": null,
                })
            })
            .collect();
        let has_system_frames = values
            .iter()
            .any(|v| v.pointer("/stacktrace/hasSystemFrames") == Some(&json!(true)));
        entries.push(json!({
            "type": "exception",
            "data": { "values": values, "excOmitted": null, "hasSystemFrames": has_system_frames },
        }));
    }
    if let Some(crumbs) = data
        .pointer("/breadcrumbs/values")
        .and_then(Value::as_array)
    {
        let values: Vec<Value> = crumbs
            .iter()
            .map(|crumb| {
                let field = |key: &str| crumb.get(key).cloned().unwrap_or(Value::Null);
                json!({
                    "type": field("type"),
                    "timestamp": iso_time(crumb.get("timestamp")),
                    "level": field("level"),
                    "message": field("message"),
                    "category": field("category"),
                    "data": field("data"),
                    "event_id": field("event_id"),
                })
            })
            .collect();
        entries.push(json!({ "type": "breadcrumbs", "data": { "values": values } }));
    }
    if let Some(request) = data.get("request").filter(|r| r.is_object()) {
        let field = |key: &str| request.get(key).cloned().unwrap_or(Value::Null);
        let query: Value = match request.get("query_string") {
            Some(Value::String(query)) => Value::Array(
                query
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        json!([k, v])
                    })
                    .collect(),
            ),
            Some(other) => pairs(other),
            None => json!([]),
        };
        entries.push(json!({
            "type": "request",
            "data": {
                "url": field("url"),
                "method": field("method"),
                "data": field("data"),
                "query": query,
                "fragment": field("fragment"),
                "cookies": request.get("cookies").map(pairs).unwrap_or(json!([])),
                "headers": request.get("headers").map(pairs).unwrap_or(json!([])),
                "env": field("env"),
                "inferredContentType": null,
            },
        }));
    }
    if let Some(logentry) = data.get("logentry").filter(|l| l.is_object()) {
        let field = |key: &str| logentry.get(key).cloned().unwrap_or(Value::Null);
        entries.push(json!({
            "type": "message",
            "data": {
                "formatted": field("formatted"),
                "message": field("message"),
                "params": field("params"),
            },
        }));
    }
    entries
}

/// An object or pair list as `[[key, value]]`, as Sentry shows headers and cookies.
fn pairs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Array(map.iter().map(|(k, v)| json!([k, v])).collect()),
        Value::Array(list) => Value::Array(list.clone()),
        _ => json!([]),
    }
}

/// The event as Sentry lists it.
pub fn event_list_json(row: &EventRow, occurrence: &Occurrence) -> Value {
    let data = &occurrence.data;
    let metadata = event_metadata(data, &occurrence.title);
    json!({
        "id": row.event_id,
        "event.type": text(data, "type").unwrap_or("default"),
        "groupID": row.issue_id.to_string(),
        "eventID": row.event_id,
        "projectID": row.project_id.to_string(),
        "message": message_of(data),
        "title": occurrence.title,
        "location": metadata.get("filename").cloned().unwrap_or(Value::Null),
        "culprit": occurrence.culprit,
        "user": data.get("user").cloned().unwrap_or(Value::Null),
        "tags": tags_json(occurrence),
        "platform": text(data, "platform"),
        "dateCreated": date(row.timestamp),
        "crashFile": null,
        "metadata": metadata,
    })
}

/// The full event, as Sentry's event detail shows it.
pub fn event_detail_json(
    row: &EventRow,
    occurrence: &Occurrence,
    issue_hash: Option<&str>,
    neighbours: (Option<String>, Option<String>),
) -> Value {
    let data = &occurrence.data;
    let metadata = event_metadata(data, &occurrence.title);
    let sdk = data
        .get("sdk")
        .filter(|s| s.is_object())
        .map(|sdk| {
            json!({
                "name": sdk.get("name").cloned().unwrap_or(Value::Null),
                "version": sdk.get("version").cloned().unwrap_or(Value::Null),
            })
        })
        .unwrap_or(Value::Null);
    let (previous, next) = neighbours;
    json!({
        "id": row.event_id,
        "groupID": row.issue_id.to_string(),
        "eventID": row.event_id,
        "projectID": row.project_id.to_string(),
        "size": null,
        "entries": entries(data),
        "dist": data.get("dist").cloned().unwrap_or(Value::Null),
        "message": message_of(data),
        "title": occurrence.title,
        "location": metadata.get("filename").cloned().unwrap_or(Value::Null),
        "culprit": occurrence.culprit,
        "user": data.get("user").cloned().unwrap_or(Value::Null),
        "contexts": data.get("contexts").cloned().unwrap_or(json!({})),
        "sdk": sdk,
        "context": data.get("extra").cloned().unwrap_or(json!({})),
        "packages": data.get("modules").cloned().unwrap_or(json!({})),
        "type": text(data, "type").unwrap_or("default"),
        "metadata": metadata,
        "tags": tags_json(occurrence),
        "platform": text(data, "platform").unwrap_or("other"),
        "dateReceived": date(row.received),
        "dateCreated": date(row.timestamp),
        "errors": [],
        "occurrence": null,
        "_meta": {},
        "crashFile": null,
        "fingerprints": issue_hash.map(|h| vec![h]).unwrap_or_default(),
        "groupingConfig": { "id": "newstyle:2023-01-11", "enhancements": "" },
        "release": null,
        "environment": occurrence.environment,
        "userReport": null,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": next,
        "previousEventID": previous,
    })
}

async fn detail_json(
    state: &AppState,
    row: &EventRow,
    issue_hash: Option<&str>,
) -> Result<Value, ApiError> {
    let occurrence = occurrence(row)?;
    let neighbours = queries::neighbours(&state.pool, row).await?;
    Ok(event_detail_json(row, &occurrence, issue_hash, neighbours))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    cursor: Option<String>,
    limit: Option<i64>,
    per_page: Option<i64>,
    full: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/events/",
    tag = "events",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ListParams),
    responses((status = 200, description = "Events of the issue, newest first", body = Vec<crate::openapi::Event>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list_of_issue(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let page = PageParams {
        cursor: params.cursor,
        limit: params.limit,
        per_page: params.per_page,
    }
    .page()?;
    let full = matches!(params.full.as_deref(), Some("1" | "true"));
    let found = queries::events_of_issue(&state.pool, issue.id, page).await?;
    let mut body = Vec::with_capacity(found.rows.len());
    for row in &found.rows {
        let occurrence = occurrence(row)?;
        body.push(if full {
            event_detail_json(row, &occurrence, Some(&issue.hash), (None, None))
        } else {
            event_list_json(row, &occurrence)
        });
    }
    Ok((
        link_header(&state.public_url, &uri, page, found.has_more),
        Json(body),
    ))
}

/// Event `event_id` (`latest`, `oldest`, `recommended` or an id) of `issue`.
async fn issue_event(
    state: &AppState,
    issue: &IssueRow,
    event_id: &str,
) -> Result<Json<Value>, ApiError> {
    let row = match event_id {
        "latest" | "recommended" => queries::latest_event(&state.pool, issue.id).await?,
        "oldest" => queries::oldest_event(&state.pool, issue.id).await?,
        id => {
            let id = faultline_domain::event::normalize_event_id(id).ok_or(ApiError::NotFound)?;
            queries::event_of_issue(&state.pool, issue.id, &id).await?
        }
    }
    .ok_or(ApiError::NotFound)?;
    Ok(Json(detail_json(state, &row, Some(&issue.hash)).await?))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/events/{event_id}/",
    tag = "events",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("event_id" = String, Path, description = "Event id (32 hex digits)")),
    responses((status = 200, description = "The event (`latest`, `oldest`, `recommended` or an id)", body = crate::openapi::Event))
)]
async fn of_issue(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    issue_event(&state, &issue, &event_id).await
}

#[utoipa::path(
    get,
    path = "/api/0/issues/{issue_id}/events/{event_id}/",
    tag = "events",
    params(("issue_id" = String, Path, description = "Numeric issue id"), ("event_id" = String, Path, description = "Event id (32 hex digits)")),
    responses((status = 200, description = "The event (`latest`, `oldest`, `recommended` or an id)", body = crate::openapi::Event))
)]
async fn of_issue_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((issue_id, event_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    issue_event(&state, &issue, &event_id).await
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/events/{event_id}/",
    tag = "events",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("event_id" = String, Path, description = "Event id (32 hex digits)")),
    responses((status = 200, description = "The event", body = crate::openapi::Event))
)]
async fn in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    access.require(&EVENT_READ)?;
    let event_id =
        faultline_domain::event::normalize_event_id(&event_id).ok_or(ApiError::NotFound)?;
    let row = queries::event_in_project(&state.pool, project.id, &event_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let issue = queries::get(&state.pool, access.org.id, row.issue_id).await?;
    Ok(Json(
        detail_json(&state, &row, issue.as_ref().map(|i| i.hash.as_str())).await?,
    ))
}
