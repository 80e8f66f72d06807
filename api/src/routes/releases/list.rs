//! Lists and creations: the organization's and a project's releases.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use faultline_projections::releases::queries;

use super::body::{ListParams, ReleaseBody};
use super::{create_release, list_page, required_version, RELEASE_READ, RELEASE_WRITE};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::JsonBody;
use crate::pagination::PageParams;
use crate::params::query_values;
use crate::resolve::resolve_org_project;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = Option<Vec<String>>, Query, description = "Project ids or slugs (repeated)"), ("environment" = Option<Vec<String>>, Query, description = "Only releases with events or deploys in these environments (repeated)"), ListParams, PageParams),
    responses((status = 200, description = "The organization's releases, newest first; `project=` (ids or slugs, repeated) narrows them", body = Vec<crate::openapi::Release>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&RELEASE_READ)?;
    let names: Vec<String> = query_values(&uri, "project")
        .into_iter()
        .filter(|name| name != "-1")
        .collect();
    let mut project_ids: Vec<i64> = queries::projects_named(&state.pool, access.org.id, &names)
        .await?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    if !names.is_empty() && project_ids.is_empty() {
        // Projects of another organization, or none: nothing to list.
        project_ids.push(-1);
    }
    let filter = params.filter(project_ids, query_values(&uri, "environment"))?;
    list_page(&state, &access, &uri, filter, &page).await
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = ReleaseBody,
    responses((status = 201, description = "Created", body = crate::openapi::Release), (status = 208, description = "The version existed: the projects were added to it", body = crate::openapi::Release))
)]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(mut body): JsonBody<ReleaseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&RELEASE_WRITE)?;
    let mut errors = FieldErrors::default();
    let version = required_version(&mut errors, body.version.take());
    // An empty list is how sentry-cli archives, restores and finalizes an existing
    // release through this endpoint; a new release without projects is refused.
    let names = body.projects.take().unwrap_or_default();
    let found = queries::projects_named(&state.pool, access.org.id, &names).await?;
    if found.len() < names.len() {
        errors.add("projects", "Invalid project ids or slugs");
    }
    let commits = body.take_commits(&mut errors);
    let changes = body.changes(&mut errors);
    errors.finish()?;
    let project_ids = found.into_iter().map(|(_, id)| id).collect();
    create_release(&state, &access, version, project_ids, changes, commits).await
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("environment" = Option<Vec<String>>, Query, description = "Only releases with events or deploys in these environments (repeated)"), ListParams, PageParams),
    responses((status = 200, description = "The project's releases, newest first", body = Vec<crate::openapi::Release>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn list_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&RELEASE_READ)?;
    let filter = params.filter(vec![project.id], query_values(&uri, "environment"))?;
    list_page(&state, &access, &uri, filter, &page).await
}

#[utoipa::path(
    post,
    path = "/api/0/projects/{org}/{project}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    request_body = ReleaseBody,
    responses((status = 201, description = "Created", body = crate::openapi::Release), (status = 208, description = "The version existed: the project was added to it", body = crate::openapi::Release))
)]
pub(super) async fn create_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(mut body): JsonBody<ReleaseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&RELEASE_WRITE)?;
    let mut errors = FieldErrors::default();
    let version = required_version(&mut errors, body.version.take());
    let commits = body.take_commits(&mut errors);
    let changes = body.changes(&mut errors);
    errors.finish()?;
    create_release(&state, &access, version, vec![project.id], changes, commits).await
}
