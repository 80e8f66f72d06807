//! `/api/0/organizations/{org}/releases/` (list, create), `.../releases/{version}/`
//! (get, update, delete), `.../releases/{version}/deploys/` (list, create) and
//! `/api/0/projects/{org}/{project}/releases/` (list, create): what
//! `sentry-cli releases` and `sentry-cli deploys` drive. The version in a path is
//! percent-decoded, so it may hold `@`, `+`, `/` and spaces.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::release::{
    stream_id, NewDeploy, Release, ReleaseChanges, ReleaseCommand, ReleaseStatus,
};
use faultline_domain::role::Scope;
use faultline_projections::releases::queries::{self, ReleaseFilter, ReleaseRow};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::{nullable, FieldErrors};
use crate::json::JsonBody;
use crate::pagination::{paged, PageParams};
use crate::params::query_values;
use crate::render::release::{deploy_json, release_json};
use crate::resolve::resolve_org_project;
use crate::state::AppState;

/// Who may read releases (Sentry's release permission).
const RELEASE_READ: [Scope; 4] = [
    Scope::ProjectRead,
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may create and change them.
const RELEASE_WRITE: [Scope; 3] = [
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may delete them.
const RELEASE_ADMIN: [Scope; 2] = [Scope::ProjectAdmin, Scope::ProjectReleases];

/// The release routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
        .routes(routes!(list_deploys, create_deploy))
        .routes(routes!(list_in_project, create_in_project))
}

/// The release as the API answers it: with its projects and its latest deploy.
async fn render(state: &AppState, org_id: i64, release: &ReleaseRow) -> Result<Value, ApiError> {
    let projects = queries::projects(&state.pool, org_id, release).await?;
    let last_deploy = match release.last_deploy {
        Some(id) => queries::deploy(&state.pool, release.id, id).await?,
        None => None,
    };
    Ok(release_json(release, &projects, last_deploy.as_ref()))
}

async fn resolve_release(
    state: &AppState,
    access: &OrgAccess,
    version: &str,
) -> Result<ReleaseRow, ApiError> {
    queries::by_version(&state.pool, access.org.id, version)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A time field: absent, `null`, or an RFC 3339 time (a 400 naming it otherwise).
fn time_field(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<Option<String>>,
) -> Option<Option<DateTime<Utc>>> {
    match value {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(time) => Some(Some(time.with_timezone(&Utc))),
            Err(_) => {
                errors.add(field, "Datetime has wrong format.");
                None
            }
        },
    }
}

/// The fields of a release a create or an update may set.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = ReleaseWrite)]
#[serde(rename_all = "camelCase")]
struct ReleaseBody {
    /// The version (create only).
    version: Option<String>,
    /// Project slugs or ids (organization create only; at least one).
    projects: Option<Vec<String>>,
    /// A commit reference.
    #[serde(default, rename = "ref", deserialize_with = "nullable")]
    reference: Option<Option<String>>,
    /// A URL pointing at the release.
    #[serde(default, deserialize_with = "nullable")]
    url: Option<Option<String>>,
    /// When it went live (RFC 3339); finalizing sets it.
    #[serde(default, deserialize_with = "nullable")]
    date_released: Option<Option<String>>,
    /// `open` or `archived` (update only).
    status: Option<String>,
}

impl ReleaseBody {
    fn changes(self, errors: &mut FieldErrors) -> ReleaseChanges {
        let status = match self.status.as_deref() {
            None => None,
            Some("open") => Some(ReleaseStatus::Open),
            Some("archived") => Some(ReleaseStatus::Archived),
            Some(other) => {
                errors.add("status", format!("Invalid status {other}"));
                None
            }
        };
        ReleaseChanges {
            reference: self.reference,
            url: self.url,
            date_released: time_field(errors, "dateReleased", self.date_released),
            status,
        }
    }
}

/// Creates `version` in `project_ids`, or adds them to it; 201 when new, 208 (as
/// Sentry answers) when it existed.
async fn create_release(
    state: &AppState,
    access: &OrgAccess,
    version: String,
    project_ids: Vec<i64>,
    changes: ReleaseChanges,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let existed = queries::by_version(&state.pool, access.org.id, &version)
        .await?
        .is_some();
    let release_id = next_id(&state.pool, IdKind::Release).await?;
    state
        .execute::<Release>(
            &stream_id(access.org.id, &version),
            ReleaseCommand::CreateRelease {
                release_id,
                org_id: access.org.id,
                version: version.clone(),
                project_ids,
                changes,
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let release = resolve_release(state, access, &version).await?;
    let status = if existed {
        StatusCode::ALREADY_REPORTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(render(state, access.org.id, &release).await?)))
}

/// The version of a create body, or a 400.
fn required_version(errors: &mut FieldErrors, version: Option<String>) -> String {
    match version {
        Some(version) => version,
        None => {
            errors.add("version", "This field is required.");
            String::new()
        }
    }
}

/// The filters of a release list.
#[derive(Debug, Deserialize, IntoParams)]
struct ListParams {
    /// A case-insensitive substring of the version.
    query: Option<String>,
    /// `open` (the default), `archived` or `any`.
    status: Option<String>,
}

impl ListParams {
    fn filter(&self, project_ids: Vec<i64>) -> Result<ReleaseFilter, ApiError> {
        let status = match self.status.as_deref().unwrap_or("open") {
            "open" => Some("open".to_owned()),
            "archived" => Some("archived".to_owned()),
            "any" | "" => None,
            other => return Err(ApiError::BadRequest(format!("invalid status {other}"))),
        };
        Ok(ReleaseFilter {
            project_ids,
            query: self.query.clone().filter(|q| !q.is_empty()),
            status,
        })
    }
}

async fn list_page(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    filter: ReleaseFilter,
    params: &PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let page = params.page()?;
    let found = queries::list(&state.pool, access.org.id, &filter, page).await?;
    let mut rendered = Vec::with_capacity(found.rows.len());
    for release in &found.rows {
        rendered.push(render(state, access.org.id, release).await?);
    }
    let (headers, _) = paged(&state.public_url, uri, page, &found, |_| Value::Null);
    Ok((headers, Json(rendered)))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ListParams, PageParams),
    responses((status = 200, description = "The organization's releases, newest first; `project=` (ids or slugs, repeated) narrows them", body = Vec<crate::openapi::Release>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
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
    let filter = params.filter(project_ids)?;
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
async fn create(
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
    let changes = body.changes(&mut errors);
    errors.finish()?;
    let project_ids = found.into_iter().map(|(_, id)| id).collect();
    create_release(&state, &access, version, project_ids, changes).await
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release", body = crate::openapi::Release))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let release = resolve_release(&state, &access, &version).await?;
    access.require(&RELEASE_READ)?;
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
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReleaseBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let release = resolve_release(&state, &access, &version).await?;
    access.require(&RELEASE_WRITE)?;
    let mut errors = FieldErrors::default();
    let changes = body.changes(&mut errors);
    errors.finish()?;
    state
        .execute::<Release>(
            &stream_id(access.org.id, &release.version),
            ReleaseCommand::UpdateRelease {
                changes,
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let release = resolve_release(&state, &access, &version).await?;
    Ok(Json(render(&state, access.org.id, &release).await?))
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/releases/{version}/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 204, description = "Deleted"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let release = resolve_release(&state, &access, &version).await?;
    access.require(&RELEASE_ADMIN)?;
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
    path = "/api/0/organizations/{org}/releases/{version}/deploys/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release's deploys, latest first", body = Vec<crate::openapi::Deploy>))
)]
async fn list_deploys(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let release = resolve_release(&state, &access, &version).await?;
    access.require(&RELEASE_READ)?;
    let deploys = queries::deploys(&state.pool, release.id).await?;
    Ok(Json(json!(deploys
        .iter()
        .map(deploy_json)
        .collect::<Vec<_>>())))
}

/// A deploy to record.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = DeployWrite)]
#[serde(rename_all = "camelCase")]
struct DeployBody {
    /// The environment deployed to.
    environment: Option<String>,
    /// A name for the deploy.
    name: Option<String>,
    /// A URL for the deploy.
    url: Option<String>,
    /// When it started (RFC 3339).
    date_started: Option<String>,
    /// When it finished (RFC 3339; now by default).
    date_finished: Option<String>,
    /// Project slugs (the release's projects by default).
    projects: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/releases/{version}/deploys/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    request_body = DeployBody,
    responses((status = 201, description = "Recorded", body = crate::openapi::Deploy))
)]
async fn create_deploy(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<DeployBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let release = resolve_release(&state, &access, &version).await?;
    access.require(&RELEASE_WRITE)?;
    let mut errors = FieldErrors::default();
    let environment = body.environment.unwrap_or_default();
    if environment.is_empty() {
        errors.add("environment", "This field is required.");
    }
    let date_started = time_field(&mut errors, "dateStarted", Some(body.date_started)).flatten();
    let date_finished = time_field(&mut errors, "dateFinished", Some(body.date_finished))
        .flatten()
        .unwrap_or_else(Utc::now);
    let names = body.projects.unwrap_or_default();
    let found = queries::projects_named(&state.pool, access.org.id, &names).await?;
    if found.len() < names.len() {
        errors.add("projects", "Invalid project ids or slugs");
    }
    errors.finish()?;
    let deploy_id = next_id(&state.pool, IdKind::Deploy).await?;
    state
        .execute::<Release>(
            &stream_id(access.org.id, &release.version),
            ReleaseCommand::CreateDeploy {
                deploy: NewDeploy {
                    deploy_id,
                    environment,
                    name: body.name,
                    url: body.url,
                    date_started,
                    date_finished,
                    project_ids: found.into_iter().map(|(_, id)| id).collect(),
                },
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let deploy = queries::deploy(&state.pool, release.id, deploy_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(deploy_json(&deploy))))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/releases/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ListParams, PageParams),
    responses((status = 200, description = "The project's releases, newest first", body = Vec<crate::openapi::Release>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&RELEASE_READ)?;
    let filter = params.filter(vec![project.id])?;
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
async fn create_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(mut body): JsonBody<ReleaseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&RELEASE_WRITE)?;
    let mut errors = FieldErrors::default();
    let version = required_version(&mut errors, body.version.take());
    let changes = body.changes(&mut errors);
    errors.finish()?;
    create_release(&state, &access, version, vec![project.id], changes).await
}
