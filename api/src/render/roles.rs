//! Sentry's role lists (`orgRoleList`, `teamRoleList`) for our four organization roles.

use faultline_domain::role::{OrgRole, Scope};
use serde_json::{json, Value};

use crate::auth::OrgAccess;

/// Sentry's `orgRoleList`: every organization role, and whether the caller may
/// give it (needs `member:admin` and a role at least as high; superusers may give any).
pub fn org_role_list(access: &OrgAccess) -> Value {
    let own = if access.caller.owner.is_superuser {
        Some(OrgRole::Owner)
    } else {
        access.role().filter(|_| access.has(Scope::MemberAdmin))
    };
    let roles: Vec<Value> = OrgRole::ALL
        .into_iter()
        .map(|role| {
            let (name, desc) = match role {
                OrgRole::Member => (
                    "Member",
                    "Members can view and act on events, as well as view most other data within the organization.",
                ),
                OrgRole::Admin => (
                    "Admin",
                    "Admin privileges on any teams of which they're a member. Retired in favour of team roles.",
                ),
                OrgRole::Manager => (
                    "Manager",
                    "Gains admin access on all teams as well as the ability to add and remove members.",
                ),
                OrgRole::Owner => (
                    "Owner",
                    "Unrestricted access to the organization, its data, and its settings.",
                ),
            };
            let scopes: Vec<&str> = role.scopes().iter().map(|s| s.as_str()).collect();
            let allowed = own.is_some_and(|own| role <= own);
            let global = role >= OrgRole::Manager;
            json!({
                "id": role.as_str(),
                "name": name,
                "desc": desc,
                "scopes": scopes,
                "allowed": allowed,
                "isAllowed": allowed,
                "isRetired": role == OrgRole::Admin,
                "isTeamRolesAllowed": true,
                "is_global": global,
                "isGlobal": global,
                "minimumTeamRole": if role == OrgRole::Member { "contributor" } else { "admin" },
            })
        })
        .collect();
    json!(roles)
}

/// Sentry's `teamRoleList`: its two team roles. Faultline has no team roles yet, so
/// none can be given.
pub fn team_role_list() -> Value {
    let contributor = [
        "event:read",
        "event:write",
        "project:releases",
        "project:read",
        "org:read",
        "member:read",
        "team:read",
        "alerts:read",
    ];
    let admin_extra = [
        "project:write",
        "project:admin",
        "team:write",
        "team:admin",
        "event:admin",
        "org:integrations",
        "alerts:write",
    ];
    let admin: Vec<&str> = contributor
        .iter()
        .chain(admin_extra.iter())
        .copied()
        .collect();
    json!([
        {
            "id": "contributor",
            "name": "Contributor",
            "desc": "Contributors can view and act on events, as well as view most other data within the team's projects.",
            "scopes": contributor,
            "allowed": false,
            "isAllowed": false,
            "isRetired": false,
            "isTeamRolesAllowed": true,
            "isMinimumRoleFor": "member",
        },
        {
            "id": "admin",
            "name": "Team Admin",
            "desc": "Admin privileges on the team. They can create and remove projects, and can manage the team's memberships.",
            "scopes": admin,
            "allowed": false,
            "isAllowed": false,
            "isRetired": false,
            "isTeamRolesAllowed": true,
            "isMinimumRoleFor": "admin",
        },
    ])
}
