//! Events in the life of an organization.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::role::OrgRole;
use crate::slug::Slug;

/// Something that happened to an organization, its members or its teams.
///
/// Stored externally tagged, for example
/// `{"TeamCreated":{"team_id":3,"slug":"backend","name":"Backend","at":"2026-01-01T00:00:00Z"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrganizationEvent {
    /// The organization was created (its first owner follows as `MemberAdded`).
    OrganizationCreated {
        /// The organization's id.
        org_id: i64,
        /// The display name.
        name: String,
        /// The URL slug.
        slug: Slug,
        /// When it was created (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// The name or slug changed; only the changed fields are present.
    OrganizationUpdated {
        /// The new name, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new slug, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slug: Option<Slug>,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// The organization was deleted.
    OrganizationDeleted {
        /// When it was deleted.
        at: DateTime<Utc>,
    },
    /// One person's data was erased from the organization's stored events; the event
    /// says how much, never who.
    PersonErased {
        /// Stored events rewritten without them.
        events: i64,
        /// User keys they were counted under, now replaced.
        users: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user became a member.
    MemberAdded {
        /// The member id.
        member_id: i64,
        /// The user.
        user_id: i64,
        /// The user's email.
        email: String,
        /// The member's role.
        role: OrgRole,
        /// When the member was added (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// A member's role changed.
    MemberRoleChanged {
        /// The member id.
        member_id: i64,
        /// The role before the change.
        previous_role: OrgRole,
        /// The role after the change.
        role: OrgRole,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// A member left the organization, and with it every team listed.
    MemberRemoved {
        /// The member id.
        member_id: i64,
        /// The user who was the member.
        user_id: i64,
        /// The teams the member was on, which they left too.
        teams: BTreeSet<i64>,
        /// When the member was removed.
        at: DateTime<Utc>,
    },
    /// A team was created.
    TeamCreated {
        /// The team id.
        team_id: i64,
        /// The team slug.
        slug: Slug,
        /// The team's display name.
        name: String,
        /// When it was created (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// A team's name or slug changed; only the changed fields are present.
    TeamUpdated {
        /// The team id.
        team_id: i64,
        /// The new name, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new slug, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slug: Option<Slug>,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// A team was deleted; its memberships went with it.
    TeamDeleted {
        /// The team id.
        team_id: i64,
        /// When it was deleted.
        at: DateTime<Utc>,
    },
    /// A member joined a team.
    TeamMemberAdded {
        /// The team id.
        team_id: i64,
        /// The member id.
        member_id: i64,
        /// When they joined.
        at: DateTime<Utc>,
    },
    /// A member left a team.
    TeamMemberRemoved {
        /// The team id.
        team_id: i64,
        /// The member id.
        member_id: i64,
        /// When they left.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for OrganizationEvent {
    fn event_type(&self) -> String {
        use OrganizationEvent::*;
        match self {
            OrganizationCreated { .. } => "OrganizationCreated",
            OrganizationUpdated { .. } => "OrganizationUpdated",
            OrganizationDeleted { .. } => "OrganizationDeleted",
            PersonErased { .. } => "PersonErased",
            MemberAdded { .. } => "MemberAdded",
            MemberRoleChanged { .. } => "MemberRoleChanged",
            MemberRemoved { .. } => "MemberRemoved",
            TeamCreated { .. } => "TeamCreated",
            TeamUpdated { .. } => "TeamUpdated",
            TeamDeleted { .. } => "TeamDeleted",
            TeamMemberAdded { .. } => "TeamMemberAdded",
            TeamMemberRemoved { .. } => "TeamMemberRemoved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
