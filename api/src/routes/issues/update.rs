//! `PUT` of one issue (`/api/0/organizations/{org}/issues/{issue_id}/`,
//! `/api/0/issues/{issue_id}/`).

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::{apply_update, bad, detail_for, parse_update};
use crate::json::JsonBody;
use crate::resolve::{access_to_issue, resolve_issue, EVENT_WRITE};
use crate::state::AppState;

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
pub(super) async fn update_in_org(
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
pub(super) async fn update_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    update_one(&state, &access, &issue_id, &body).await
}
