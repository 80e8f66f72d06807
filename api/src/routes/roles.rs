//! Sentry's role lists (`orgRoleList`, `teamRoleList`) for our four organization roles.

use faultline_domain::role::OrgRole;
use serde_json::{json, Value};

fn describe(role: OrgRole) -> (&'static str, &'static str) {
    match role {
        OrgRole::Member => ("Member", "Members can view and act on events, as well as view most other data within the organization."),
        OrgRole::Admin => ("Admin", "Admin privileges on any teams of which they're a member. They can create new teams and projects."),
        OrgRole::Manager => ("Manager", "Gains admin access on all teams as well as the ability to add and remove members."),
        OrgRole::Owner => ("Owner", "Unrestricted access to the organization, its data, and its settings."),
    }
}

/// `orgRoleList`: every role, marked allowed when `granter` may hand it out.
pub fn org_role_list(granter: Option<OrgRole>, superuser: bool) -> Value {
    let roles: Vec<Value> = OrgRole::ALL
        .iter()
        .map(|role| {
            let (name, desc) = describe(*role);
            let scopes: Vec<&str> = role.scopes().iter().map(|s| s.as_str()).collect();
            let allowed = superuser || granter.is_some_and(|g| g >= *role);
            json!({
                "id": role.as_str(),
                "name": name,
                "desc": desc,
                "scopes": scopes,
                "allowed": allowed,
                "isAllowed": allowed,
                "isRetired": false,
                "isTeamRolesAllowed": true,
                "is_global": matches!(role, OrgRole::Manager | OrgRole::Owner),
                "isGlobal": matches!(role, OrgRole::Manager | OrgRole::Owner),
                "minimumTeamRole": if *role >= OrgRole::Admin { "admin" } else { "contributor" },
            })
        })
        .collect();
    Value::Array(roles)
}

/// `teamRoleList`: Sentry's two team roles.
pub fn team_role_list() -> Value {
    let contributor: Vec<&str> = OrgRole::Member
        .scopes()
        .iter()
        .map(|s| s.as_str())
        .collect();
    let admin: Vec<&str> = OrgRole::Admin.scopes().iter().map(|s| s.as_str()).collect();
    json!([
        {
            "id": "contributor", "name": "Contributor",
            "desc": "Contributors can view and act on events, as well as view most other data within the team's projects.",
            "scopes": contributor, "allowed": true, "isAllowed": true, "isRetired": false,
            "isTeamRolesAllowed": true, "isMinimumRoleFor": null,
        },
        {
            "id": "admin", "name": "Team Admin",
            "desc": "Admin privileges on the team. They can create and remove projects, and manage the team's memberships.",
            "scopes": admin, "allowed": true, "isAllowed": true, "isRetired": false,
            "isTeamRolesAllowed": true, "isMinimumRoleFor": "admin",
        },
    ])
}
