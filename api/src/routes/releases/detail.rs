//! One release: read, update (finalize, archive, restore, commits), delete; through
//! the organization or through one of its projects.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use faultline_domain::release::{stream_id, Release, ReleaseCommand};
use faultline_projections::releases::queries::ReleaseRow;
use serde_json::Value;

use super::body::ReleaseBody;
use super::{
    project_release, release_access, render, resolve_release, RELEASE_ADMIN, RELEASE_READ,
    RELEASE_WRITE,
};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::JsonBody;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release", body = crate::openapi::Release))
)]
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_READ).await?;
    Ok(Json(render(&state, access.org.id, &release).await?))
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    request_body = ReleaseBody,
    responses((status = 200, description = "Updated (`dateReleased` finalizes, `status` archives or restores)", body = crate::openapi::Release))
)]
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReleaseBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_WRITE).await?;
    apply_update(&state, &access, &release, body).await
}

/// Applies an update body to `release`; the release as it is after.
async fn apply_update(
    state: &AppState,
    access: &OrgAccess,
    release: &ReleaseRow,
    mut body: ReleaseBody,
) -> Result<Json<Value>, ApiError> {
    let mut errors = FieldErrors::default();
    let commits = body.take_commits(&mut errors);
    let changes = body.changes(&mut errors);
    errors.finish()?;
    let stream = stream_id(access.org.id, &release.version);
    let at = Utc::now();
    let metadata = access.caller.metadata();
    state
        .execute::<Release>(
            &stream,
            ReleaseCommand::UpdateRelease { changes, at },
            &metadata,
        )
        .await?;
    if let Some((commits, refs)) = commits {
        state
            .execute::<Release>(
                &stream,
                ReleaseCommand::SetCommits { commits, refs, at },
                &metadata,
            )
            .await?;
    }
    let release = resolve_release(state, access, &release.version).await?;
    Ok(Json(render(state, access.org.id, &release).await?))
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 204, description = "Deleted"))
)]
pub(super) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_ADMIN).await?;
    delete(&state, &access, &release).await
}

async fn delete(
    state: &AppState,
    access: &OrgAccess,
    release: &ReleaseRow,
) -> Result<StatusCode, ApiError> {
    state
        .execute::<Release>(
            &stream_id(access.org.id, &release.version),
            ReleaseCommand::DeleteRelease { at: Utc::now() },
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release, if it ships in the project", body = crate::openapi::Release))
)]
pub(super) async fn project_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, version)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) =
        project_release(&state, caller, (&org, &project, &version), &RELEASE_READ).await?;
    Ok(Json(render(&state, access.org.id, &release).await?))
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    request_body = ReleaseBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Release))
)]
pub(super) async fn project_update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, version)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<ReleaseBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) =
        project_release(&state, caller, (&org, &project, &version), &RELEASE_WRITE).await?;
    apply_update(&state, &access, &release, body).await
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 204, description = "Deleted"))
)]
pub(super) async fn project_remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, version)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (access, release) =
        project_release(&state, caller, (&org, &project, &version), &RELEASE_ADMIN).await?;
    delete(&state, &access, &release).await
}
