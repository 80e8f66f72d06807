//! Events: `/api/0/organizations/{org}/issues/{issue_id}/events/` (with `latest`,
//! `oldest` and event ids), and `/api/0/projects/{org}/{project}/events/{event_id}/`.
//!
//! Events are read from the log (the `EventIngested` payload holds the normalized
//! event) and shaped by [`crate::render::event`] as Sentry's event serializer does.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use faultline_projections::issues::queries::{self, IssueRow};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::{event_detail, event_of_issue};
use crate::pagination::{link_header, PageParams};
use crate::render::event::{event_detail_json, event_list_json, occurrence};
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
    let found = queries::events_of_issue(&state.pool, issue.org_id, issue.id, page).await?;
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
    let row = event_of_issue(state, issue, event_id).await?;
    Ok(Json(event_detail(state, &row, Some(&issue.hash)).await?))
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
    let row = queries::event_in_project(&state.pool, access.org.id, project.id, &event_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let issue = queries::get(&state.pool, access.org.id, row.issue_id).await?;
    Ok(Json(
        event_detail(&state, &row, issue.as_ref().map(|i| i.hash.as_str())).await?,
    ))
}
