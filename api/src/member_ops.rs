//! Organization membership changes the REST routes and the web UI share: adding a
//! member (creating the user for an unknown email), changing a role, removing, with
//! who-may-grant-what in one place.

use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::{OrgRole, Scope};
use faultline_domain::user::{User, UserCommand};
use faultline_projections::accounts::queries::auth::user_by_email;
use faultline_projections::accounts::queries::members::{self, MemberRow};

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::fields::field_error;
use crate::resolve::resolve_team;
use crate::state::AppState;

/// Member `id` (or `me`) of the organization of `access`, or 404.
pub async fn find_member(
    state: &AppState,
    access: &OrgAccess,
    id: &str,
) -> Result<MemberRow, ApiError> {
    if id == "me" {
        return access.member.clone().ok_or(ApiError::NotFound);
    }
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    members::get(&state.pool, access.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The role in `body`, checked against what the caller may grant.
fn grantable_role(access: &OrgAccess, role: Option<&str>) -> Result<Option<OrgRole>, ApiError> {
    let Some(role) = role else { return Ok(None) };
    let role: OrgRole = role
        .parse()
        .map_err(|_| field_error("orgRole", "Invalid role."))?;
    let may_grant =
        access.caller.owner.is_superuser || access.role().is_some_and(|own| own >= role);
    if !may_grant {
        return Err(ApiError::BadRequest(
            "You do not have permission to set that org-level role".into(),
        ));
    }
    Ok(Some(role))
}

/// Adds the member with `email` and `role` (member when none) to the teams named by
/// `team_slugs`; answers the new member's id. Faultline sends no invitation emails: the
/// member is active at once, and a user is created for an email Faultline does not know.
pub async fn add_member(
    state: &AppState,
    access: &OrgAccess,
    email: Option<String>,
    role: Option<&str>,
    team_slugs: &[String],
) -> Result<i64, ApiError> {
    access.require(&[Scope::MemberWrite, Scope::MemberAdmin, Scope::MemberInvite])?;
    let email = email
        .map(|e| e.trim().to_owned())
        .filter(|e| e.contains('@') && !e.contains(char::is_whitespace))
        .ok_or_else(|| field_error("email", "Enter a valid email address."))?;
    let role = grantable_role(access, role)?.unwrap_or(OrgRole::Member);
    let mut team_ids = Vec::new();
    for slug in team_slugs {
        let team = resolve_team(state, access, slug)
            .await
            .map_err(|_| field_error("teams", &format!("Invalid team: {slug}")))?;
        team_ids.push(team.id);
    }
    let metadata = access.caller.metadata();
    let user_id = match user_by_email(&state.pool, &email).await? {
        Some(user) => user.id,
        None => {
            let user_id = next_id(&state.pool, IdKind::User).await?;
            state
                .execute::<User>(
                    &user_id.to_string(),
                    UserCommand::CreateUser {
                        user_id,
                        email: email.clone(),
                        name: email.clone(),
                        is_superuser: false,
                        at: chrono::Utc::now(),
                    },
                    &metadata,
                )
                .await?;
            user_id
        }
    };
    let member_id = next_id(&state.pool, IdKind::Member).await?;
    let org_id = access.org.id.to_string();
    state
        .execute::<Organization>(
            &org_id,
            OrganizationCommand::AddMember {
                member_id,
                user_id,
                email,
                role,
                at: chrono::Utc::now(),
            },
            &metadata,
        )
        .await?;
    for team_id in team_ids {
        state
            .execute::<Organization>(
                &org_id,
                OrganizationCommand::AddTeamMember {
                    team_id,
                    member_id,
                    at: chrono::Utc::now(),
                },
                &metadata,
            )
            .await?;
    }
    Ok(member_id)
}

/// Changes `member`'s role to `role`, when given: the caller may grant only roles up
/// to their own, and only to members at or below it.
pub async fn change_role(
    state: &AppState,
    access: &OrgAccess,
    member: &MemberRow,
    role: Option<&str>,
) -> Result<(), ApiError> {
    access.require(&[Scope::MemberWrite, Scope::MemberAdmin])?;
    if let Some(role) = grantable_role(access, role)? {
        let current: OrgRole = member.role.parse().map_err(ApiError::internal)?;
        let may_manage =
            access.caller.owner.is_superuser || access.role().is_some_and(|own| own >= current);
        if !may_manage {
            return Err(ApiError::BadRequest(
                "You do not have permission to edit that member".into(),
            ));
        }
        state
            .execute::<Organization>(
                &access.org.id.to_string(),
                OrganizationCommand::ChangeMemberRole {
                    member_id: member.id,
                    role,
                    at: chrono::Utc::now(),
                },
                &access.caller.metadata(),
            )
            .await?;
    }
    Ok(())
}

/// Removes `member`: anyone may leave; removing someone else takes `member:admin` and a
/// role at least as high as theirs (Sentry answers 400 otherwise).
pub async fn remove_member(
    state: &AppState,
    access: &OrgAccess,
    member: &MemberRow,
) -> Result<(), ApiError> {
    access.require(&[Scope::MemberRead, Scope::MemberWrite, Scope::MemberAdmin])?;
    let is_self = member.user_id == access.caller.user_id();
    if !is_self {
        let target: OrgRole = member.role.parse().map_err(ApiError::internal)?;
        let may_remove = access.has(Scope::MemberAdmin)
            && (access.caller.owner.is_superuser || access.role().is_some_and(|own| own >= target));
        if !may_remove {
            return Err(ApiError::BadRequest(
                "You do not have permission to remove that member".into(),
            ));
        }
    }
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            OrganizationCommand::RemoveMember {
                member_id: member.id,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    Ok(())
}
