//! `/api/0/organizations/{org}/releases/` (list, create), `.../releases/{version}/`
//! (get, update, delete), `.../releases/{version}/deploys/` (list, create) and
//! `/api/0/projects/{org}/{project}/releases/` (list, create), a release's
//! `commits/`, `commitfiles/` and `previous-with-commits/`, and
//! `/api/0/organizations/{org}/repos/`: what `sentry-cli releases` and `sentry-cli
//! deploys` drive. The version in a path is percent-decoded, so it may hold `@`, `+`,
//! `/` and spaces.
//!
//! - `body`: the request bodies and list filters.
//! - `list`, `detail`, `deploys`, `commits`: the handlers, by seam.

mod body;
mod commits;
mod deploys;
mod detail;
mod list;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::release::{
    stream_id, Release, ReleaseChanges, ReleaseCommand, ReleaseCommit, ReleaseRef,
};
use faultline_domain::role::Scope;
use faultline_projections::releases::queries::{self, ReleaseDetails, ReleaseFilter, ReleaseRow};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::pagination::{paged, PageParams};
use crate::render::release::release_json;
use crate::resolve::resolve_org_project;
use crate::state::AppState;

/// Who may read releases (Sentry's release permission).
pub(super) const RELEASE_READ: [Scope; 4] = [
    Scope::ProjectRead,
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may create and change them.
pub(super) const RELEASE_WRITE: [Scope; 3] = [
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may delete them.
pub(super) const RELEASE_ADMIN: [Scope; 2] = [Scope::ProjectAdmin, Scope::ProjectReleases];

/// The release routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list::list, list::create))
        .routes(routes!(detail::detail, detail::update, detail::remove))
        .routes(routes!(
            detail::project_detail,
            detail::project_update,
            detail::project_remove
        ))
        .routes(routes!(deploys::list_deploys, deploys::create_deploy))
        .routes(routes!(list::list_in_project, list::create_in_project))
        .routes(routes!(commits::list_commits))
        .routes(routes!(commits::list_project_commits))
        .routes(routes!(commits::list_commit_files))
        .routes(routes!(commits::previous_with_commits))
        .routes(routes!(commits::list_repositories))
}

/// The release as the API answers it: with its projects and its latest deploy.
pub(super) async fn render(
    state: &AppState,
    org_id: i64,
    release: &ReleaseRow,
) -> Result<Value, ApiError> {
    let details = queries::details(&state.pool, org_id, std::slice::from_ref(release)).await?;
    Ok(render_with(release, &details))
}

/// `release` as the API shows it, from the details read for its page.
fn render_with(release: &ReleaseRow, details: &ReleaseDetails) -> Value {
    release_json(
        release,
        details.projects.get(&release.id).map_or(&[], Vec::as_slice),
        details.last_deploys.get(&release.id),
        details.commits.get(&release.id).map_or(&[], Vec::as_slice),
    )
}

/// The caller's access to organization `org` and its release `version`: 404 when
/// either is not there for the caller, 403 without one of `scopes`.
pub(super) async fn release_access(
    state: &AppState,
    caller: Caller,
    org: &str,
    version: &str,
    scopes: &[Scope],
) -> Result<(OrgAccess, ReleaseRow), ApiError> {
    let access = OrgAccess::resolve(state, caller, org).await?;
    let release = resolve_release(state, &access, version).await?;
    access.require(scopes)?;
    Ok((access, release))
}

/// The caller's access to `version` of project `project` (what sentry-cli 2.x reads
/// and changes when a project is configured): 404 unless the release ships there.
pub(super) async fn project_release(
    state: &AppState,
    caller: Caller,
    (org, project, version): (&str, &str, &str),
    scopes: &[Scope],
) -> Result<(OrgAccess, ReleaseRow), ApiError> {
    let (access, project) = resolve_org_project(state, caller, org, project).await?;
    let release = resolve_release(state, &access, version).await?;
    access.require(scopes)?;
    if !release.project_ids.contains(&project.id) {
        return Err(ApiError::NotFound);
    }
    Ok((access, release))
}

pub(super) async fn resolve_release(
    state: &AppState,
    access: &OrgAccess,
    version: &str,
) -> Result<ReleaseRow, ApiError> {
    queries::by_version(&state.pool, access.org.id, version)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A time field: absent, `null`, or an RFC 3339 time (a 400 naming it otherwise).
pub(super) fn time_field(
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

/// Creates `version` in `project_ids`, or adds them to it; 201 when new, 208 (as
/// Sentry answers) when it existed.
pub(super) async fn create_release(
    state: &AppState,
    access: &OrgAccess,
    version: String,
    project_ids: Vec<i64>,
    changes: ReleaseChanges,
    commits: Option<(Vec<ReleaseCommit>, Vec<ReleaseRef>)>,
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
    if let Some((commits, refs)) = commits {
        state
            .execute::<Release>(
                &stream_id(access.org.id, &version),
                ReleaseCommand::SetCommits {
                    commits,
                    refs,
                    at: Utc::now(),
                },
                &access.caller.metadata(),
            )
            .await?;
    }
    let release = resolve_release(state, access, &version).await?;
    let status = if existed {
        StatusCode::ALREADY_REPORTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(render(state, access.org.id, &release).await?)))
}

/// The version of a create body, or a 400.
pub(super) fn required_version(errors: &mut FieldErrors, version: Option<String>) -> String {
    match version {
        Some(version) => version,
        None => {
            errors.add("version", "This field is required.");
            String::new()
        }
    }
}

pub(super) async fn list_page(
    state: &AppState,
    access: &OrgAccess,
    uri: &axum::http::Uri,
    filter: ReleaseFilter,
    params: &PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let page = params.page()?;
    let found = queries::list(&state.pool, access.org.id, &filter, page).await?;
    let details = queries::details(&state.pool, access.org.id, &found.rows).await?;
    Ok(paged(&state.public_url, uri, page, &found, |release| {
        render_with(release, &details)
    }))
}
