//! Where an issue stands: its status and Sentry's substatus.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::Issue;

/// How long an unresolved issue counts as `new` after its first event.
pub const NEW_ISSUE_DAYS: i64 = 7;

/// Where an issue stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Needs attention.
    #[default]
    Unresolved,
    /// Fixed.
    Resolved,
    /// Muted (Sentry: archived).
    Ignored,
}

/// Why an unresolved issue is unresolved, when the last transition says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reopened {
    /// An event arrived after it was resolved.
    Regressed,
    /// An ignore ended by itself.
    Escalating,
}

impl Issue {
    /// Sentry's substatus at `now`.
    ///
    /// Unresolved: `regressed` or `escalating` when the last transition made it so,
    /// else `new` within [`NEW_ISSUE_DAYS`] of its first event, else `ongoing`.
    /// Ignored: `archived_forever`, `archived_until_escalating` or
    /// `archived_until_condition_met`. Resolved (or not existing): none.
    pub fn substatus(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if !self.exists() {
            return None;
        }
        match self.status {
            IssueStatus::Resolved => None,
            IssueStatus::Ignored => Some(match &self.ignore {
                Some(ignore) if ignore.details.has_condition() => "archived_until_condition_met",
                Some(ignore) if ignore.details.until_escalating => "archived_until_escalating",
                _ => "archived_forever",
            }),
            IssueStatus::Unresolved => Some(match self.reopened {
                Some(Reopened::Regressed) => "regressed",
                Some(Reopened::Escalating) => "escalating",
                None if self
                    .first_seen
                    .is_some_and(|first| now - first < Duration::days(NEW_ISSUE_DAYS)) =>
                {
                    "new"
                }
                None => "ongoing",
            }),
        }
    }

    /// When the current ignore's duration runs out, if it is ignored for a while.
    pub fn ignore_expires_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            IssueStatus::Ignored => self.ignore.as_ref().and_then(|ignore| ignore.until),
            _ => None,
        }
    }
}
