//! A caller's access to one organization.

use std::collections::BTreeSet;

use faultline_domain::role::{OrgRole, Scope};
use faultline_projections::accounts::queries::members::{self, MemberRow};
use faultline_projections::accounts::queries::organizations::{self, OrgRow};

use super::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// The organization named in the path, as the caller may see it.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    /// The organization.
    pub org: OrgRow,
    /// The caller.
    pub caller: Caller,
    /// The caller's membership (a superuser may have none).
    pub member: Option<MemberRow>,
    /// What the caller may do here.
    pub scopes: BTreeSet<Scope>,
}

impl OrgAccess {
    /// Resolves `id_or_slug` for `caller`: 404 unless the caller is a member (or a
    /// superuser); a member's scopes are the token's scopes within the role's.
    pub async fn resolve(
        state: &AppState,
        caller: Caller,
        id_or_slug: &str,
    ) -> Result<Self, ApiError> {
        let org = organizations::by_id_or_slug(&state.pool, id_or_slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        let member = members::of_user(&state.pool, org.id, caller.user_id()).await?;
        let scopes = match (&member, caller.owner.is_superuser) {
            (_, true) => caller.token_scopes.clone(),
            (Some(member), false) => {
                let role: OrgRole = member.role.parse().map_err(ApiError::internal)?;
                role.scopes()
                    .intersection(&caller.token_scopes)
                    .copied()
                    .collect()
            }
            (None, false) => return Err(ApiError::NotFound),
        };
        Ok(Self {
            org,
            caller,
            member,
            scopes,
        })
    }

    /// Refuses (403) unless the caller holds one of `scopes` here.
    pub fn require(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        if scopes.iter().any(|s| self.scopes.contains(s)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the caller holds `scope` here.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The caller's role, if a member.
    pub fn role(&self) -> Option<OrgRole> {
        self.member.as_ref().and_then(|m| m.role.parse().ok())
    }
}
