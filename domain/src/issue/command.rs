//! Commands on an issue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::summary::SummaryPart;

use super::details::{Assignee, IgnoreDetails, ResolveDetails};

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
/// "id:42", "tags": [["level", "error"]], "title": "…", "culprit": "…", "data": "<snappy,
/// base64>"}` (`data` was the JSON object itself before `EventIngested` 2.0, and
/// DEFLATE-compressed before 3.0).
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
    /// event without it (`null` then). Stored compressed: see [`super::body`].
    #[serde(
        default,
        serialize_with = "super::body::serialize",
        deserialize_with = "super::body::deserialize"
    )]
    pub data: serde_json::Value,
}

/// What can be asked of an issue.
///
/// Time, ids and the actor come in as data. `actor` is the acting principal in the
/// log-metadata format (`user:<id>`, `token:<id>`, `system:<component>`); per-user
/// commands carry the `user_id` instead. Every command except `RecordOccurrence` is
/// refused on a deleted (`Deleted`) or merged (`Merged`) issue, and a command that
/// would change nothing decides no events.
// Commands live briefly on the ingest path and are consumed at once: boxing the
// occurrence would cost an allocation per event for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IssueCommand {
    /// Record an accepted event; `new_issue` creates the issue if it does not exist
    /// (or reopens a deleted one as a new issue). May regress a resolved issue or
    /// escalate an ignored one first.
    RecordOccurrence {
        /// The issue to create if this is the first event of its fingerprint.
        new_issue: Option<NewIssue>,
        /// The event.
        occurrence: Occurrence,
    },
    /// Mark the issue resolved.
    Resolve {
        /// Plainly, in the next release or in a given release.
        details: ResolveDetails,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Mark a resolved or ignored issue unresolved.
    Unresolve {
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Ignore (archive) the issue, forever or until a condition is met.
    Ignore {
        /// Until when.
        details: IgnoreDetails,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// End an ignore whose duration is over; changes nothing before then, so a
    /// scheduler may send it at any time.
    ExpireIgnore {
        /// The scheduler's clock.
        now: DateTime<Utc>,
    },
    /// Assign the issue.
    Assign {
        /// To whom.
        assignee: Assignee,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Remove the assignment.
    Unassign {
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Bookmark the issue for a user, or remove the bookmark.
    SetBookmark {
        /// The user.
        user_id: i64,
        /// Bookmarked or not.
        bookmarked: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// Subscribe a user to the issue's notifications, or unsubscribe.
    SetSubscribed {
        /// The user.
        user_id: i64,
        /// Subscribed or not.
        subscribed: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user looked at the issue.
    MarkSeen {
        /// The user.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// Forget that a user has seen the issue (Sentry's `hasSeen: false`).
    MarkUnseen {
        /// The user.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// Share the issue publicly, or stop sharing it.
    SetPublic {
        /// Public or not.
        public: bool,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Comment on the issue.
    AddComment {
        /// The comment's id, allocated by the caller.
        comment_id: i64,
        /// Its author.
        user_id: i64,
        /// Its text.
        text: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Change a comment's text (its author, or an admin).
    EditComment {
        /// The comment.
        comment_id: i64,
        /// Who edits it.
        user_id: i64,
        /// The new text.
        text: String,
        /// When.
        at: DateTime<Utc>,
        /// Whether the editor may change anyone's comments.
        is_admin: bool,
    },
    /// Remove a comment (its author, or an admin).
    DeleteComment {
        /// The comment.
        comment_id: i64,
        /// Who deletes it.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
        /// Whether the deleter may remove anyone's comments.
        is_admin: bool,
    },
    /// Delete the issue. A later event of its fingerprint opens a new issue.
    Delete {
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Delete the issue for being past its project's retention, unless an event
    /// newer than `horizon` arrived meanwhile (the caller saw a read model that lags).
    Expire {
        /// Events before this are past the retention.
        horizon: DateTime<Utc>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Record what the stream's occurrences below log position `below` added, before
    /// retention drops them. Taken by a deleted or merged issue too (its counts live on
    /// in release counts or in its primary); a stream already summarized that far
    /// decides nothing.
    SummarizeOccurrences {
        /// Occurrences at log positions below this are summarized.
        below: i64,
        /// The stream's project.
        project_id: i64,
        /// Their summaries, per issue they count in.
        parts: Vec<SummaryPart>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Merge this (secondary) issue into a primary one.
    MergeInto {
        /// The primary issue's numeric id.
        primary_issue_id: i64,
        /// The primary issue's stream.
        primary_stream: String,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// Record, on the primary issue, that other issues were merged into it.
    AbsorbMerge {
        /// The merged (secondary) issues' numeric ids.
        from_issue_ids: Vec<i64>,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
}
