//! The issue workflow: `PUT`/`DELETE` of one issue
//! (`/api/0/organizations/{org}/issues/{issue_id}/`, `/api/0/issues/{issue_id}/`), bulk
//! `PUT`/`DELETE` of the issue lists (including merges), and an issue's comments
//! (`.../issues/{issue_id}/comments/[{comment_id}/]`).
//!
//! Every write goes through the issue aggregate (`state.execute`), which also waits
//! for the read models, so the answer shows the change.

use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::issue::{Assignee, IgnoreDetails, Issue, IssueCommand, ResolveDetails};
use faultline_domain::metadata::EventMetadata;
use faultline_domain::role::Scope;
use faultline_domain::search::{self, IssueSort, DEFAULT_QUERY};
use faultline_projections::issues::queries::{self, CommentRow, IssueRow};
use faultline_projections::issues::search::{self as issue_search, Search, SearchScope};
use serde_json::{json, Map, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::{date, JsonBody};
use crate::params::{project_filter, query_values};
use crate::render::user::user_json;
use crate::resolve::{
    access_to_issue, resolve_issue, resolve_project, EVENT_ADMIN, EVENT_READ, EVENT_WRITE,
};
use crate::routes::issues::detail_for;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most issues one bulk request changes.
const MAX_BULK: i64 = 100;

/// The comment routes (the issue `PUT`/`DELETE` routes are on the issue router).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(comments_in_org, add_comment_in_org))
        .routes(routes!(edit_comment_in_org, delete_comment_in_org))
        .routes(routes!(comments_without_org, add_comment_without_org))
        .routes(routes!(
            edit_comment_without_org,
            delete_comment_without_org
        ))
}

/// How a request changes an issue's status.
#[derive(Debug, Clone)]
enum StatusChange {
    Resolve(Resolution),
    Unresolve,
    Ignore(IgnoreDetails),
}

/// A resolution as asked; "next release" and "latest" depend on each issue's project.
#[derive(Debug, Clone)]
enum Resolution {
    Plain,
    InNextRelease,
    InRelease(String),
    InLatestRelease,
}

/// An issue update body, validated.
#[derive(Debug, Clone, Default)]
struct Update {
    status: Option<StatusChange>,
    /// `Some(None)`: unassign.
    assign: Option<Option<Assignee>>,
    has_seen: Option<bool>,
    bookmarked: Option<bool>,
    subscribed: Option<bool>,
    public: Option<bool>,
    merge: bool,
    /// The applied fields, as a bulk update answers them.
    echo: Map<String, Value>,
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest(detail.into())
}

fn minutes(details: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(format!("{key} must be a positive integer."))),
    }
}

fn count(details: &Map<String, Value>, key: &str) -> Result<Option<u64>, ApiError> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("{key} must be a positive integer."))),
    }
}

const IGNORE_KEYS: [&str; 6] = [
    "ignoreDuration",
    "ignoreCount",
    "ignoreWindow",
    "ignoreUserCount",
    "ignoreUserWindow",
    "snoozeDuration",
];

/// The status change of `status`, `substatus` and `statusDetails` (plus Sentry's
/// legacy top-level ignore keys).
fn status_change(body: &Map<String, Value>) -> Result<Option<StatusChange>, ApiError> {
    let mut details = match body.get("statusDetails") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(details)) => details.clone(),
        Some(_) => return Err(bad("statusDetails must be an object.")),
    };
    for key in IGNORE_KEYS {
        if let Some(value) = body.get(key) {
            details.entry(key).or_insert_with(|| value.clone());
        }
    }
    let substatus = body.get("substatus").and_then(Value::as_str);
    let status = match body.get("status") {
        None | Some(Value::Null) => {
            if details.contains_key("inNextRelease") || details.contains_key("inRelease") {
                "resolved"
            } else if IGNORE_KEYS.iter().any(|key| details.contains_key(*key)) {
                "ignored"
            } else {
                return Ok(None);
            }
        }
        Some(Value::String(status)) => status.as_str(),
        Some(_) => return Err(bad("Invalid status.")),
    };
    Ok(Some(match status {
        "resolved" | "resolvedInNextRelease" => {
            let in_release = details.get("inRelease").and_then(Value::as_str);
            if status == "resolvedInNextRelease"
                || details.get("inNextRelease") == Some(&Value::Bool(true))
            {
                StatusChange::Resolve(Resolution::InNextRelease)
            } else if in_release == Some("latest") {
                StatusChange::Resolve(Resolution::InLatestRelease)
            } else if let Some(version) = in_release {
                StatusChange::Resolve(Resolution::InRelease(version.to_owned()))
            } else {
                StatusChange::Resolve(Resolution::Plain)
            }
        }
        "unresolved" => StatusChange::Unresolve,
        "ignored" | "archived" | "muted" => StatusChange::Ignore(IgnoreDetails {
            duration_minutes: minutes(&details, "ignoreDuration")?
                .or(minutes(&details, "snoozeDuration")?),
            count: count(&details, "ignoreCount")?,
            window_minutes: minutes(&details, "ignoreWindow")?,
            user_count: count(&details, "ignoreUserCount")?,
            user_window_minutes: minutes(&details, "ignoreUserWindow")?,
            until_escalating: matches!(
                substatus,
                Some("archived_until_escalating" | "until_escalating")
            ),
        }),
        other => return Err(bad(format!("Invalid status {other:?}."))),
    }))
}

fn flag(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
        Some(Value::String(s)) => Ok(Some(matches!(s.as_str(), "1" | "true"))),
        Some(_) => Err(bad(format!("{key} must be a boolean."))),
    }
}

/// The assignee named by `assignedTo`: `user:<id>`, `team:<id>`, a user id, an email
/// or a username; it must belong to the caller's organization.
async fn assignee(state: &AppState, access: &OrgAccess, value: &str) -> Result<Assignee, ApiError> {
    let unknown = || {
        bad(format!(
            "Unknown actor input: {value:?} is not a member or team of this organization."
        ))
    };
    if let Some(team) = value.strip_prefix("team:") {
        let team_id: i64 = team.parse().map_err(|_| unknown())?;
        return if queries::team_in_org(&state.pool, access.org.id, team_id).await? {
            Ok(Assignee::Team(team_id))
        } else {
            Err(unknown())
        };
    }
    let name = value.strip_prefix("user:").unwrap_or(value);
    queries::member_user(&state.pool, access.org.id, name)
        .await?
        .map(Assignee::User)
        .ok_or_else(unknown)
}

/// Validates an update body before anything is changed.
async fn parse_update(
    state: &AppState,
    access: &OrgAccess,
    body: &Value,
) -> Result<Update, ApiError> {
    let body = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object."))?;
    let mut update = Update {
        status: status_change(body)?,
        has_seen: flag(body, "hasSeen")?,
        bookmarked: flag(body, "isBookmarked")?,
        subscribed: flag(body, "isSubscribed")?,
        public: flag(body, "isPublic")?,
        merge: flag(body, "merge")?.unwrap_or(false),
        ..Update::default()
    };
    if let Some(value) = body.get("assignedTo") {
        update.assign = Some(match value {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(assignee(state, access, s).await?),
            Value::Number(n) => Some(assignee(state, access, &n.to_string()).await?),
            _ => return Err(bad("Unknown actor input.")),
        });
    }
    let echo = &mut update.echo;
    match &update.status {
        Some(StatusChange::Resolve(_)) => {
            echo.insert("status".into(), json!("resolved"));
        }
        Some(StatusChange::Unresolve) => {
            echo.insert("status".into(), json!("unresolved"));
        }
        Some(StatusChange::Ignore(_)) => {
            echo.insert("status".into(), json!("ignored"));
        }
        None => {}
    }
    if update.status.is_some() {
        echo.insert(
            "statusDetails".into(),
            body.get("statusDetails")
                .filter(|details| details.is_object())
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
        if let Some(substatus) = body.get("substatus").filter(|s| s.is_string()) {
            echo.insert("substatus".into(), substatus.clone());
        }
    }
    for (key, value) in [
        ("hasSeen", update.has_seen),
        ("isBookmarked", update.bookmarked),
        ("isSubscribed", update.subscribed),
        ("isPublic", update.public),
    ] {
        if let Some(value) = value {
            echo.insert(key.into(), json!(value));
        }
    }
    Ok(update)
}

/// Who acts, in the log-metadata format.
fn actor(access: &OrgAccess) -> Option<String> {
    Some(format!("user:{}", access.caller.user_id()))
}

/// Applies `update` to one issue, one command per changed field.
async fn apply_update(
    state: &AppState,
    access: &OrgAccess,
    row: &IssueRow,
    update: &Update,
    metadata: &EventMetadata,
) -> Result<(), ApiError> {
    let at = Utc::now();
    let user_id = access.caller.user_id();
    let mut commands = Vec::new();
    match &update.status {
        Some(StatusChange::Resolve(resolution)) => {
            let details = match resolution {
                Resolution::Plain => ResolveDetails::Plain,
                Resolution::InNextRelease => ResolveDetails::InNextRelease {
                    current_release: queries::latest_release(&state.pool, row.project_id).await?,
                },
                Resolution::InRelease(version) => ResolveDetails::InRelease {
                    version: version.clone(),
                },
                Resolution::InLatestRelease => {
                    match queries::latest_release(&state.pool, row.project_id).await? {
                        Some(version) => ResolveDetails::InRelease { version },
                        None => ResolveDetails::Plain,
                    }
                }
            };
            commands.push(IssueCommand::Resolve {
                details,
                at,
                actor: actor(access),
            });
        }
        Some(StatusChange::Unresolve) => commands.push(IssueCommand::Unresolve {
            at,
            actor: actor(access),
        }),
        Some(StatusChange::Ignore(details)) => commands.push(IssueCommand::Ignore {
            details: details.clone(),
            at,
            actor: actor(access),
        }),
        None => {}
    }
    match update.assign {
        Some(Some(assignee)) => commands.push(IssueCommand::Assign {
            assignee,
            at,
            actor: actor(access),
        }),
        Some(None) => commands.push(IssueCommand::Unassign {
            at,
            actor: actor(access),
        }),
        None => {}
    }
    match update.has_seen {
        Some(true) => commands.push(IssueCommand::MarkSeen { user_id, at }),
        Some(false) => commands.push(IssueCommand::MarkUnseen { user_id, at }),
        None => {}
    }
    if let Some(bookmarked) = update.bookmarked {
        commands.push(IssueCommand::SetBookmark {
            user_id,
            bookmarked,
            at,
        });
    }
    if let Some(subscribed) = update.subscribed {
        commands.push(IssueCommand::SetSubscribed {
            user_id,
            subscribed,
            at,
        });
    }
    if let Some(public) = update.public {
        commands.push(IssueCommand::SetPublic {
            public,
            at,
            actor: actor(access),
        });
    }
    for command in commands {
        state
            .execute::<Issue>(&row.stream_id, command, metadata)
            .await?;
    }
    Ok(())
}

/// Updates one issue and answers its detail.
async fn update_one(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
    body: &Value,
) -> Result<Json<Value>, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_WRITE)?;
    let update = parse_update(state, access, body).await?;
    if update.merge {
        return Err(bad("Merging needs several issues: use the issue list."));
    }
    apply_update(state, access, &row, &update, &access.caller.metadata()).await?;
    Ok(Json(detail_for(state, access, issue_id).await?))
}

/// `PUT /api/0/organizations/{org}/issues/{issue_id}/`.
#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/issues/{issue_id}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    request_body = crate::openapi::IssueUpdate,
    responses((status = 200, description = "The issue after the update", body = crate::openapi::Issue))
)]
pub async fn update_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    update_one(&state, &access, &issue_id, &body).await
}

/// `PUT /api/0/issues/{issue_id}/`.
#[utoipa::path(
    put,
    path = "/api/0/issues/{issue_id}/",
    tag = "issues",
    params(("issue_id" = String, Path, description = "Numeric issue id")),
    request_body = crate::openapi::IssueUpdate,
    responses((status = 200, description = "The issue after the update", body = crate::openapi::Issue))
)]
pub async fn update_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    update_one(&state, &access, &issue_id, &body).await
}

async fn delete_one(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
) -> Result<Response, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_ADMIN)?;
    delete_issue(state, access, &row, &access.caller.metadata()).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn delete_issue(
    state: &AppState,
    access: &OrgAccess,
    row: &IssueRow,
    metadata: &EventMetadata,
) -> Result<(), ApiError> {
    let command = IssueCommand::Delete {
        at: Utc::now(),
        actor: actor(access),
    };
    state
        .execute::<Issue>(&row.stream_id, command, metadata)
        .await?;
    Ok(())
}

/// `DELETE /api/0/organizations/{org}/issues/{issue_id}/`: 202, as Sentry (which
/// deletes in the background) answers.
#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/issues/{issue_id}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 202, description = "Deleted"))
)]
pub async fn delete_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    delete_one(&state, &access, &issue_id).await
}

/// `DELETE /api/0/issues/{issue_id}/`.
#[utoipa::path(
    delete,
    path = "/api/0/issues/{issue_id}/",
    tag = "issues",
    params(("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 202, description = "Deleted"))
)]
pub async fn delete_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> Result<Response, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    delete_one(&state, &access, &issue_id).await
}

/// The issues a bulk request names: `id=` parameters, else the `query=` search
/// (Sentry's default query when absent), at most [`MAX_BULK`].
async fn selected_issues(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    project_ids: Option<Vec<i64>>,
) -> Result<Vec<IssueRow>, ApiError> {
    let ids = query_values(uri, "id")
        .iter()
        .map(|id| id.parse::<i64>())
        .collect::<Result<Vec<i64>, _>>()
        .map_err(|_| bad("Invalid id parameter."))?;
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

/// Merges `rows` into the one with the most events.
async fn merge(
    state: &AppState,
    access: &OrgAccess,
    rows: &[IssueRow],
    metadata: &EventMetadata,
) -> Result<Value, ApiError> {
    if rows.len() < 2 {
        return Err(bad("Only one issue was selected: nothing to merge."));
    }
    if rows.iter().any(|row| row.project_id != rows[0].project_id) {
        return Err(bad("Merging across multiple projects is not supported."));
    }
    let primary = rows
        .iter()
        .max_by_key(|row| (row.times_seen, std::cmp::Reverse(row.id)))
        .ok_or_else(|| bad("No issues selected."))?;
    let secondaries: Vec<&IssueRow> = rows.iter().filter(|row| row.id != primary.id).collect();
    let at = Utc::now();
    for secondary in &secondaries {
        let command = IssueCommand::MergeInto {
            primary_issue_id: primary.id,
            primary_stream: primary.stream_id.clone(),
            at,
            actor: actor(access),
        };
        state
            .execute::<Issue>(&secondary.stream_id, command, metadata)
            .await?;
    }
    let from_issue_ids: Vec<i64> = secondaries.iter().map(|row| row.id).collect();
    let command = IssueCommand::AbsorbMerge {
        from_issue_ids: from_issue_ids.clone(),
        at,
        actor: actor(access),
    };
    state
        .execute::<Issue>(&primary.stream_id, command, metadata)
        .await?;
    Ok(json!({"merge": {
        "parent": primary.id.to_string(),
        "children": from_issue_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
    }}))
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
pub async fn bulk_update_in_org(
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
pub async fn bulk_update_in_project(
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
pub async fn bulk_delete_in_org(
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
pub async fn bulk_delete_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    bulk_delete(&state, &access, &uri, Some(vec![project.id])).await
}

/// A comment as Sentry shows it: an activity item of type `note`.
fn note_json(row: &CommentRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "type": "note",
        "data": { "text": row.text },
        "user": user_json(Some(row.user_id), row.user_email.as_deref(), row.user_name.as_deref()),
        "dateCreated": date(row.date_created),
    })
}

fn comment_text(body: &Value) -> Result<String, ApiError> {
    match body.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        _ => Err(ApiError::Fields(
            json!({"text": ["This field is required."]}),
        )),
    }
}

fn comment_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// Whether the caller may change anyone's comments: organization managers and
/// owners. Sentry's `member` role holds `event:admin`, so that scope cannot be it.
fn is_admin(access: &OrgAccess) -> bool {
    access.has(Scope::OrgWrite)
}

async fn list_comments(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
) -> Result<Json<Value>, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_READ)?;
    let comments = queries::comments(&state.pool, row.id).await?;
    Ok(Json(Value::Array(comments.iter().map(note_json).collect())))
}

async fn add_comment(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
    body: &Value,
) -> Result<Response, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_WRITE)?;
    let text = comment_text(body)?;
    let id = next_id(&state.pool, IdKind::Comment).await?;
    let command = IssueCommand::AddComment {
        comment_id: id,
        user_id: access.caller.user_id(),
        text,
        at: Utc::now(),
    };
    state
        .execute::<Issue>(&row.stream_id, command, &access.caller.metadata())
        .await?;
    let comment = queries::comment(&state.pool, row.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(note_json(&comment))).into_response())
}

async fn edit_comment(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
    comment: &str,
    body: &Value,
) -> Result<Json<Value>, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_WRITE)?;
    let id = comment_id(comment)?;
    let text = comment_text(body)?;
    let command = IssueCommand::EditComment {
        comment_id: id,
        user_id: access.caller.user_id(),
        text,
        at: Utc::now(),
        is_admin: is_admin(access),
    };
    state
        .execute::<Issue>(&row.stream_id, command, &access.caller.metadata())
        .await?;
    let comment = queries::comment(&state.pool, row.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(note_json(&comment)))
}

async fn delete_comment(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
    comment: &str,
) -> Result<Response, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    access.require(&EVENT_WRITE)?;
    let command = IssueCommand::DeleteComment {
        comment_id: comment_id(comment)?,
        user_id: access.caller.user_id(),
        at: Utc::now(),
        is_admin: is_admin(access),
    };
    state
        .execute::<Issue>(&row.stream_id, command, &access.caller.metadata())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/comments/",
    tag = "comments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 200, description = "Comments, newest first", body = Vec<crate::openapi::Comment>))
)]
async fn comments_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    list_comments(&state, &access, &issue_id).await
}

#[utoipa::path(
    get,
    path = "/api/0/issues/{issue_id}/comments/",
    tag = "comments",
    params(("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 200, description = "Comments, newest first", body = Vec<crate::openapi::Comment>))
)]
async fn comments_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    list_comments(&state, &access, &issue_id).await
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/issues/{issue_id}/comments/",
    tag = "comments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    request_body = crate::openapi::CommentBody,
    responses((status = 201, description = "Added", body = crate::openapi::Comment))
)]
async fn add_comment_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    add_comment(&state, &access, &issue_id, &body).await
}

#[utoipa::path(
    post,
    path = "/api/0/issues/{issue_id}/comments/",
    tag = "comments",
    params(("issue_id" = String, Path, description = "Numeric issue id")),
    request_body = crate::openapi::CommentBody,
    responses((status = 201, description = "Added", body = crate::openapi::Comment))
)]
async fn add_comment_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    add_comment(&state, &access, &issue_id, &body).await
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/issues/{issue_id}/comments/{comment_id}/",
    tag = "comments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("comment_id" = String, Path, description = "Numeric comment id")),
    request_body = crate::openapi::CommentBody,
    responses((status = 200, description = "Edited", body = crate::openapi::Comment))
)]
async fn edit_comment_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, comment)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    edit_comment(&state, &access, &issue_id, &comment, &body).await
}

#[utoipa::path(
    put,
    path = "/api/0/issues/{issue_id}/comments/{comment_id}/",
    tag = "comments",
    params(("issue_id" = String, Path, description = "Numeric issue id"), ("comment_id" = String, Path, description = "Numeric comment id")),
    request_body = crate::openapi::CommentBody,
    responses((status = 200, description = "Edited", body = crate::openapi::Comment))
)]
async fn edit_comment_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((issue_id, comment)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    edit_comment(&state, &access, &issue_id, &comment, &body).await
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/issues/{issue_id}/comments/{comment_id}/",
    tag = "comments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("comment_id" = String, Path, description = "Numeric comment id")),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_comment_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, comment)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    delete_comment(&state, &access, &issue_id, &comment).await
}

#[utoipa::path(
    delete,
    path = "/api/0/issues/{issue_id}/comments/{comment_id}/",
    tag = "comments",
    params(("issue_id" = String, Path, description = "Numeric issue id"), ("comment_id" = String, Path, description = "Numeric comment id")),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_comment_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((issue_id, comment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    delete_comment(&state, &access, &issue_id, &comment).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(body: Value) -> Result<Option<StatusChange>, ApiError> {
        status_change(body.as_object().unwrap())
    }

    #[test]
    fn an_unknown_status_is_refused() {
        assert!(change(json!({"status": "fixed"})).is_err());
    }

    #[test]
    fn ignore_counts_and_windows_come_from_status_details() {
        let Ok(Some(StatusChange::Ignore(details))) = change(json!({
            "status": "ignored",
            "statusDetails": {"ignoreCount": 3, "ignoreWindow": 60},
        })) else {
            panic!("an ignore");
        };
        assert_eq!(details.count, Some(3));
        assert_eq!(details.window_minutes, Some(60));
    }

    #[test]
    fn in_release_without_status_resolves() {
        assert!(matches!(
            change(json!({"statusDetails": {"inRelease": "1.0"}})),
            Ok(Some(StatusChange::Resolve(Resolution::InRelease(v)))) if v == "1.0"
        ));
    }
}
