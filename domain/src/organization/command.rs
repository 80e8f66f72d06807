//! Commands on an organization, its members and its teams.

use chrono::{DateTime, Utc};

use crate::role::OrgRole;
use crate::slug::Slug;

/// A request to change an organization. Ids and times are decided by the caller.
///
/// Slug uniqueness across organizations is not checked here: the caller checks it
/// against the read model (and the database enforces it).
#[derive(Debug, Clone, PartialEq)]
pub enum OrganizationCommand {
    /// Create the organization with its first owner.
    CreateOrganization {
        /// The organization's numeric id, allocated outside the domain.
        org_id: i64,
        /// The display name.
        name: String,
        /// The URL slug.
        slug: Slug,
        /// The user who becomes the first owner.
        owner_user_id: i64,
        /// The member id allocated for that owner.
        owner_member_id: i64,
        /// The owner's email, copied onto the membership.
        owner_email: String,
        /// When the organization was created.
        at: DateTime<Utc>,
    },
    /// Rename the organization or change its slug; unchanged fields are ignored.
    UpdateOrganization {
        /// The new display name, if any.
        name: Option<String>,
        /// The new slug, if any.
        slug: Option<Slug>,
        /// When the change was made.
        at: DateTime<Utc>,
    },
    /// Delete the organization; it then refuses every command.
    DeleteOrganization {
        /// When the organization was deleted.
        at: DateTime<Utc>,
    },
    /// Record that one person's data was erased from the organization's events
    /// (`faultline forget user`): how much, never who.
    RecordErasure {
        /// Stored events rewritten without them.
        events: i64,
        /// User keys they were counted under, now replaced.
        users: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// Add an existing user as a member.
    AddMember {
        /// The member id, allocated outside the domain.
        member_id: i64,
        /// The user who joins.
        user_id: i64,
        /// The user's email, copied onto the membership.
        email: String,
        /// The member's role.
        role: OrgRole,
        /// When the member was added.
        at: DateTime<Utc>,
    },
    /// Change a member's role.
    ChangeMemberRole {
        /// The member.
        member_id: i64,
        /// The new role.
        role: OrgRole,
        /// When the role changed.
        at: DateTime<Utc>,
    },
    /// Remove a member from the organization and all its teams.
    RemoveMember {
        /// The member.
        member_id: i64,
        /// When the member was removed.
        at: DateTime<Utc>,
    },
    /// Create a team.
    CreateTeam {
        /// The team id, allocated outside the domain.
        team_id: i64,
        /// The team slug, unique within the organization.
        slug: Slug,
        /// The team's display name.
        name: String,
        /// When the team was created.
        at: DateTime<Utc>,
    },
    /// Rename a team or change its slug; unchanged fields are ignored.
    UpdateTeam {
        /// The team.
        team_id: i64,
        /// The new display name, if any.
        name: Option<String>,
        /// The new slug, if any.
        slug: Option<Slug>,
        /// When the change was made.
        at: DateTime<Utc>,
    },
    /// Delete a team.
    DeleteTeam {
        /// The team.
        team_id: i64,
        /// When the team was deleted.
        at: DateTime<Utc>,
    },
    /// Put a member on a team.
    AddTeamMember {
        /// The team.
        team_id: i64,
        /// The member.
        member_id: i64,
        /// When the member joined the team.
        at: DateTime<Utc>,
    },
    /// Take a member off a team.
    RemoveTeamMember {
        /// The team.
        team_id: i64,
        /// The member.
        member_id: i64,
        /// When the member left the team.
        at: DateTime<Utc>,
    },
}
