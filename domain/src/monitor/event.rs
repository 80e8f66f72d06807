//! What happened to a monitor.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CheckInStatus, MonitorConfig, MonitorStatus};

/// A fact about a monitor. Stored as `{"CheckInRecorded": {...}}`, version `1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MonitorEvent {
    /// The monitor was created (from the API or a check-in's config).
    MonitorCreated {
        /// Its id.
        monitor_id: Uuid,
        /// The organization.
        org_id: i64,
        /// The project its check-ins come to.
        project_id: i64,
        /// The slug.
        slug: String,
        /// The display name.
        name: String,
        /// Schedule, margins and thresholds.
        config: MonitorConfig,
        /// `user:<id>` or `team:<id>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        /// Active or disabled.
        #[serde(default)]
        status: MonitorStatus,
        /// Whether failures open issues.
        #[serde(default)]
        muted: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// Fields changed; only the changed ones are present.
    MonitorUpdated {
        /// The display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Schedule, margins and thresholds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config: Option<MonitorConfig>,
        /// Active or disabled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<MonitorStatus>,
        /// Whether failures open issues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        muted: Option<bool>,
        /// The owner; `null` clears it.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        owner: Option<Option<String>>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The monitor was deleted.
    MonitorDeleted {
        /// When.
        at: DateTime<Utc>,
    },
    /// A new check-in: reported by a job, or a missed run the scheduler found.
    CheckInRecorded {
        /// Its id.
        check_in_id: Uuid,
        /// The environment.
        environment: String,
        /// `in_progress`, `ok`, `error` or `missed`.
        status: CheckInStatus,
        /// How long the run took, in milliseconds, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
        /// The run it stands for, for a missed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_at: Option<DateTime<Utc>>,
        /// When the environment's next check-in is now expected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_expected: Option<DateTime<Utc>>,
        /// When it arrived (for a missed one: when it was found missing).
        at: DateTime<Utc>,
    },
    /// An `in_progress` check-in finished: `ok` or `error` as reported, or `timeout`.
    CheckInCompleted {
        /// Its id.
        check_in_id: Uuid,
        /// The environment.
        environment: String,
        /// The final status.
        status: CheckInStatus,
        /// How long the run took, in milliseconds.
        duration_ms: u64,
        /// When.
        at: DateTime<Utc>,
    },
    /// Enough consecutive failures: the environment's failure issue opens (or reopens).
    IncidentOpened {
        /// The environment.
        environment: String,
        /// The environment's incident number, from 1.
        incident: u32,
        /// The status of the failure that crossed the threshold.
        reason: CheckInStatus,
        /// When.
        at: DateTime<Utc>,
    },
    /// Enough consecutive successes: the incident is over and its issue resolves.
    IncidentResolved {
        /// The environment.
        environment: String,
        /// The incident's number.
        incident: u32,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for MonitorEvent {
    fn event_type(&self) -> String {
        match self {
            MonitorEvent::MonitorCreated { .. } => "MonitorCreated",
            MonitorEvent::MonitorUpdated { .. } => "MonitorUpdated",
            MonitorEvent::MonitorDeleted { .. } => "MonitorDeleted",
            MonitorEvent::CheckInRecorded { .. } => "CheckInRecorded",
            MonitorEvent::CheckInCompleted { .. } => "CheckInCompleted",
            MonitorEvent::IncidentOpened { .. } => "IncidentOpened",
            MonitorEvent::IncidentResolved { .. } => "IncidentResolved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
