//! The issue aggregate: one group of events sharing a fingerprint in a project.
//!
//! Its stream holds the issue's creation, every occurrence (`EventIngested`, with the
//! full normalized event) and its workflow: resolve, ignore, assign, bookmarks,
//! subscriptions, comments, deletion and merges. Ingestion keeps the state in memory
//! and snapshots bound the replay, so a hot issue is never replayed whole.
//!
//! - `command` / `event` / `error` / `details`: the aggregate's vocabulary.
//! - `decide`: the rules for user commands; `occurrence`: the rules for an event
//!   (creation, reopening, regression, escalation); `apply`: the fold.
//! - `status`: status and substatus; `ignore`: ignore conditions; `release`: release
//!   comparison for resolve-in-release; `summary`: what occurrences about to be
//!   dropped by retention added, recorded before they go.

mod apply;
pub mod body;
mod command;
mod comments;
mod decide;
mod details;
mod error;
mod event;
mod ignore;
mod occurrence;
mod release;
mod status;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use command::{IssueCommand, NewIssue, Occurrence};
pub use details::{Assignee, IgnoreDetails, ResolveDetails};
pub use error::IssueError;
pub use event::{
    IssueEvent, UnignoreReason, COMMENT_ADDED_1_TO_2, EVENT_INGESTED_1_TO_2, EVENT_INGESTED_2_TO_3,
};
pub use ignore::Ignore;
pub use status::{IssueStatus, NEW_ISSUE_DAYS};
pub use summary::{OccurrenceSummary, ReleaseCount, SummaryBuilder, SummaryPart, TagCount};

use status::Reopened;

/// Namespace of issue aggregate ids: `UUIDv5(ISSUE_NAMESPACE, "<project id>:<hash>")`.
pub const ISSUE_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_7c3e_2b4d_4e8f_9a0b_1c2d_3e4f_5a6b);

/// The aggregate id of the issue that events of `hash` in `project_id` group into:
/// deterministic, so that concurrent first events of one fingerprint meet on one
/// stream and optimistic concurrency lets exactly one of them create it.
pub fn issue_stream_id(project_id: i64, hash: &str) -> String {
    Uuid::new_v5(&ISSUE_NAMESPACE, format!("{project_id}:{hash}").as_bytes()).to_string()
}

/// An issue's short id, `<PROJECT-SLUG-UPPER>-<base36 number>`, e.g. `BACKEND-1`.
pub fn short_id(project_slug: &str, short_number: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = short_number.max(0);
    let mut digits = Vec::new();
    loop {
        digits.push(char::from(DIGITS[(n % 36) as usize]));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let number: String = digits.into_iter().rev().collect();
    format!("{}-{number}", project_slug.to_uppercase())
}

/// An issue as rebuilt from its events (also its snapshot: fields added later default,
/// so older snapshots still load).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Issue {
    issue_id: Option<i64>,
    project_id: i64,
    org_id: i64,
    status: IssueStatus,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    times_seen: u64,
    deleted: bool,
    merged_into: Option<(i64, String)>,
    reopened: Option<Reopened>,
    resolution: Option<ResolveDetails>,
    ignore: Option<Ignore>,
    assignee: Option<Assignee>,
    public: bool,
    bookmarks: BTreeSet<i64>,
    subscriptions: BTreeMap<i64, bool>,
    seen_by: BTreeMap<i64, DateTime<Utc>>,
    comments: BTreeMap<i64, Comment>,
    /// Occurrences at log positions below this are summarized (`OccurrencesSummarized`).
    summarized_below: i64,
}

/// A comment as the issue keeps it, to check edits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Comment {
    author: i64,
    text: String,
}

impl Issue {
    /// The organization whose issue it is (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The issue's numeric id, once created (none after deletion).
    pub fn issue_id(&self) -> Option<i64> {
        self.issue_id
    }

    /// Whether the issue exists: false before its first event and after deletion, so
    /// that the next event of its fingerprint comes with a new issue. A merged issue
    /// still exists; see [`Issue::merged_into`].
    pub fn exists(&self) -> bool {
        self.issue_id.is_some()
    }

    /// Whether the issue was deleted (and not reopened since).
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// The primary issue `(issue id, stream)` this issue was merged into: events of
    /// its fingerprint belong there.
    pub fn merged_into(&self) -> Option<(i64, String)> {
        self.merged_into.clone()
    }

    /// The issue's status.
    pub fn status(&self) -> IssueStatus {
        self.status
    }

    /// How many events it has.
    pub fn times_seen(&self) -> u64 {
        self.times_seen
    }

    /// Its first event's time.
    pub fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.first_seen
    }

    /// Its latest event's time.
    pub fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.last_seen
    }

    /// How it was resolved, while resolved.
    pub fn resolution(&self) -> Option<&ResolveDetails> {
        self.resolution.as_ref()
    }

    /// The ignore's conditions, while ignored.
    pub fn ignore_details(&self) -> Option<&IgnoreDetails> {
        self.ignore.as_ref().map(|ignore| &ignore.details)
    }

    /// Who it is assigned to.
    pub fn assignee(&self) -> Option<Assignee> {
        self.assignee
    }

    /// Whether it is shared publicly.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// Whether `user_id` bookmarked it.
    pub fn is_bookmarked_by(&self, user_id: i64) -> bool {
        self.bookmarks.contains(&user_id)
    }

    /// `user_id`'s explicit subscription choice, if they made one.
    pub fn subscription_of(&self, user_id: i64) -> Option<bool> {
        self.subscriptions.get(&user_id).copied()
    }

    /// Whether `user_id` saw it since its latest event.
    pub fn has_seen(&self, user_id: i64) -> bool {
        match (self.seen_by.get(&user_id), self.last_seen) {
            (Some(seen), Some(last)) => *seen >= last,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

impl Aggregate for Issue {
    const TYPE: &'static str = "issue";
    type Command = IssueCommand;
    type Event = IssueEvent;
    type Error = IssueError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: IssueEvent) {
        self.fold(event);
    }
}
