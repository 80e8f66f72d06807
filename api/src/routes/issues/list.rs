//! The issue lists: `GET /api/0/organizations/{org}/issues/` and
//! `GET /api/0/projects/{org}/{project}/issues/`, the issue search with keyset cursors.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use faultline_domain::search::DEFAULT_QUERY;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::{list_issues, IssueList, IssueListRequest};
use crate::pagination::cursor_link_header;
use crate::params::{project_filter, query_values};
use crate::render::issue::issue_json;
use crate::resolve::{resolve_project, EVENT_READ};
use crate::state::AppState;

/// Issues per page when the client asks for none, as in Sentry.
const DEFAULT_ISSUE_LIMIT: i64 = 25;

/// Parameters of the issue lists; `project=` and `environment=` repeat, so they are
/// read from the URI.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Search query; absent means [`DEFAULT_QUERY`], empty means every issue.
    query: Option<String>,
    /// `date`, `new`, `freq` or `user`.
    sort: Option<String>,
    /// `24h`, `14d` or empty.
    #[serde(rename = "statsPeriod")]
    stats_period: Option<String>,
    /// A keyset cursor from a previous `Link` header.
    cursor: Option<String>,
    /// Page size.
    limit: Option<i64>,
    /// Page size (other lists' name).
    per_page: Option<i64>,
}

/// The most issues a page holds.
const MAX_ISSUE_LIMIT: i64 = 100;

/// One page of the issue search in `project_ids` (all of the organization's when
/// `None`), with its `Link` header and, when asked, per-issue event stats.
async fn list(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    params: ListParams,
    project_ids: Option<Vec<i64>>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params
        .limit
        .or(params.per_page)
        .unwrap_or(DEFAULT_ISSUE_LIMIT)
        .clamp(1, MAX_ISSUE_LIMIT);
    let IssueList {
        page,
        stats,
        viewers,
    } = list_issues(
        state,
        access,
        IssueListRequest {
            query: params.query.as_deref().unwrap_or(DEFAULT_QUERY),
            sort: params.sort.as_deref().unwrap_or_default(),
            stats_period: params.stats_period.as_deref().unwrap_or_default(),
            cursor: params.cursor.as_deref().unwrap_or_default(),
            limit,
            project_ids,
            environments: query_values(uri, "environment"),
        },
        Utc::now(),
    )
    .await?;
    let body: Vec<Value> = page
        .rows
        .iter()
        .map(|row| {
            let mut issue = issue_json(state, &access.org.slug, row, viewers.get(&row.id));
            if let Some((period, stats)) = &stats {
                let buckets = stats.get(&row.id).cloned().unwrap_or_default();
                issue["stats"] = json!({ period.key(): buckets });
            }
            issue
        })
        .collect();
    Ok((
        cursor_link_header(
            &state.public_url,
            uri,
            (&page.previous.to_string(), page.has_previous),
            (&page.next.to_string(), page.has_next),
        ),
        Json(body),
    ))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ListParams, ("project" = Option<Vec<i64>>, Query, description = "Project ids (repeat); none or -1: every project"), ("environment" = Option<Vec<String>>, Query, description = "Environments (repeat)")),
    responses((status = 200, description = "One page of matching issues", body = Vec<crate::openapi::Issue>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn list_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&EVENT_READ)?;
    let projects = project_filter(&uri)?;
    list(&state, &access, &uri, params, projects).await
}

/// The project's issues; the path names the project, so `project=` is not read.
#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/issues/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ListParams, ("environment" = Option<Vec<String>>, Query, description = "Environments (repeat)")),
    responses((status = 200, description = "One page of matching issues", body = Vec<crate::openapi::Issue>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn list_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    access.require(&EVENT_READ)?;
    list(&state, &access, &uri, params, Some(vec![project.id])).await
}
