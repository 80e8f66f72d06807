//! What happened to a monitor.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use std::collections::BTreeMap;

use super::{CheckInStatus, EnvironmentState, MonitorConfig, MonitorStatus};

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
        /// When the run it stands for was expected (Sentry's `expectedTime`): the
        /// environment's next expected check-in when it arrived, absent for its first.
        /// Events recorded before it was kept for every check-in carry it only when
        /// missed.
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
    /// Retention is about to drop the check-ins recorded at log positions
    /// `from..below`: the state they led to, as it stands now, so that the monitor and
    /// its read model loaded from what the log keeps end where they are.
    CheckInsSummarized {
        /// The first log position dropped.
        from: i64,
        /// The end (exclusive) of the log positions dropped.
        below: i64,
        /// Every environment's state.
        environments: BTreeMap<String, EnvironmentState>,
        /// When.
        at: DateTime<Utc>,
    },
}

impl MonitorEvent {
    /// Whether it is a check-in: an ingested event, stored where retention drops it.
    pub fn is_check_in(&self) -> bool {
        matches!(
            self,
            MonitorEvent::CheckInRecorded { .. } | MonitorEvent::CheckInCompleted { .. }
        )
    }

    /// When a recorded check-in's run started, as Sentry's `dateAdded`: a finished run
    /// that reports its duration started that long before it arrived, a missed one at
    /// the time it was expected. `None` for every other event.
    pub fn date_added(&self) -> Option<DateTime<Utc>> {
        let MonitorEvent::CheckInRecorded {
            status,
            duration_ms,
            expected_at,
            at,
            ..
        } = self
        else {
            return None;
        };
        let duration = duration_ms.and_then(|ms| i64::try_from(ms).ok());
        Some(match (status, duration) {
            (CheckInStatus::Ok | CheckInStatus::Error, Some(ms)) => {
                *at - chrono::Duration::milliseconds(ms)
            }
            (CheckInStatus::Missed, _) => expected_at.unwrap_or(*at),
            _ => *at,
        })
    }
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
            MonitorEvent::CheckInsSummarized { .. } => "CheckInsSummarized",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
