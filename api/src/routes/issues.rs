//! Issues: `/api/0/organizations/{org}/issues/`, `/api/0/projects/{org}/{project}/issues/`,
//! `/api/0/organizations/{org}/issues/{issue_id}/` (and `/api/0/issues/{issue_id}/`),
//! and an issue's tags.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use faultline_domain::issue::short_id;
use faultline_domain::search::{self, IssueSort, SearchError, DEFAULT_QUERY};
use std::collections::HashMap;

use faultline_projections::issues::queries::{
    self, ActivityRow, IssueRow, TagKeyRow, TagValueRow, ViewerState,
};
use faultline_projections::issues::search::{
    self as issue_search, Cursor, Search, SearchScope, StatsPeriod,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::date;
use crate::pagination::{cursor_link_header, paged, PageParams};
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

/// Sentry's default priority for an issue of this level.
fn priority(level: &str) -> &'static str {
    match level {
        "fatal" | "error" => "high",
        "warning" => "medium",
        _ => "low",
    }
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

/// Sentry's `assignedTo`: `{type, id, name, email?}` or null.
fn assigned_to_json(row: &IssueRow, viewer: &ViewerState) -> Value {
    match (row.assignee_user_id, row.assignee_team_id) {
        (Some(user_id), _) => {
            let email = viewer.assignee_email.clone().unwrap_or_default();
            let name = viewer
                .assignee_name
                .clone()
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| email.clone());
            json!({"type": "user", "id": user_id.to_string(), "name": name, "email": email})
        }
        (None, Some(team_id)) => json!({
            "type": "team",
            "id": team_id.to_string(),
            "name": viewer.assignee_team_slug.clone().unwrap_or_default(),
        }),
        (None, None) => Value::Null,
    }
}

/// The issue as Sentry lists it, as `viewer` sees it. Fields about features Faultline
/// does not have (inbox, ownership, autofix) carry Sentry's answer for an issue
/// without them.
pub fn issue_json(
    state: &AppState,
    org_slug: &str,
    row: &IssueRow,
    viewer: Option<&ViewerState>,
) -> Value {
    let default_viewer = ViewerState::default();
    let viewer = viewer.unwrap_or(&default_viewer);
    let first_seen = date(row.first_seen);
    let last_seen = date(row.last_seen);
    let mut body = json!({
        "id": row.id.to_string(),
        "shareId": null,
        "shortId": short_id(&row.project_slug, row.short_number),
        "title": row.title,
        "culprit": row.culprit,
        "permalink": format!("{}/organizations/{org_slug}/issues/{}/", state.public_url, row.id),
        "logger": null,
        "level": row.level,
        "status": row.status,
        "statusDetails": row.status_details,
        "substatus": row.substatus,
        "isPublic": row.is_public,
        "platform": row.platform,
        "priority": priority(&row.level),
        "priorityLockedAt": null,
        "seerFixabilityScore": null,
        "seerAutofixLastTriggered": null,
        "seerExplorerAutofixLastTriggered": null,
        "project": {
            "id": row.project_id.to_string(),
            "name": row.project_name,
            "slug": row.project_slug,
            "platform": row.project_platform,
        },
        "type": row.issue_type,
        "metadata": row.metadata,
        "numComments": row.num_comments,
        "assignedTo": assigned_to_json(row, viewer),
        "isBookmarked": viewer.is_bookmarked,
        "isSubscribed": viewer.is_subscribed,
        "subscriptionDetails": if viewer.is_subscribed { json!({"reason": "unknown"}) } else { Value::Null },
        "hasSeen": viewer.has_seen,
        "annotations": [],
        "issueType": "error",
        "issueCategory": "error",
        "isUnhandled": false,
        "count": row.times_seen.to_string(),
        "userCount": row.user_count,
        "firstSeen": first_seen,
        "lastSeen": last_seen,
    });
    // Fields of features Faultline does not have, as the document requires them.
    let absent = json!({
        "stats": {},
        "lifetime": {
            "count": row.times_seen.to_string(),
            "userCount": row.user_count,
            "firstSeen": first_seen,
            "lastSeen": last_seen,
            "stats": null,
        },
        "filtered": null,
        "sessionCount": 0,
        "inbox": {
            "reason": 0,
            "reason_details": null,
            "date_added": first_seen,
        },
        "owners": {
            "type": "",
            "owner": "",
            "date_added": first_seen,
        },
        "derivedData": {
            "blocker": "",
            "progress": "",
            "status": "",
            "viewCount": 0,
            "hasOpenFixPr": false,
            "isAssigned": row.assignee_user_id.is_some() || row.assignee_team_id.is_some(),
            "hasRootCause": false,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": null,
        },
        "integrationIssues": [],
        "sentryAppIssues": [],
        "latestEventHasAttachments": false,
        "matchingEventId": null,
        "matchingEventEnvironment": null,
    });
    if let (Some(body), Value::Object(absent)) = (body.as_object_mut(), absent) {
        body.extend(absent);
    }
    body
}

/// A user as activity and comments show them: `{id, name, email}` or null.
pub fn user_json(id: Option<i64>, email: Option<&str>, name: Option<&str>) -> Value {
    match id {
        Some(id) => {
            let email = email.unwrap_or_default();
            let name = name.filter(|name| !name.is_empty()).unwrap_or(email);
            json!({"id": id.to_string(), "name": name, "email": email})
        }
        None => Value::Null,
    }
}

fn activity_json(row: &ActivityRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "type": row.kind,
        "data": row.data,
        "user": user_json(row.user_id, row.user_email.as_deref(), row.user_name.as_deref()),
        "dateCreated": date(row.date_created),
    })
}

/// The issue detail: the list shape plus the detail-only fields.
fn detail_json(
    state: &AppState,
    org_slug: &str,
    row: &IssueRow,
    viewer: Option<&ViewerState>,
    tags: &[TagKeyRow],
    activity: &[ActivityRow],
) -> Value {
    let mut body = issue_json(state, org_slug, row, viewer);
    // Sentry ends the feed with the issue's first event.
    let mut feed: Vec<Value> = activity.iter().map(activity_json).collect();
    feed.push(json!({
        "id": "0",
        "type": "first_seen",
        "data": {},
        "user": null,
        "dateCreated": date(row.first_seen),
    }));
    let extra = json!({
        "activity": feed,
        "seenBy": [],
        "participants": [],
        "pluginActions": [],
        "pluginIssues": [],
        "pluginContexts": [],
        "userReportCount": 0,
        "tags": tags.iter().map(tag_summary_json).collect::<Vec<_>>(),
        "firstRelease": null,
        "lastRelease": null,
        "stats": { "24h": [], "30d": [] },
        "inbox": null,
        "owners": null,
        "forecast": {},
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// Sentry's label of a tag key.
fn tag_name(key: &str) -> String {
    match key {
        "user" => "User",
        "release" => "Release",
        "environment" => "Environment",
        "level" => "Level",
        "url" => "URL",
        "server_name" => "Server",
        "transaction" => "Transaction",
        "browser.name" => "Browser Name",
        "os.name" => "OS Name",
        "runtime.name" => "Runtime Name",
        other => other,
    }
    .to_owned()
}

fn tag_value_json(row: &TagValueRow) -> Value {
    json!({
        "key": row.key,
        "name": row.value,
        "value": row.value,
        "count": row.times_seen,
        "firstSeen": date(row.first_seen),
        "lastSeen": date(row.last_seen),
    })
}

fn tag_summary_json(row: &TagKeyRow) -> Value {
    json!({
        "key": row.key,
        "name": tag_name(&row.key),
        "totalValues": row.total_values,
        "uniqueValues": row.unique_values,
        "topValues": row.top_values.iter().map(tag_value_json).collect::<Vec<_>>(),
    })
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

/// The repeated `project=<id>` parameters; none, or `-1`, means every project.
pub(crate) fn project_filter(uri: &axum::http::Uri) -> Result<Option<Vec<i64>>, ApiError> {
    let mut ids = Vec::new();
    for value in query_values(uri, "project") {
        let id: i64 = value
            .parse()
            .map_err(|_| ApiError::BadRequest("Invalid project parameter.".into()))?;
        if id == -1 {
            return Ok(None);
        }
        ids.push(id);
    }
    Ok((!ids.is_empty()).then_some(ids))
}

/// The decoded, non-empty values of the repeated parameter `name`.
pub(crate) fn query_values(uri: &axum::http::Uri, name: &str) -> Vec<String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
        .filter(|value| !value.is_empty())
        .collect()
}

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
    Ok(detail_json(
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

/// Decodes `%XX` escapes and `+` of a query value.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(percent_decode("os.name"), "os.name");
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
    }
}
