//! Why an organization command was refused.

use crate::slug::Slug;

/// A refusal of an [`OrganizationCommand`](super::OrganizationCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationError {
    /// `CreateOrganization` on an organization that already exists.
    #[error("organization already exists")]
    AlreadyExists,
    /// A command on an organization that was never created.
    #[error("organization not found")]
    NotFound,
    /// A command on a deleted organization.
    #[error("organization has been deleted")]
    OrganizationDeleted,
    /// A name that is empty or only whitespace.
    #[error("name must not be empty")]
    EmptyName,
    /// The user is already a member (or the member id is already used).
    #[error("user is already a member of this organization")]
    MemberAlreadyExists,
    /// No member with this id.
    #[error("member {0} not found")]
    MemberNotFound(i64),
    /// The change would leave the organization without an owner.
    #[error("the organization must keep at least one owner")]
    LastOwner,
    /// A team with this id already exists.
    #[error("team {0} already exists")]
    TeamAlreadyExists(i64),
    /// Another team in this organization already uses the slug.
    #[error("team slug \"{0}\" is already taken")]
    TeamSlugTaken(Slug),
    /// No team with this id.
    #[error("team {0} not found")]
    TeamNotFound(i64),
    /// The member is already on the team.
    #[error("member is already on the team")]
    AlreadyTeamMember,
    /// The member is not on the team.
    #[error("member is not on the team")]
    NotTeamMember,
}
