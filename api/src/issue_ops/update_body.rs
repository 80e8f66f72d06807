//! An issue update body (`PUT` of one issue or of an issue list), validated into an
//! [`Update`] before anything changes: the status with `substatus` and
//! `statusDetails` (and Sentry's legacy top-level ignore keys), the flags, the
//! assignee, `merge`.

use faultline_domain::issue::{Assignee, IgnoreDetails};
use faultline_projections::issues::queries;
use serde_json::{json, Map, Value};

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// How a request changes an issue's status.
#[derive(Debug, Clone)]
pub enum StatusChange {
    Resolve(Resolution),
    Unresolve,
    Ignore(IgnoreDetails),
}

/// A resolution as asked; "next release" and "latest" depend on each issue's project.
#[derive(Debug, Clone)]
pub enum Resolution {
    Plain,
    InNextRelease,
    InRelease(String),
    InLatestRelease,
}

/// An issue update body, validated.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub status: Option<StatusChange>,
    /// `Some(None)`: unassign.
    pub assign: Option<Option<Assignee>>,
    pub has_seen: Option<bool>,
    pub bookmarked: Option<bool>,
    pub subscribed: Option<bool>,
    pub public: Option<bool>,
    pub merge: bool,
    /// The applied fields, as a bulk update answers them.
    pub echo: Map<String, Value>,
}

/// A 400 answering `detail`.
pub fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest(detail.into())
}

fn minutes(details: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(format!("{key} must be a positive integer."))),
    }
}

fn count(details: &Map<String, Value>, key: &str) -> Result<Option<u64>, ApiError> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("{key} must be a positive integer."))),
    }
}

const IGNORE_KEYS: [&str; 6] = [
    "ignoreDuration",
    "ignoreCount",
    "ignoreWindow",
    "ignoreUserCount",
    "ignoreUserWindow",
    "snoozeDuration",
];

/// The status change of `status`, `substatus` and `statusDetails` (plus Sentry's
/// legacy top-level ignore keys).
fn status_change(body: &Map<String, Value>) -> Result<Option<StatusChange>, ApiError> {
    let mut details = match body.get("statusDetails") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(details)) => details.clone(),
        Some(_) => return Err(bad("statusDetails must be an object.")),
    };
    for key in IGNORE_KEYS {
        if let Some(value) = body.get(key) {
            details.entry(key).or_insert_with(|| value.clone());
        }
    }
    let substatus = body.get("substatus").and_then(Value::as_str);
    let status = match body.get("status") {
        None | Some(Value::Null) => {
            if details.contains_key("inNextRelease") || details.contains_key("inRelease") {
                "resolved"
            } else if IGNORE_KEYS.iter().any(|key| details.contains_key(*key)) {
                "ignored"
            } else {
                return Ok(None);
            }
        }
        Some(Value::String(status)) => status.as_str(),
        Some(_) => return Err(bad("Invalid status.")),
    };
    Ok(Some(match status {
        "resolved" | "resolvedInNextRelease" => {
            let in_release = details.get("inRelease").and_then(Value::as_str);
            if status == "resolvedInNextRelease"
                || details.get("inNextRelease") == Some(&Value::Bool(true))
            {
                StatusChange::Resolve(Resolution::InNextRelease)
            } else if in_release == Some("latest") {
                StatusChange::Resolve(Resolution::InLatestRelease)
            } else if let Some(version) = in_release {
                StatusChange::Resolve(Resolution::InRelease(version.to_owned()))
            } else {
                StatusChange::Resolve(Resolution::Plain)
            }
        }
        "unresolved" => StatusChange::Unresolve,
        "ignored" | "archived" | "muted" => StatusChange::Ignore(IgnoreDetails {
            duration_minutes: minutes(&details, "ignoreDuration")?
                .or(minutes(&details, "snoozeDuration")?),
            count: count(&details, "ignoreCount")?,
            window_minutes: minutes(&details, "ignoreWindow")?,
            user_count: count(&details, "ignoreUserCount")?,
            user_window_minutes: minutes(&details, "ignoreUserWindow")?,
            until_escalating: matches!(
                substatus,
                Some("archived_until_escalating" | "until_escalating")
            ),
        }),
        other => return Err(bad(format!("Invalid status {other:?}."))),
    }))
}

fn flag(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
        Some(Value::String(s)) => Ok(Some(matches!(s.as_str(), "1" | "true"))),
        Some(_) => Err(bad(format!("{key} must be a boolean."))),
    }
}

/// The assignee named by `assignedTo`: `user:<id>`, `team:<id>`, a user id, an email
/// or a username; it must belong to the caller's organization.
async fn assignee(state: &AppState, access: &OrgAccess, value: &str) -> Result<Assignee, ApiError> {
    let unknown = || {
        bad(format!(
            "Unknown actor input: {value:?} is not a member or team of this organization."
        ))
    };
    if let Some(team) = value.strip_prefix("team:") {
        let team_id: i64 = team.parse().map_err(|_| unknown())?;
        return if queries::team_in_org(&state.pool, access.org.id, team_id).await? {
            Ok(Assignee::Team(team_id))
        } else {
            Err(unknown())
        };
    }
    let name = value.strip_prefix("user:").unwrap_or(value);
    queries::member_user(&state.pool, access.org.id, name)
        .await?
        .map(Assignee::User)
        .ok_or_else(unknown)
}

/// Validates an update body before anything is changed.
pub async fn parse_update(
    state: &AppState,
    access: &OrgAccess,
    body: &Value,
) -> Result<Update, ApiError> {
    let body = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object."))?;
    let mut update = Update {
        status: status_change(body)?,
        has_seen: flag(body, "hasSeen")?,
        bookmarked: flag(body, "isBookmarked")?,
        subscribed: flag(body, "isSubscribed")?,
        public: flag(body, "isPublic")?,
        merge: flag(body, "merge")?.unwrap_or(false),
        ..Update::default()
    };
    if let Some(value) = body.get("assignedTo") {
        update.assign = Some(match value {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(assignee(state, access, s).await?),
            Value::Number(n) => Some(assignee(state, access, &n.to_string()).await?),
            _ => return Err(bad("Unknown actor input.")),
        });
    }
    let echo = &mut update.echo;
    match &update.status {
        Some(StatusChange::Resolve(_)) => {
            echo.insert("status".into(), json!("resolved"));
        }
        Some(StatusChange::Unresolve) => {
            echo.insert("status".into(), json!("unresolved"));
        }
        Some(StatusChange::Ignore(_)) => {
            echo.insert("status".into(), json!("ignored"));
        }
        None => {}
    }
    if update.status.is_some() {
        echo.insert(
            "statusDetails".into(),
            body.get("statusDetails")
                .filter(|details| details.is_object())
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
        if let Some(substatus) = body.get("substatus").filter(|s| s.is_string()) {
            echo.insert("substatus".into(), substatus.clone());
        }
    }
    for (key, value) in [
        ("hasSeen", update.has_seen),
        ("isBookmarked", update.bookmarked),
        ("isSubscribed", update.subscribed),
        ("isPublic", update.public),
    ] {
        if let Some(value) = value {
            echo.insert(key.into(), json!(value));
        }
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(body: Value) -> Result<Option<StatusChange>, ApiError> {
        status_change(body.as_object().unwrap())
    }

    #[test]
    fn an_unknown_status_is_refused() {
        assert!(change(json!({"status": "fixed"})).is_err());
    }

    #[test]
    fn ignore_counts_and_windows_come_from_status_details() {
        let Ok(Some(StatusChange::Ignore(details))) = change(json!({
            "status": "ignored",
            "statusDetails": {"ignoreCount": 3, "ignoreWindow": 60},
        })) else {
            panic!("an ignore");
        };
        assert_eq!(details.count, Some(3));
        assert_eq!(details.window_minutes, Some(60));
    }

    #[test]
    fn in_release_without_status_resolves() {
        assert!(matches!(
            change(json!({"statusDetails": {"inRelease": "1.0"}})),
            Ok(Some(StatusChange::Resolve(Resolution::InRelease(v)))) if v == "1.0"
        ));
    }
}
