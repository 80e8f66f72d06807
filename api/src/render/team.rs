//! A team as Sentry shows it.

use faultline_projections::accounts::queries::teams::TeamRow;
use serde_json::{json, Value};

use crate::auth::OrgAccess;
use crate::json::date;

/// A team as Sentry serializes it, seen by the caller of `access`.
pub fn team_json(access: &OrgAccess, team: &TeamRow) -> Value {
    let scopes: Vec<&str> = access.scopes.iter().map(|s| s.as_str()).collect();
    json!({
        "id": team.id.to_string(),
        "slug": team.slug,
        "name": team.name,
        "dateCreated": date(team.date_created),
        "isMember": team.is_member,
        "teamRole": if team.is_member { Some("contributor") } else { None },
        "flags": { "idp:provisioned": false },
        "access": scopes,
        "hasAccess": true,
        "isPending": false,
        "memberCount": team.member_count,
        "avatar": { "avatarType": "letter_avatar", "avatarUuid": null },
    })
}
