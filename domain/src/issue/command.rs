//! Commands on an issue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a new issue is, derived from its first event (ids allocated by the caller).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIssue {
    /// The numeric issue id shown in the API.
    pub issue_id: i64,
    /// The project.
    pub project_id: i64,
    /// The project's organization.
    pub org_id: i64,
    /// The issue's number within its project; the API shows it as
    /// `<PROJECT-SLUG-UPPER>-<base36 number>`.
    pub short_number: i64,
    /// The grouping hash.
    pub hash: String,
    /// Title, as Sentry derives it.
    pub title: String,
    /// Culprit, as Sentry derives it.
    pub culprit: String,
    /// `{type, value, filename, function}` or `{title}`.
    pub metadata: serde_json::Value,
    /// `error` or `default`.
    pub issue_type: String,
    /// The first event's level.
    pub level: String,
    /// The first event's platform.
    pub platform: String,
}

/// One accepted event, as the issue records it.
///
/// JSON: `{"event_id": "9ec7…", "timestamp": "2026-01-01T00:00:00Z", "received": "…",
/// "level": "error", "release": null, "environment": "production", "user_key":
/// "id:42", "tags": [["level", "error"]], "title": "…", "culprit": "…", "data": {…}}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    /// 32 lowercase hex.
    pub event_id: String,
    /// When it happened (client clock, clamped).
    pub timestamp: DateTime<Utc>,
    /// When Faultline received it.
    pub received: DateTime<Utc>,
    /// Its level.
    pub level: String,
    /// Its release.
    pub release: Option<String>,
    /// Its environment.
    pub environment: String,
    /// The user it happened to (`id:…`, `email:…`, `username:…`, `ip:…`).
    pub user_key: Option<String>,
    /// Its tags.
    pub tags: Vec<(String, String)>,
    /// Its own title.
    pub title: String,
    /// Its own culprit.
    pub culprit: String,
    /// The full normalized event. Readers that need only the head read the stored
    /// event without it (`null` then).
    #[serde(default)]
    pub data: serde_json::Value,
}

/// What can be asked of an issue.
// Commands live briefly on the ingest path and are consumed at once: boxing the
// occurrence would cost an allocation per event for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IssueCommand {
    /// Record an accepted event; `new_issue` creates the issue if it does not exist.
    RecordOccurrence {
        /// The issue to create if this is the first event of its fingerprint.
        new_issue: Option<NewIssue>,
        /// The event.
        occurrence: Occurrence,
    },
    /// Mark the issue resolved.
    Resolve {
        /// When.
        at: DateTime<Utc>,
    },
}
