//! A release's commits and files, the previous release with commits, and the
//! repositories releases named.

use axum::extract::{Path, State};
use axum::Json;
use faultline_projections::releases::queries::{self, ReleaseRow};
use serde_json::{json, Value};

use super::{project_release, release_access, render, RELEASE_READ};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::render::release::{commit_files_json, commit_json, repository_row_json};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/commits/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release's commits, as set (newest first)", body = Vec<Object>))
)]
pub(super) async fn list_commits(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_READ).await?;
    commits_json(&state, access.org.id, &release).await
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/commitfiles/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The files the release's commits changed", body = Vec<Object>))
)]
pub(super) async fn list_commit_files(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_READ).await?;
    let commits = queries::commits(&state.pool, access.org.id, release.id).await?;
    Ok(Json(commit_files_json(&commits)))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/previous-with-commits/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The latest earlier release with commits, or `{}` when there is none", body = Object))
)]
pub(super) async fn previous_with_commits(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_READ).await?;
    match queries::previous_with_commits(&state.pool, access.org.id, &release).await? {
        Some(previous) => Ok(Json(render(&state, access.org.id, &previous).await?)),
        None => Ok(Json(json!({}))),
    }
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/repos/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    responses((status = 200, description = "The repositories the organization's release commits and refs named (no code host is linked)", body = Vec<Object>))
)]
pub(super) async fn list_repositories(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&RELEASE_READ)?;
    let repositories = queries::repositories(&state.pool, access.org.id).await?;
    Ok(Json(json!(repositories
        .iter()
        .map(repository_row_json)
        .collect::<Vec<_>>())))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/releases/{version}/commits/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release's commits, if it ships in the project", body = Vec<Object>))
)]
pub(super) async fn list_project_commits(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, version)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) =
        project_release(&state, caller, (&org, &project, &version), &RELEASE_READ).await?;
    commits_json(&state, access.org.id, &release).await
}

async fn commits_json(
    state: &AppState,
    org_id: i64,
    release: &ReleaseRow,
) -> Result<Json<Value>, ApiError> {
    let commits = queries::commits(&state.pool, org_id, release.id).await?;
    Ok(Json(json!(commits
        .iter()
        .map(|c| commit_json(c, release))
        .collect::<Vec<_>>())))
}
