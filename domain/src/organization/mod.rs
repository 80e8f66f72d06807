//! The organization aggregate: the org itself, its members and its teams.
//!
//! Aggregate id: the organization's numeric id as a decimal string (`"1"`).
//! Invariant: a live organization always has at least one owner.

mod command;
mod decide;
mod error;
mod event;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::OrganizationCommand;
pub use error::OrganizationError;
pub use event::OrganizationEvent;

use crate::role::{OrgRole, Scope};
use crate::slug::Slug;

/// An organization as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    org_id: Option<i64>,
    name: String,
    slug: Option<Slug>,
    deleted: bool,
    members: BTreeMap<i64, Member>,
    teams: BTreeMap<i64, Team>,
}

/// A membership, keyed by member id in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The user who is the member.
    pub user_id: i64,
    /// The user's email when they were added.
    pub email: String,
    /// The member's role.
    pub role: OrgRole,
}

/// A team, keyed by team id in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team slug, unique within the organization.
    pub slug: Slug,
    /// The display name.
    pub name: String,
    /// The member ids on the team.
    pub members: BTreeSet<i64>,
}

impl Organization {
    /// The organization's id, once created.
    pub fn org_id(&self) -> Option<i64> {
        self.org_id
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL slug, once created.
    pub fn slug(&self) -> Option<&Slug> {
        self.slug.as_ref()
    }

    /// Whether the organization exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.org_id.is_some() && !self.deleted
    }

    /// A member by member id.
    pub fn member(&self, member_id: i64) -> Option<&Member> {
        self.members.get(&member_id)
    }

    /// The membership of a user, with its member id.
    pub fn member_for_user(&self, user_id: i64) -> Option<(i64, &Member)> {
        self.members
            .iter()
            .find(|(_, member)| member.user_id == user_id)
            .map(|(id, member)| (*id, member))
    }

    /// The scopes a user's role grants here; empty if not a member or not live.
    pub fn scopes_for_user(&self, user_id: i64) -> BTreeSet<Scope> {
        match self.member_for_user(user_id) {
            Some((_, member)) if self.is_live() => member.role.scopes(),
            _ => BTreeSet::new(),
        }
    }

    /// A team by team id.
    pub fn team(&self, team_id: i64) -> Option<&Team> {
        self.teams.get(&team_id)
    }

    fn owner_count(&self) -> usize {
        self.members
            .values()
            .filter(|member| member.role == OrgRole::Owner)
            .count()
    }
}

impl Aggregate for Organization {
    const TYPE: &'static str = "organization";
    type Command = OrganizationCommand;
    type Event = OrganizationEvent;
    type Error = OrganizationError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        use OrganizationEvent::*;
        match event {
            OrganizationCreated {
                org_id, name, slug, ..
            } => {
                self.org_id = Some(org_id);
                self.name = name;
                self.slug = Some(slug);
            }
            OrganizationUpdated { name, slug, .. } => {
                if let Some(name) = name {
                    self.name = name;
                }
                if slug.is_some() {
                    self.slug = slug;
                }
            }
            OrganizationDeleted { .. } => self.deleted = true,
            PersonErased { .. } => {}
            MemberAdded {
                member_id,
                user_id,
                email,
                role,
                ..
            } => {
                let member = Member {
                    user_id,
                    email,
                    role,
                };
                self.members.insert(member_id, member);
            }
            MemberRoleChanged {
                member_id, role, ..
            } => {
                if let Some(member) = self.members.get_mut(&member_id) {
                    member.role = role;
                }
            }
            MemberRemoved { member_id, .. } => {
                self.members.remove(&member_id);
                for team in self.teams.values_mut() {
                    team.members.remove(&member_id);
                }
            }
            TeamCreated {
                team_id,
                slug,
                name,
                ..
            } => {
                let team = Team {
                    slug,
                    name,
                    members: BTreeSet::new(),
                };
                self.teams.insert(team_id, team);
            }
            TeamUpdated {
                team_id,
                name,
                slug,
                ..
            } => {
                if let Some(team) = self.teams.get_mut(&team_id) {
                    if let Some(name) = name {
                        team.name = name;
                    }
                    if let Some(slug) = slug {
                        team.slug = slug;
                    }
                }
            }
            TeamDeleted { team_id, .. } => {
                self.teams.remove(&team_id);
            }
            TeamMemberAdded {
                team_id, member_id, ..
            } => {
                if let Some(team) = self.teams.get_mut(&team_id) {
                    team.members.insert(member_id);
                }
            }
            TeamMemberRemoved {
                team_id, member_id, ..
            } => {
                if let Some(team) = self.teams.get_mut(&team_id) {
                    team.members.remove(&member_id);
                }
            }
        }
    }
}
