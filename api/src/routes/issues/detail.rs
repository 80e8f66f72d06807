//! An issue's detail: `GET /api/0/organizations/{org}/issues/{issue_id}/` and
//! `GET /api/0/issues/{issue_id}/`, as the caller sees it.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::detail_for;
use crate::resolve::access_to_issue;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 200, description = "The issue, with tags and activity", body = crate::openapi::Issue))
)]
pub(super) async fn detail(
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
pub(super) async fn detail_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    Ok(Json(detail_for(&state, &access, &issue_id).await?))
}
