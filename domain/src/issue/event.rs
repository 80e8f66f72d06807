//! Events in the life of an issue.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command::Occurrence;
use super::details::{Assignee, IgnoreDetails, ResolveDetails};
use super::ignore::Ignore;
use super::summary::SummaryPart;
use crate::upcast::{rename_field, Upcast};

/// Something that happened to an issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IssueEvent {
    /// The first event of a fingerprint opened the issue.
    IssueCreated {
        /// Numeric id.
        issue_id: i64,
        /// Project.
        project_id: i64,
        /// Organization.
        org_id: i64,
        /// Number within the project (the short id's counter).
        short_number: i64,
        /// Grouping hash.
        hash: String,
        /// Title.
        title: String,
        /// Culprit.
        culprit: String,
        /// Metadata.
        metadata: serde_json::Value,
        /// `error` or `default`.
        issue_type: String,
        /// Level.
        level: String,
        /// Platform.
        platform: String,
        /// The first event's time.
        first_seen: DateTime<Utc>,
    },
    /// An event was accepted into the issue.
    EventIngested(Box<Occurrence>),
    /// An event arrived for a resolved issue, which is unresolved again.
    IssueRegressed {
        /// The event that regressed it.
        event_id: String,
        /// Its release.
        release: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The issue was resolved.
    ///
    /// JSON: `{"IssueResolved": {"at": "…", "details": {"type": "in_release", "version":
    /// "1.2.0"}, "actor": "user:42"}}`; payloads stored before `details` and `actor`
    /// existed read as a plain resolve by nobody.
    IssueResolved {
        /// When.
        at: DateTime<Utc>,
        /// How.
        #[serde(default)]
        details: ResolveDetails,
        /// Who.
        #[serde(default)]
        actor: Option<String>,
    },
    /// A resolved or ignored issue was marked unresolved by hand.
    IssueUnresolved {
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// The issue was ignored (Sentry: archived).
    IssueIgnored {
        /// Until which conditions.
        details: IgnoreDetails,
        /// When the ignore's duration ends, if it has one.
        until: Option<DateTime<Utc>>,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// An ignore ended by itself; the issue is unresolved (substatus `escalating`).
    IssueUnignored {
        /// Why.
        reason: UnignoreReason,
        /// When.
        at: DateTime<Utc>,
    },
    /// The issue was assigned.
    IssueAssigned {
        /// To whom.
        assignee: Assignee,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// The issue's assignment was removed.
    IssueUnassigned {
        /// Who it was assigned to.
        previous: Assignee,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// A user bookmarked the issue or removed the bookmark.
    BookmarkSet {
        /// The user.
        user_id: i64,
        /// Bookmarked or not.
        bookmarked: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user subscribed to the issue or unsubscribed.
    SubscriptionSet {
        /// The user.
        user_id: i64,
        /// Subscribed or not.
        subscribed: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user saw the issue (since its last event).
    IssueSeen {
        /// The user.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user marked the issue as not seen.
    IssueUnseen {
        /// The user.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// The issue was shared publicly or stopped being shared.
    PublicSet {
        /// Public or not.
        public: bool,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// A comment was added.
    ///
    /// Version 2.0 (JSON: `{"CommentAdded": {"comment_id": 10, "author_id": 5, "text":
    /// "…", "at": "…"}}`) names the author `author_id`, apart from the `user_id` of
    /// whoever later edits or deletes it; 1.0 rows called it `user_id` and are upcast
    /// by [`COMMENT_ADDED_1_TO_2`].
    CommentAdded {
        /// The comment.
        comment_id: i64,
        /// Its author.
        author_id: i64,
        /// Its text.
        text: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A comment's text was changed.
    CommentEdited {
        /// The comment.
        comment_id: i64,
        /// Who changed it.
        user_id: i64,
        /// The new text.
        text: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A comment was removed.
    CommentDeleted {
        /// The comment.
        comment_id: i64,
        /// Who removed it.
        user_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// The issue was deleted; a later event of its fingerprint opens a new issue.
    IssueDeleted {
        /// The deleted issue's numeric id.
        issue_id: i64,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// This (secondary) issue was merged into another; its fingerprint's events now
    /// belong to the primary.
    IssueMerged {
        /// This issue's numeric id.
        issue_id: i64,
        /// The primary's numeric id.
        into_issue_id: i64,
        /// The primary's stream.
        into_stream: String,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
    /// The stream's occurrences below log position `below` were summarized before
    /// retention drops them. A read model rebuilt without them folds `parts`; the
    /// aggregate takes its own counters as they stood, since the events are gone.
    OccurrencesSummarized {
        /// Occurrences at log positions below this are summarized.
        below: i64,
        /// The stream's project.
        project_id: i64,
        /// What they added, per issue they count in.
        parts: Vec<SummaryPart>,
        /// The issue's event count as it stood.
        times_seen: u64,
        /// Its last event's time as it stood.
        last_seen: Option<DateTime<Utc>>,
        /// Its ignore (and what counts towards ending it) as it stood.
        ignore: Option<Ignore>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Other issues were merged into this (primary) one.
    IssuesMergedIn {
        /// The merged issues' numeric ids.
        from_issue_ids: Vec<i64>,
        /// When.
        at: DateTime<Utc>,
        /// Who.
        actor: Option<String>,
    },
}

/// Why an ignore ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnignoreReason {
    /// Its event count or user count was reached.
    Escalating,
    /// Its duration is over.
    Expired,
}

impl DomainEvent for IssueEvent {
    fn event_type(&self) -> String {
        match self {
            IssueEvent::IssueCreated { .. } => "IssueCreated",
            IssueEvent::EventIngested(_) => "EventIngested",
            IssueEvent::IssueRegressed { .. } => "IssueRegressed",
            IssueEvent::IssueResolved { .. } => "IssueResolved",
            IssueEvent::IssueUnresolved { .. } => "IssueUnresolved",
            IssueEvent::IssueIgnored { .. } => "IssueIgnored",
            IssueEvent::IssueUnignored { .. } => "IssueUnignored",
            IssueEvent::IssueAssigned { .. } => "IssueAssigned",
            IssueEvent::IssueUnassigned { .. } => "IssueUnassigned",
            IssueEvent::BookmarkSet { .. } => "BookmarkSet",
            IssueEvent::SubscriptionSet { .. } => "SubscriptionSet",
            IssueEvent::IssueSeen { .. } => "IssueSeen",
            IssueEvent::IssueUnseen { .. } => "IssueUnseen",
            IssueEvent::PublicSet { .. } => "PublicSet",
            IssueEvent::CommentAdded { .. } => "CommentAdded",
            IssueEvent::CommentEdited { .. } => "CommentEdited",
            IssueEvent::CommentDeleted { .. } => "CommentDeleted",
            IssueEvent::IssueDeleted { .. } => "IssueDeleted",
            IssueEvent::IssueMerged { .. } => "IssueMerged",
            IssueEvent::IssuesMergedIn { .. } => "IssuesMergedIn",
            IssueEvent::OccurrencesSummarized { .. } => "OccurrencesSummarized",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        match self {
            IssueEvent::CommentAdded { .. } => "2.0",
            // The body inline; the ingest path writes its rows as 4.0, with the body in
            // the row's `body` column (`body::IN_COLUMN_VERSION`, read back through
            // `upcast::current_of_row`).
            IssueEvent::EventIngested(_) => "3.0",
            _ => "1.0",
        }
        .to_owned()
    }
}

/// `EventIngested` 1.0 → 2.0: the body (`data`) became a compressed string (see
/// [`super::body`]) instead of a JSON object. Readers take an object as it is, so an
/// inline 1.0 body stays inline rather than being compressed only to be read back.
pub const EVENT_INGESTED_1_TO_2: Upcast = Upcast {
    aggregate_type: "issue",
    event_type: "EventIngested",
    from_version: "1.0",
    to_version: "2.0",
    upcast: |payload| payload,
};

/// `EventIngested` 2.0 → 3.0: the stored body's codec went from raw DEFLATE to Snappy
/// (see [`super::body`]); the upcast transcodes it.
pub const EVENT_INGESTED_2_TO_3: Upcast = Upcast {
    aggregate_type: "issue",
    event_type: "EventIngested",
    from_version: "2.0",
    to_version: "3.0",
    upcast: transcode_body,
};

fn transcode_body(mut payload: Value) -> Value {
    if let Some(data) = payload.pointer_mut("/EventIngested/data") {
        if let Some(stored) = data.as_str() {
            // An undecodable body stays as it was: reading it reports the error.
            if let Ok(current) = super::body::deflated_to_current(stored) {
                *data = Value::String(current);
            }
        }
    }
    payload
}

/// `CommentAdded` 1.0 → 2.0: the author's `user_id` became `author_id`.
pub const COMMENT_ADDED_1_TO_2: Upcast = Upcast {
    aggregate_type: "issue",
    event_type: "CommentAdded",
    from_version: "1.0",
    to_version: "2.0",
    upcast: |payload| rename_field(payload, "CommentAdded", "user_id", "author_id"),
};
