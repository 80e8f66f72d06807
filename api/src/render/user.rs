//! Users as Sentry shows them.

use serde_json::{json, Value};

use crate::json::date;

/// A user as Sentry's `UserSerializer` renders one (member details, audit log actors).
pub fn sentry_user(
    id: i64,
    email: &str,
    name: &str,
    date_joined: chrono::DateTime<chrono::Utc>,
    is_superuser: bool,
) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "username": email,
        "email": email,
        "avatarUrl": "",
        "isActive": true,
        "isSuspended": false,
        "hasPasswordAuth": false,
        "isManaged": false,
        "dateJoined": date(date_joined),
        "lastLogin": null,
        "has2fa": false,
        "lastActive": null,
        "isSuperuser": is_superuser,
        "isStaff": false,
        "experiments": {},
        "emails": [{ "id": id.to_string(), "email": email, "is_verified": true }],
    })
}

/// A user as activity and comments show them: `{id, name, email}` or null.
pub fn user_json(id: Option<i64>, email: Option<&str>, name: Option<&str>) -> Value {
    match id {
        Some(id) => {
            let email = email.unwrap_or_default();
            let name = name.filter(|name| !name.is_empty()).unwrap_or(email);
            json!({"id": id.to_string(), "name": name, "email": email})
        }
        None => Value::Null,
    }
}
