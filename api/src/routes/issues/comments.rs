//! An issue's comments: `.../issues/{issue_id}/comments/` (list, add) and
//! `.../comments/{comment_id}/` (edit, delete), with and without the organization in
//! the path.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::role::Scope;
use faultline_projections::issues::queries::{self, CommentRow};
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::post_comment;
use crate::json::{date, JsonBody};
use crate::render::user::user_json;
use crate::resolve::{access_to_issue, resolve_issue, EVENT_READ, EVENT_WRITE};
use crate::state::AppState;

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
    let comments = queries::comments(&state.pool, row.org_id, row.id).await?;
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
    let id = post_comment(state, access, &row, text).await?;
    let comment = queries::comment(&state.pool, row.org_id, row.id, id)
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
        .execute_in::<Issue>(
            row.org_id,
            &row.stream_id,
            command,
            &access.caller.metadata(),
        )
        .await?;
    let comment = queries::comment(&state.pool, row.org_id, row.id, id)
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
        .execute_in::<Issue>(
            row.org_id,
            &row.stream_id,
            command,
            &access.caller.metadata(),
        )
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
pub(super) async fn comments_in_org(
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
pub(super) async fn comments_without_org(
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
pub(super) async fn add_comment_in_org(
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
pub(super) async fn add_comment_without_org(
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
pub(super) async fn edit_comment_in_org(
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
pub(super) async fn edit_comment_without_org(
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
pub(super) async fn delete_comment_in_org(
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
pub(super) async fn delete_comment_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path((issue_id, comment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    delete_comment(&state, &access, &issue_id, &comment).await
}
