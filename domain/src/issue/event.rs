//! Events in the life of an issue.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::command::Occurrence;

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
    IssueResolved {
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for IssueEvent {
    fn event_type(&self) -> String {
        match self {
            IssueEvent::IssueCreated { .. } => "IssueCreated",
            IssueEvent::EventIngested(_) => "EventIngested",
            IssueEvent::IssueRegressed { .. } => "IssueRegressed",
            IssueEvent::IssueResolved { .. } => "IssueResolved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
