//! Issues: `/api/0/organizations/{org}/issues/`, `/api/0/projects/{org}/{project}/issues/`,
//! `/api/0/organizations/{org}/issues/{issue_id}/` (and `/api/0/issues/{issue_id}/`),
//! and an issue's tags.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use faultline_domain::search::{self, IssueSort, SearchError, DEFAULT_QUERY};
use std::collections::HashMap;

use faultline_projections::issues::queries::{self, IssueRow, ViewerState};
use faultline_projections::issues::search::{
    self as issue_search, Cursor, Search, SearchScope, StatsPeriod,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::pagination::{cursor_link_header, paged, PageParams};
use crate::params::{percent_decode, project_filter, query_values};
use crate::render::issue::{issue_detail_json, issue_json, tag_summary_json, tag_value_json};
use crate::resolve::{access_to_issue, resolve_issue, resolve_project, EVENT_READ};
use crate::routes::issue_workflow;
use crate::state::AppState;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Issues per page when the client asks for none, as in Sentry.
const DEFAULT_ISSUE_LIMIT: i64 = 25;
/// Top values shown per tag key.
const TOP_TAG_VALUES: i64 = 9;

/// The issue routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            list_in_org,
            issue_workflow::bulk_update_in_org,
            issue_workflow::bulk_delete_in_org
        ))
        .routes(routes!(
            list_in_project,
            issue_workflow::bulk_update_in_project,
            issue_workflow::bulk_delete_in_project
        ))
        .routes(routes!(
            detail,
            issue_workflow::update_in_org,
            issue_workflow::delete_in_org
        ))
        .routes(routes!(
            detail_without_org,
            issue_workflow::update_without_org,
            issue_workflow::delete_without_org
        ))
        .routes(routes!(tags))
        .routes(routes!(tag_detail))
        .routes(routes!(tag_values))
}

/// The workflow state of `rows` as `user_id` sees it, by issue id.
pub async fn viewer_states(
    state: &AppState,
    rows: &[IssueRow],
    user_id: i64,
) -> Result<HashMap<i64, ViewerState>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    Ok(queries::viewer_states(&state.pool, &ids, user_id)
        .await?
        .into_iter()
        .map(|viewer| (viewer.issue_id, viewer))
        .collect())
}

/// Parameters of the issue lists; `project=` and `environment=` repeat, so they are
/// read from the URI.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
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
    let now = Utc::now();
    let query = search::parse(params.query.as_deref().unwrap_or(DEFAULT_QUERY), now)
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let sort: IssueSort = match params.sort.as_deref() {
        None | Some("") => IssueSort::default(),
        Some(sort) => sort
            .parse()
            .map_err(|error: SearchError| ApiError::BadRequest(error.to_string()))?,
    };
    let stats_period = match params.stats_period.as_deref() {
        None | Some("") => None,
        Some(value) => Some(StatsPeriod::from_param(value).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid statsPeriod {value:?}: expected 24h, 14d or empty."
            ))
        })?),
    };
    let cursor = match params.cursor.as_deref().map(str::trim) {
        // sentry-cli asks for the first page with an empty `cursor=`.
        None | Some("") => None,
        Some(cursor) => Some(
            Cursor::parse(cursor, sort)
                .ok_or_else(|| ApiError::BadRequest("Invalid cursor parameter.".into()))?,
        ),
    };
    let limit = params
        .limit
        .or(params.per_page)
        .unwrap_or(DEFAULT_ISSUE_LIMIT)
        .clamp(1, MAX_ISSUE_LIMIT);
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
            sort,
            scope: &scope,
            cursor,
            limit,
        },
    )
    .await?;
    let stats = match stats_period {
        Some(period) => {
            let ids: Vec<i64> = page.rows.iter().map(|row| row.id).collect();
            Some((
                period,
                issue_search::stats(&state.pool, &ids, period, now).await?,
            ))
        }
        None => None,
    };
    let viewers = viewer_states(state, &page.rows, access.caller.user_id()).await?;
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
async fn list_in_org(
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
async fn list_in_project(
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

/// The detail of issue `issue_id` as the caller sees it.
pub async fn detail_for(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
) -> Result<Value, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    // Independent reads on separate connections: one round trip of latency, not three.
    let (tags, activity, viewers) = tokio::try_join!(
        async {
            Ok::<_, ApiError>(queries::tag_keys(&state.pool, row.id, None, TOP_TAG_VALUES).await?)
        },
        async { Ok::<_, ApiError>(queries::activity(&state.pool, row.id).await?) },
        viewer_states(state, std::slice::from_ref(&row), access.caller.user_id()),
    )?;
    Ok(issue_detail_json(
        state,
        &access.org.slug,
        &row,
        viewers.get(&row.id),
        &tags,
        &activity,
    ))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 200, description = "The issue, with tags and activity", body = crate::openapi::Issue))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    Ok(Json(detail_for(&state, &access, &issue_id).await?))
}

#[utoipa::path(
    get,
    path = "/api/0/issues/{issue_id}/",
    tag = "issues",
    params(("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 200, description = "The issue, with tags and activity", body = crate::openapi::Issue))
)]
async fn detail_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    Ok(Json(detail_for(&state, &access, &issue_id).await?))
}

/// The repeated `key=<tag>` parameters, if any.
fn key_filter(uri: &axum::http::Uri) -> Option<Vec<String>> {
    let keys: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("key="))
        .map(percent_decode)
        .collect();
    (!keys.is_empty()).then_some(keys)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = Option<Vec<String>>, Query, description = "Only these keys (repeat)")),
    responses((status = 200, description = "Tag keys with their top values", body = Vec<crate::openapi::TagKey>))
)]
async fn tags(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let keys = key_filter(&uri);
    let rows = queries::tag_keys(&state.pool, issue.id, keys.as_deref(), TOP_TAG_VALUES).await?;
    Ok(Json(Value::Array(
        rows.iter().map(tag_summary_json).collect(),
    )))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/{key}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = String, Path, description = "Tag key")),
    responses((status = 200, description = "The tag key with its top values", body = crate::openapi::TagKey))
)]
async fn tag_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, key)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let rows = queries::tag_keys(
        &state.pool,
        issue.id,
        Some(std::slice::from_ref(&key)),
        TOP_TAG_VALUES,
    )
    .await?;
    let row = rows.first().ok_or(ApiError::NotFound)?;
    Ok(Json(tag_summary_json(row)))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/{key}/values/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = String, Path, description = "Tag key"), crate::pagination::PageParams),
    responses((status = 200, description = "Values of the tag, most frequent first", body = Vec<crate::openapi::TagValue>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn tag_values(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, key)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let page = params.page()?;
    let found = queries::tag_values(&state.pool, issue.id, &key, page).await?;
    if found.rows.is_empty() && page.offset == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(paged(&state.public_url, &uri, page, &found, tag_value_json))
}
