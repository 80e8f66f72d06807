//! The organization's rules: which events a command causes, if any.

use chrono::{DateTime, Utc};

use super::{Organization, OrganizationCommand, OrganizationError, OrganizationEvent};
use crate::role::OrgRole;
use crate::slug::Slug;

type Decision = Result<Vec<OrganizationEvent>, OrganizationError>;

fn require_name(name: &str) -> Result<(), OrganizationError> {
    if name.trim().is_empty() {
        Err(OrganizationError::EmptyName)
    } else {
        Ok(())
    }
}

impl Organization {
    /// Decides which events a command causes, without changing the organization.
    pub fn decide(&self, cmd: OrganizationCommand) -> Decision {
        use OrganizationCommand::*;
        if self.deleted {
            return Err(OrganizationError::OrganizationDeleted);
        }
        if self.org_id.is_none() && !matches!(cmd, CreateOrganization { .. }) {
            return Err(OrganizationError::NotFound);
        }
        match cmd {
            CreateOrganization {
                org_id,
                name,
                slug,
                owner_user_id,
                owner_member_id,
                owner_email,
                at,
            } => {
                if self.org_id.is_some() {
                    return Err(OrganizationError::AlreadyExists);
                }
                require_name(&name)?;
                Ok(vec![
                    OrganizationEvent::OrganizationCreated {
                        org_id,
                        name,
                        slug,
                        at,
                    },
                    OrganizationEvent::MemberAdded {
                        member_id: owner_member_id,
                        user_id: owner_user_id,
                        email: owner_email,
                        role: OrgRole::Owner,
                        at,
                    },
                ])
            }
            UpdateOrganization { name, slug, at } => self.update(name, slug, at),
            DeleteOrganization { at } => Ok(vec![OrganizationEvent::OrganizationDeleted { at }]),
            RecordErasure { events, users, at } => {
                Ok(vec![OrganizationEvent::PersonErased { events, users, at }])
            }
            AddMember {
                member_id,
                user_id,
                email,
                role,
                at,
            } => {
                if self.members.contains_key(&member_id) || self.member_for_user(user_id).is_some()
                {
                    return Err(OrganizationError::MemberAlreadyExists);
                }
                Ok(vec![OrganizationEvent::MemberAdded {
                    member_id,
                    user_id,
                    email,
                    role,
                    at,
                }])
            }
            ChangeMemberRole {
                member_id,
                role,
                at,
            } => self.change_role(member_id, role, at),
            RemoveMember { member_id, at } => self.remove_member(member_id, at),
            CreateTeam {
                team_id,
                slug,
                name,
                at,
            } => {
                if self.teams.contains_key(&team_id) {
                    return Err(OrganizationError::TeamAlreadyExists(team_id));
                }
                require_name(&name)?;
                self.require_free_team_slug(team_id, &slug)?;
                Ok(vec![OrganizationEvent::TeamCreated {
                    team_id,
                    slug,
                    name,
                    at,
                }])
            }
            UpdateTeam {
                team_id,
                name,
                slug,
                at,
            } => self.update_team(team_id, name, slug, at),
            DeleteTeam { team_id, at } => {
                self.require_team(team_id)?;
                Ok(vec![OrganizationEvent::TeamDeleted { team_id, at }])
            }
            AddTeamMember {
                team_id,
                member_id,
                at,
            } => {
                self.require_member(member_id)?;
                if self.require_team(team_id)?.members.contains(&member_id) {
                    return Err(OrganizationError::AlreadyTeamMember);
                }
                Ok(vec![OrganizationEvent::TeamMemberAdded {
                    team_id,
                    member_id,
                    at,
                }])
            }
            RemoveTeamMember {
                team_id,
                member_id,
                at,
            } => {
                self.require_member(member_id)?;
                if !self.require_team(team_id)?.members.contains(&member_id) {
                    return Err(OrganizationError::NotTeamMember);
                }
                Ok(vec![OrganizationEvent::TeamMemberRemoved {
                    team_id,
                    member_id,
                    at,
                }])
            }
        }
    }

    fn update(&self, name: Option<String>, slug: Option<Slug>, at: DateTime<Utc>) -> Decision {
        if let Some(name) = &name {
            require_name(name)?;
        }
        let name = name.filter(|name| *name != self.name);
        let slug = slug.filter(|slug| Some(slug) != self.slug.as_ref());
        if name.is_none() && slug.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![OrganizationEvent::OrganizationUpdated {
            name,
            slug,
            at,
        }])
    }

    fn change_role(&self, member_id: i64, role: OrgRole, at: DateTime<Utc>) -> Decision {
        let previous_role = self.require_member(member_id)?.role;
        if previous_role == role {
            return Ok(vec![]);
        }
        if previous_role == OrgRole::Owner && self.owner_count() == 1 {
            return Err(OrganizationError::LastOwner);
        }
        Ok(vec![OrganizationEvent::MemberRoleChanged {
            member_id,
            previous_role,
            role,
            at,
        }])
    }

    fn remove_member(&self, member_id: i64, at: DateTime<Utc>) -> Decision {
        let member = self.require_member(member_id)?;
        if member.role == OrgRole::Owner && self.owner_count() == 1 {
            return Err(OrganizationError::LastOwner);
        }
        let teams = self
            .teams
            .iter()
            .filter(|(_, team)| team.members.contains(&member_id))
            .map(|(id, _)| *id)
            .collect();
        Ok(vec![OrganizationEvent::MemberRemoved {
            member_id,
            user_id: member.user_id,
            teams,
            at,
        }])
    }

    fn update_team(
        &self,
        team_id: i64,
        name: Option<String>,
        slug: Option<Slug>,
        at: DateTime<Utc>,
    ) -> Decision {
        let team = self.require_team(team_id)?;
        if let Some(name) = &name {
            require_name(name)?;
        }
        if let Some(slug) = &slug {
            self.require_free_team_slug(team_id, slug)?;
        }
        let name = name.filter(|name| *name != team.name);
        let slug = slug.filter(|slug| *slug != team.slug);
        if name.is_none() && slug.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![OrganizationEvent::TeamUpdated {
            team_id,
            name,
            slug,
            at,
        }])
    }

    fn require_member(&self, member_id: i64) -> Result<&super::Member, OrganizationError> {
        self.members
            .get(&member_id)
            .ok_or(OrganizationError::MemberNotFound(member_id))
    }

    fn require_team(&self, team_id: i64) -> Result<&super::Team, OrganizationError> {
        self.teams
            .get(&team_id)
            .ok_or(OrganizationError::TeamNotFound(team_id))
    }

    fn require_free_team_slug(&self, team_id: i64, slug: &Slug) -> Result<(), OrganizationError> {
        let taken = self
            .teams
            .iter()
            .any(|(id, team)| *id != team_id && team.slug == *slug);
        if taken {
            Err(OrganizationError::TeamSlugTaken(slug.clone()))
        } else {
            Ok(())
        }
    }
}
