//! The resources a path names, found within the caller's organization: another
//! organization's resource, or one that does not exist, is a 404 either way. Also
//! the scope sets the issue, event and alert routes require.

use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::members;
use faultline_projections::accounts::queries::projects::{self, ProjectRow};
use faultline_projections::accounts::queries::teams::{self, TeamRow};
use faultline_projections::issues::queries::{self, IssueRow};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::state::AppState;

/// Scopes that may read issues and events.
pub const EVENT_READ: [Scope; 3] = [Scope::EventRead, Scope::EventWrite, Scope::EventAdmin];
/// Scopes that may change issues and comment on them.
pub const EVENT_WRITE: [Scope; 2] = [Scope::EventWrite, Scope::EventAdmin];
/// Scopes that may delete issues.
pub const EVENT_ADMIN: [Scope; 1] = [Scope::EventAdmin];
/// Scopes that may read a project's settings, keys and hooks.
pub const PROJECT_READ: [Scope; 3] = [Scope::ProjectRead, Scope::ProjectWrite, Scope::ProjectAdmin];
/// Scopes that may change a project's settings, keys and hooks.
pub const PROJECT_WRITE: [Scope; 2] = [Scope::ProjectWrite, Scope::ProjectAdmin];
/// Scopes that may read alert workflows and detectors (Sentry's).
pub const ALERTS_READ: [Scope; 5] = [
    Scope::AlertsRead,
    Scope::AlertsWrite,
    Scope::OrgRead,
    Scope::OrgWrite,
    Scope::OrgAdmin,
];
/// Scopes that may change alert workflows (Sentry's).
pub const ALERTS_WRITE: [Scope; 3] = [Scope::AlertsWrite, Scope::OrgWrite, Scope::OrgAdmin];

/// Project `id_or_slug` of the organization the caller resolved; 404 if it belongs
/// to another organization or does not exist. Slugs are never all digits, so a
/// number is an id.
pub async fn resolve_project(
    state: &AppState,
    access: &OrgAccess,
    id_or_slug: &str,
) -> Result<ProjectRow, ApiError> {
    let org_id = access.org.id;
    let user_id = access.caller.user_id();
    let found = match id_or_slug.parse::<i64>() {
        Ok(id) => projects::by_id(&state.pool, org_id, user_id, id).await?,
        Err(_) => projects::by_slug(&state.pool, org_id, user_id, id_or_slug).await?,
    };
    found.ok_or(ApiError::NotFound)
}

/// The organization and project a `/projects/{org}/{project}/...` path names, for
/// `caller`; 404 unless the caller sees the organization and the project is in it.
pub async fn resolve_org_project(
    state: &AppState,
    caller: Caller,
    org: &str,
    project: &str,
) -> Result<(OrgAccess, ProjectRow), ApiError> {
    let access = OrgAccess::resolve(state, caller, org).await?;
    let project = resolve_project(state, &access, project).await?;
    Ok((access, project))
}

/// Team `slug` of the organization of `access`, or 404.
pub async fn resolve_team(
    state: &AppState,
    access: &OrgAccess,
    slug: &str,
) -> Result<TeamRow, ApiError> {
    teams::by_slug(&state.pool, access.org.id, access.caller.user_id(), slug)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Issue `issue_id` of the caller's organization, once the caller may read events
/// there; 404 for another organization's issue or a non-numeric id.
pub async fn resolve_issue(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
) -> Result<IssueRow, ApiError> {
    access.require(&EVENT_READ)?;
    let id: i64 = issue_id.parse().map_err(|_| ApiError::NotFound)?;
    queries::get(&state.pool, access.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Resolves the organization of an issue named without one; a caller outside that
/// organization gets the same 404 as for an issue that does not exist.
pub async fn access_to_issue(
    state: &AppState,
    caller: Caller,
    issue_id: &str,
) -> Result<OrgAccess, ApiError> {
    let id: i64 = issue_id.parse().map_err(|_| ApiError::NotFound)?;
    // A member's organizations are asked one at a time rather than all at once, so
    // that on Citus no read reaches every worker (nor fails for a worker that holds
    // none of them); a superuser may see any organization.
    let org_id = if caller.owner.is_superuser {
        queries::org_of(&state.pool, id).await?
    } else {
        let candidates = members::org_ids_of_user(&state.pool, caller.user_id()).await?;
        queries::org_among(&state.pool, id, &candidates).await?
    };
    let org_id = org_id.ok_or(ApiError::NotFound)?;
    OrgAccess::resolve(state, caller, &org_id.to_string()).await
}
