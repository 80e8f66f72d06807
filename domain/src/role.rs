//! Organization roles and the API scopes they grant, as in Sentry's `SENTRY_ROLES`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in an organization, from least to most privileged.
///
/// Serialized in lowercase: `"member"`, `"admin"`, `"manager"`, `"owner"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    /// Can see and act on events, read the org and invite members.
    Member,
    /// Member plus project and team administration and integrations.
    Admin,
    /// Admin plus member administration and org settings.
    Manager,
    /// Every scope, including deleting the organization.
    Owner,
}

/// A role name that is not one of Sentry's organization roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role \"{0}\"; expected member, admin, manager or owner")]
pub struct UnknownRole(pub String);

/// A scope name that is not one Faultline knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope \"{0}\"")]
pub struct UnknownScope(pub String);

impl OrgRole {
    /// Every role, from least to most privileged.
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Member,
        OrgRole::Admin,
        OrgRole::Manager,
        OrgRole::Owner,
    ];

    /// The wire name of the role (`"owner"`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Admin => "admin",
            OrgRole::Manager => "manager",
            OrgRole::Owner => "owner",
        }
    }

    /// The scopes this role grants, exactly as Sentry's role table.
    pub fn scopes(self) -> BTreeSet<Scope> {
        use Scope::*;
        let mut scopes: BTreeSet<Scope> = [
            EventRead,
            EventWrite,
            EventAdmin,
            ProjectReleases,
            ProjectRead,
            OrgRead,
            MemberInvite,
            MemberRead,
            TeamRead,
            AlertsRead,
            AlertsWrite,
        ]
        .into();
        if self >= OrgRole::Admin {
            scopes.extend([
                ProjectWrite,
                ProjectAdmin,
                TeamWrite,
                TeamAdmin,
                OrgIntegrations,
            ]);
        }
        if self >= OrgRole::Manager {
            scopes.extend([MemberWrite, MemberAdmin, OrgWrite]);
        }
        if self == OrgRole::Owner {
            scopes.insert(OrgAdmin);
        }
        scopes
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgRole {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// An API permission, serialized as Sentry's `resource:level` string (`"project:read"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// `org:read`
    #[serde(rename = "org:read")]
    OrgRead,
    /// `org:write`
    #[serde(rename = "org:write")]
    OrgWrite,
    /// `org:admin`
    #[serde(rename = "org:admin")]
    OrgAdmin,
    /// `org:integrations`
    #[serde(rename = "org:integrations")]
    OrgIntegrations,
    /// `project:read`
    #[serde(rename = "project:read")]
    ProjectRead,
    /// `project:write`
    #[serde(rename = "project:write")]
    ProjectWrite,
    /// `project:admin`
    #[serde(rename = "project:admin")]
    ProjectAdmin,
    /// `project:releases`
    #[serde(rename = "project:releases")]
    ProjectReleases,
    /// `team:read`
    #[serde(rename = "team:read")]
    TeamRead,
    /// `team:write`
    #[serde(rename = "team:write")]
    TeamWrite,
    /// `team:admin`
    #[serde(rename = "team:admin")]
    TeamAdmin,
    /// `member:read`
    #[serde(rename = "member:read")]
    MemberRead,
    /// `member:write`
    #[serde(rename = "member:write")]
    MemberWrite,
    /// `member:admin`
    #[serde(rename = "member:admin")]
    MemberAdmin,
    /// `member:invite`
    #[serde(rename = "member:invite")]
    MemberInvite,
    /// `event:read`
    #[serde(rename = "event:read")]
    EventRead,
    /// `event:write`
    #[serde(rename = "event:write")]
    EventWrite,
    /// `event:admin`
    #[serde(rename = "event:admin")]
    EventAdmin,
    /// `alerts:read`
    #[serde(rename = "alerts:read")]
    AlertsRead,
    /// `alerts:write`
    #[serde(rename = "alerts:write")]
    AlertsWrite,
}

impl Scope {
    /// Every scope, in declaration order.
    pub const ALL: [Scope; 20] = [
        Scope::OrgRead,
        Scope::OrgWrite,
        Scope::OrgAdmin,
        Scope::OrgIntegrations,
        Scope::ProjectRead,
        Scope::ProjectWrite,
        Scope::ProjectAdmin,
        Scope::ProjectReleases,
        Scope::TeamRead,
        Scope::TeamWrite,
        Scope::TeamAdmin,
        Scope::MemberRead,
        Scope::MemberWrite,
        Scope::MemberAdmin,
        Scope::MemberInvite,
        Scope::EventRead,
        Scope::EventWrite,
        Scope::EventAdmin,
        Scope::AlertsRead,
        Scope::AlertsWrite,
    ];

    /// The set of every scope.
    pub fn all() -> BTreeSet<Scope> {
        Scope::ALL.into()
    }

    /// The wire name of the scope (`"project:read"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgRead => "org:read",
            Scope::OrgWrite => "org:write",
            Scope::OrgAdmin => "org:admin",
            Scope::OrgIntegrations => "org:integrations",
            Scope::ProjectRead => "project:read",
            Scope::ProjectWrite => "project:write",
            Scope::ProjectAdmin => "project:admin",
            Scope::ProjectReleases => "project:releases",
            Scope::TeamRead => "team:read",
            Scope::TeamWrite => "team:write",
            Scope::TeamAdmin => "team:admin",
            Scope::MemberRead => "member:read",
            Scope::MemberWrite => "member:write",
            Scope::MemberAdmin => "member:admin",
            Scope::MemberInvite => "member:invite",
            Scope::EventRead => "event:read",
            Scope::EventWrite => "event:write",
            Scope::EventAdmin => "event:admin",
            Scope::AlertsRead => "alerts:read",
            Scope::AlertsWrite => "alerts:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(role: OrgRole) -> BTreeSet<&'static str> {
        role.scopes().into_iter().map(Scope::as_str).collect()
    }

    fn set(list: &str) -> BTreeSet<&str> {
        list.split(',').collect()
    }

    const MEMBER: &str = "event:read,event:write,event:admin,project:releases,project:read,\
org:read,member:invite,member:read,team:read,alerts:read,alerts:write";

    #[test]
    fn member_has_exactly_sentrys_member_scopes() {
        assert_eq!(names(OrgRole::Member), set(MEMBER));
    }

    #[test]
    fn admin_adds_project_team_and_integration_scopes() {
        let list =
            format!("{MEMBER},project:write,project:admin,team:write,team:admin,org:integrations");
        assert_eq!(names(OrgRole::Admin), set(&list));
    }

    #[test]
    fn admin_cannot_manage_members() {
        let scopes = OrgRole::Admin.scopes();
        assert!(!scopes.contains(&Scope::MemberWrite));
        assert!(!scopes.contains(&Scope::MemberAdmin));
        assert!(!scopes.contains(&Scope::OrgWrite));
    }

    #[test]
    fn manager_is_admin_plus_member_management_and_org_write() {
        let mut expected = OrgRole::Admin.scopes();
        expected.extend([Scope::MemberWrite, Scope::MemberAdmin, Scope::OrgWrite]);
        assert_eq!(OrgRole::Manager.scopes(), expected);
    }

    #[test]
    fn manager_lacks_org_admin() {
        assert!(!OrgRole::Manager.scopes().contains(&Scope::OrgAdmin));
    }

    #[test]
    fn owner_has_every_scope() {
        assert_eq!(OrgRole::Owner.scopes(), Scope::all());
    }

    #[test]
    fn every_scope_round_trips_through_its_name_and_json() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
        }
        assert_eq!(Scope::all().len(), 20);
    }

    #[test]
    fn an_unknown_scope_is_rejected() {
        assert_eq!(
            "org:billing".parse::<Scope>(),
            Err(UnknownScope("org:billing".into()))
        );
    }

    #[test]
    fn roles_parse_from_and_serialize_to_lowercase_names() {
        for role in OrgRole::ALL {
            assert_eq!(role.as_str().parse::<OrgRole>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{role}\""));
        }
        assert_eq!("Owner".parse::<OrgRole>(), Err(UnknownRole("Owner".into())));
    }

    #[test]
    fn roles_are_ordered_by_privilege() {
        assert!(OrgRole::Member < OrgRole::Admin);
        assert!(OrgRole::Manager < OrgRole::Owner);
    }
}
