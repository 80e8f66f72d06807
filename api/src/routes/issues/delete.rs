//! `DELETE` of one issue (`/api/0/organizations/{org}/issues/{issue_id}/`,
//! `/api/0/issues/{issue_id}/`).

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::delete_issue;
use crate::resolve::{access_to_issue, resolve_issue, EVENT_ADMIN};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

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

/// `DELETE /api/0/organizations/{org}/issues/{issue_id}/`: 202, as Sentry (which
/// deletes in the background) answers.
#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/issues/{issue_id}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id")),
    responses((status = 202, description = "Deleted"))
)]
pub(super) async fn delete_in_org(
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
pub(super) async fn delete_without_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(issue_id): Path<String>,
) -> Result<Response, ApiError> {
    let access = access_to_issue(&state, caller, &issue_id).await?;
    delete_one(&state, &access, &issue_id).await
}
