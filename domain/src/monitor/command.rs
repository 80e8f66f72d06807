//! What may be asked of a monitor.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{CheckInStatus, MonitorConfig, MonitorStatus};

/// A monitor to create: from the API, or from a check-in's `monitor_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMonitor {
    /// Its id (Sentry's monitor ids are UUIDs).
    pub monitor_id: Uuid,
    /// The organization.
    pub org_id: i64,
    /// The project its check-ins come to.
    pub project_id: i64,
    /// The slug, unique in the organization.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// Schedule, margins and thresholds.
    pub config: MonitorConfig,
    /// `user:<id>` or `team:<id>`, if owned.
    pub owner: Option<String>,
    /// Active or disabled from the start.
    pub status: MonitorStatus,
    /// Whether failures open issues from the start.
    pub muted: bool,
}

/// Changes to a monitor; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorChanges {
    /// The display name.
    pub name: Option<String>,
    /// Schedule, margins and thresholds.
    pub config: Option<MonitorConfig>,
    /// Active or disabled.
    pub status: Option<MonitorStatus>,
    /// Whether failures open issues.
    pub muted: Option<bool>,
    /// The owner; `Some(None)` clears it.
    pub owner: Option<Option<String>>,
}

/// A check-in as a job reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInReport {
    /// The project whose key sent it: a monitor takes check-ins from its own only.
    pub project_id: i64,
    /// The check-in's id: a later report with the same id finishes an `in_progress` one.
    /// The nil id means "the latest": the environment's newest `in_progress` check-in,
    /// or a new one with `fresh_id`.
    pub check_in_id: Uuid,
    /// The id a new check-in gets when `check_in_id` is nil.
    pub fresh_id: Uuid,
    /// The environment (`production` when the job named none).
    pub environment: String,
    /// `in_progress`, `ok` or `error`.
    pub status: CheckInStatus,
    /// How long the run took, in milliseconds, if the job said.
    pub duration_ms: Option<u64>,
}

/// A command to the monitor aggregate. Ids and time come in the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorCommand {
    /// Creates the monitor (the API's `POST`).
    Create {
        /// The monitor.
        monitor: NewMonitor,
        /// When.
        at: DateTime<Utc>,
    },
    /// Changes it (the API's `PUT`).
    Update {
        /// What changes.
        changes: MonitorChanges,
        /// When.
        at: DateTime<Utc>,
    },
    /// Deletes it; its slug may be used again.
    Delete {
        /// When.
        at: DateTime<Utc>,
    },
    /// Records a check-in. With `upsert`, creates the monitor first if it does not
    /// exist, or takes the upsert's config if it changed, as Sentry does with a
    /// check-in's `monitor_config`.
    CheckIn {
        /// The report.
        report: CheckInReport,
        /// The monitor the check-in describes, if it carried a config.
        upsert: Option<NewMonitor>,
        /// When it arrived.
        at: DateTime<Utc>,
    },
    /// Records a missed run of `environment` if its expected check-in is still
    /// missing past the margin at `now`; otherwise does nothing.
    MarkMissed {
        /// The id the missed check-in gets.
        check_in_id: Uuid,
        /// The environment.
        environment: String,
        /// The clock.
        now: DateTime<Utc>,
    },
    /// Times out `check_in_id` if it is still `in_progress` past the longest
    /// runtime at `now`; otherwise does nothing.
    MarkTimedOut {
        /// The open check-in.
        check_in_id: Uuid,
        /// Its environment.
        environment: String,
        /// The clock.
        now: DateTime<Utc>,
    },
    /// Records the state the check-ins at log positions `from..below` led to, before
    /// retention drops them; nothing when already summarized that far.
    SummarizeCheckIns {
        /// The first log position dropped.
        from: i64,
        /// The end (exclusive) of the log positions dropped.
        below: i64,
        /// When.
        at: DateTime<Utc>,
    },
}
