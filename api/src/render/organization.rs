//! An organization as Sentry shows it.

use faultline_projections::accounts::queries::organizations::OrgRow;
use serde_json::{json, Value};

use crate::json::date;
use crate::state::AppState;

/// The organization summary Sentry returns in lists.
pub fn org_json(state: &AppState, org: &OrgRow) -> Value {
    json!({
        "id": org.id.to_string(),
        "slug": org.slug,
        "name": org.name,
        "dateCreated": date(org.date_created),
        "isEarlyAdopter": false,
        "require2FA": false,
        "requireEmailVerification": false,
        "allowMemberInvite": true,
        "allowMemberProjectCreation": true,
        "allowSuperuserAccess": true,
        "status": { "id": "active", "name": "active" },
        "avatar": { "avatarType": "letter_avatar", "avatarUuid": null, "avatarUrl": null },
        "features": [],
        "hasAuthProvider": false,
        "isDefault": false,
        "links": {
            "organizationUrl": format!("{}/organizations/{}/", state.public_url, org.slug),
            "regionUrl": state.public_url.to_string(),
        },
    })
}
