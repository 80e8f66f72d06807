//! Bulk `PUT`/`DELETE` of the issue lists (`/api/0/organizations/{org}/issues/`,
//! `/api/0/projects/{org}/{project}/issues/`): the issues named by `id=`, else those
//! matching `query=`. A `PUT` with `merge: 1` merges them.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use faultline_domain::search::{self, IssueSort, DEFAULT_QUERY};
use faultline_projections::issues::queries::{self, IssueRow};
use faultline_projections::issues::search::{self as issue_search, Search, SearchScope};
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::{apply_update, bad, delete_issue, detail_for, merge, parse_update};
use crate::json::JsonBody;
use crate::params::{id_filter, project_filter, query_values};
use crate::resolve::{resolve_project, EVENT_ADMIN, EVENT_WRITE};
use crate::state::AppState;

/// The most issues one bulk request changes.
const MAX_BULK: i64 = 100;

/// The issues a bulk request names: `id=` parameters, else the `query=` search
/// (Sentry's default query when absent), at most [`MAX_BULK`].
async fn selected_issues(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    project_ids: Option<Vec<i64>>,
) -> Result<Vec<IssueRow>, ApiError> {
    let ids = id_filter(uri)?;
    if !ids.is_empty() {
        if ids.len() as i64 > MAX_BULK {
            return Err(bad(format!("At most {MAX_BULK} issues at once.")));
        }
        let rows = queries::by_ids(&state.pool, access.org.id, None, &ids).await?;
        return Ok(rows
            .into_iter()
            .filter(|row| {
                project_ids
                    .as_ref()
                    .is_none_or(|projects| projects.contains(&row.project_id))
            })
            .collect());
    }
    let raw = query_values(uri, "query");
    let query = search::parse(
        raw.first().map(String::as_str).unwrap_or(DEFAULT_QUERY),
        Utc::now(),
    )
    .map_err(|error| bad(error.to_string()))?;
    let scope = SearchScope {
        org_id: access.org.id,
        project_ids,
        environments: query_values(uri, "environment"),
        user_id: Some(access.caller.user_id()),
    };
    let page = issue_search::search(
        &state.pool,
        &Search {
            query: &query,
            sort: IssueSort::default(),
            scope: &scope,
            cursor: None,
            limit: MAX_BULK,
        },
    )
    .await?;
    Ok(page.rows)
}

async fn bulk_update(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    project_ids: Option<Vec<i64>>,
    body: &Value,
) -> Result<Response, ApiError> {
    access.require(&EVENT_WRITE)?;
    let update = parse_update(state, access, body).await?;
    let rows = selected_issues(state, access, uri, project_ids).await?;
    if rows.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let metadata = access.caller.metadata();
    if update.merge {
        return Ok(Json(merge(state, access, &rows, &metadata).await?).into_response());
    }
    for row in &rows {
        apply_update(state, access, row, &update, &metadata).await?;
    }
    let mut echo = update.echo.clone();
    if let Some(assign) = update.assign {
        let assigned = match (assign, rows.first()) {
            (Some(_), Some(first)) => {
                let detail = detail_for(state, access, &first.id.to_string()).await?;
                detail["assignedTo"].clone()
            }
            _ => Value::Null,
        };
        echo.insert("assignedTo".into(), assigned);
    }
    Ok(Json(Value::Object(echo)).into_response())
}

/// `PUT /api/0/organizations/{org}/issues/?id=…`.
#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = Option<Vec<i64>>, Query, description = "Project ids (repeat); none or -1: every project"), ("id" = Option<Vec<i64>>, Query, description = "Issue ids (repeat); none: the issues matching `query`"), ("query" = Option<String>, Query, description = "Search query when no `id` is given")),
    request_body = crate::openapi::IssueUpdate,
    responses((status = 200, description = "The fields changed (for a merge: `merge` with `parent` and `children`)", body = serde_json::Value), (status = 204, description = "No issue matched"))
)]
pub(super) async fn bulk_update_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let projects = project_filter(&uri)?;
    bulk_update(&state, &access, &uri, projects, &body).await
}

/// `PUT /api/0/projects/{org}/{project}/issues/?id=…`.
#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("id" = Option<Vec<i64>>, Query, description = "Issue ids (repeat); none: the issues matching `query`"), ("query" = Option<String>, Query, description = "Search query when no `id` is given")),
    request_body = crate::openapi::IssueUpdate,
    responses((status = 200, description = "The fields changed (for a merge: `merge` with `parent` and `children`)", body = serde_json::Value), (status = 204, description = "No issue matched"))
)]
pub(super) async fn bulk_update_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    bulk_update(&state, &access, &uri, Some(vec![project.id]), &body).await
}

async fn bulk_delete(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    project_ids: Option<Vec<i64>>,
) -> Result<Response, ApiError> {
    access.require(&EVENT_ADMIN)?;
    let rows = selected_issues(state, access, uri, project_ids).await?;
    let metadata = access.caller.metadata();
    for row in &rows {
        delete_issue(state, access, row, &metadata).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/0/organizations/{org}/issues/?id=…`.
#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = Option<Vec<i64>>, Query, description = "Project ids (repeat); none or -1: every project"), ("id" = Option<Vec<i64>>, Query, description = "Issue ids (repeat); none: the issues matching `query`"), ("query" = Option<String>, Query, description = "Search query when no `id` is given")),
    responses((status = 204, description = "Deleted (or none matched)"))
)]
pub(super) async fn bulk_delete_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let projects = project_filter(&uri)?;
    bulk_delete(&state, &access, &uri, projects).await
}

/// `DELETE /api/0/projects/{org}/{project}/issues/?id=…`.
#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("id" = Option<Vec<i64>>, Query, description = "Issue ids (repeat); none: the issues matching `query`"), ("query" = Option<String>, Query, description = "Search query when no `id` is given")),
    responses((status = 204, description = "Deleted (or none matched)"))
)]
pub(super) async fn bulk_delete_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    bulk_delete(&state, &access, &uri, Some(vec![project.id])).await
}
