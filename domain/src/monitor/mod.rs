//! The monitor aggregate: a scheduled job's expected runs (Sentry's Crons), the
//! check-ins it reports per environment, the runs it missed or that timed out, and
//! the incidents that consecutive failures open and successes close.
//!
//! Aggregate id: [`stream_id`], the organization's id and the slug, so a check-in
//! that creates its monitor and an API create meet on one stream.

mod check_in;
mod command;
mod decide;
mod error;
mod event;
mod failure;
mod schedule;
#[cfg(test)]
mod summary_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use check_in::{parse_check_in, parse_check_in_query, slugify, ReceivedCheckIn};
pub use command::{CheckInReport, MonitorChanges, MonitorCommand, NewMonitor};
pub use decide::require_environment;
pub use error::MonitorError;
pub use event::MonitorEvent;
pub use failure::Incident;
pub use schedule::{
    IntervalUnit, MonitorConfig, Schedule, DEFAULT_MARGIN_MINUTES, DEFAULT_MAX_RUNTIME_MINUTES,
    MAX_MINUTES, MAX_THRESHOLD,
};

/// The issue type (Sentry's `issue.type`) of a monitor's failure issue; its
/// category (`issue.category`) is `cron`.
pub const FAILURE_ISSUE_TYPE: &str = "monitor_check_in_failure";

/// The environment of a check-in that names none, as in Sentry.
pub const DEFAULT_ENVIRONMENT: &str = "production";

/// The longest monitor name Sentry accepts.
pub const MAX_NAME_LEN: usize = 128;

/// The stream of monitor `slug` in organization `org_id`.
pub fn stream_id(org_id: i64, slug: &str) -> String {
    format!("{org_id}:{slug}")
}

/// Whether a monitor takes check-ins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorStatus {
    /// Takes check-ins and watches for missed runs.
    #[default]
    Active,
    /// Drops check-ins; nothing is expected.
    Disabled,
}

impl MonitorStatus {
    /// Sentry's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorStatus::Active => "active",
            MonitorStatus::Disabled => "disabled",
        }
    }
}

/// A check-in's status, in Sentry's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStatus {
    /// The run started.
    InProgress,
    /// The run succeeded.
    Ok,
    /// The run failed.
    Error,
    /// No check-in came by the expected time plus the margin.
    Missed,
    /// The run stayed `in_progress` past the longest runtime.
    Timeout,
}

impl CheckInStatus {
    /// Sentry's name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInStatus::InProgress => "in_progress",
            CheckInStatus::Ok => "ok",
            CheckInStatus::Error => "error",
            CheckInStatus::Missed => "missed",
            CheckInStatus::Timeout => "timeout",
        }
    }

    /// Whether it counts towards the failure threshold.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            CheckInStatus::Error | CheckInStatus::Missed | CheckInStatus::Timeout
        )
    }
}

/// What the monitor remembers of one environment: what its rules need and
/// everything the environment's read model shows, so that a summary of it
/// ([`MonitorEvent::CheckInsSummarized`]) stands for the check-ins retention drops.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentState {
    /// When the next check-in is expected (before the margin).
    pub next_expected: Option<DateTime<Utc>>,
    /// When the next run counts as missed: `next_expected` plus the margin the
    /// monitor had when it was set.
    #[serde(default)]
    pub missed_after: Option<DateTime<Utc>>,
    /// When its first check-in arrived.
    #[serde(default)]
    pub first_check_in: Option<DateTime<Utc>>,
    /// When its latest reported run started ([`MonitorEvent::date_added`]).
    #[serde(default)]
    pub last_check_in: Option<DateTime<Utc>>,
    /// Whether any run ended `ok`.
    #[serde(default)]
    pub ok_seen: bool,
    /// The `in_progress` check-ins and when each started.
    pub open: BTreeMap<Uuid, DateTime<Utc>>,
    /// Consecutive failures up to now.
    pub failures: u32,
    /// Consecutive successes up to now.
    pub successes: u32,
    /// The open incident's number.
    pub incident: Option<u32>,
    /// Incidents opened so far.
    pub incidents: u32,
    /// When the open incident started.
    #[serde(default)]
    pub incident_started: Option<DateTime<Utc>>,
}

impl EnvironmentState {
    /// Sentry's environment status: `error` during an incident, `ok` once a run
    /// succeeded, `active` before.
    pub fn status(&self) -> &'static str {
        match (self.incident, self.ok_seen) {
            (Some(_), _) => "error",
            (None, true) => "ok",
            (None, false) => "active",
        }
    }
}

/// A monitor as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    monitor_id: Option<Uuid>,
    org_id: i64,
    project_id: i64,
    slug: String,
    name: String,
    config: Option<MonitorConfig>,
    status: MonitorStatus,
    muted: bool,
    owner: Option<String>,
    deleted: bool,
    environments: BTreeMap<String, EnvironmentState>,
    /// The end of the log positions whose check-ins are summarized (0: none).
    #[serde(default)]
    summarized_below: i64,
}

impl Monitor {
    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The monitor's id, while it exists.
    pub fn monitor_id(&self) -> Option<Uuid> {
        self.monitor_id.filter(|_| !self.deleted)
    }

    /// Whether it exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.monitor_id().is_some()
    }

    /// The project its check-ins come to.
    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    /// Its config, while it exists.
    pub fn config(&self) -> Option<&MonitorConfig> {
        self.config.as_ref().filter(|_| self.is_live())
    }

    /// Active or disabled.
    pub fn status(&self) -> MonitorStatus {
        self.status
    }

    /// The state of `environment`, once it checked in.
    pub fn environment(&self, environment: &str) -> Option<&EnvironmentState> {
        self.environments.get(environment)
    }

    fn counted(&mut self, environment: &str, status: CheckInStatus) {
        let env = self.environments.entry(environment.to_owned()).or_default();
        env.ok_seen |= status == CheckInStatus::Ok;
        if status.is_failure() {
            env.failures += 1;
            env.successes = 0;
        } else if status == CheckInStatus::Ok {
            env.successes += 1;
            env.failures = 0;
        }
    }
}

impl Aggregate for Monitor {
    const TYPE: &'static str = "monitor";
    type Command = MonitorCommand;
    type Event = MonitorEvent;
    type Error = MonitorError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            MonitorEvent::MonitorCreated {
                monitor_id,
                org_id,
                project_id,
                slug,
                name,
                config,
                owner,
                status,
                muted,
                at: _,
            } => {
                *self = Monitor {
                    monitor_id: Some(monitor_id),
                    org_id,
                    project_id,
                    slug,
                    name,
                    config: Some(config),
                    owner,
                    status,
                    muted,
                    ..Monitor::default()
                };
            }
            MonitorEvent::MonitorUpdated {
                name,
                config,
                status,
                muted,
                owner,
                at: _,
            } => {
                if let Some(name) = name {
                    self.name = name;
                }
                if let Some(config) = config {
                    self.config = Some(config);
                }
                if let Some(status) = status {
                    self.status = status;
                }
                if let Some(muted) = muted {
                    self.muted = muted;
                }
                if let Some(owner) = owner {
                    self.owner = owner;
                }
            }
            MonitorEvent::MonitorDeleted { .. } => self.deleted = true,
            MonitorEvent::CheckInRecorded { .. } => {
                let added = event.date_added();
                let MonitorEvent::CheckInRecorded {
                    check_in_id,
                    environment,
                    status,
                    next_expected,
                    at,
                    ..
                } = event
                else {
                    return;
                };
                let margin = self.config.as_ref().map(MonitorConfig::margin);
                let env = self.environments.entry(environment.clone()).or_default();
                env.first_check_in.get_or_insert(at);
                if status != CheckInStatus::Missed {
                    env.last_check_in = added;
                }
                if next_expected.is_some() {
                    env.next_expected = next_expected;
                    env.missed_after = next_expected.zip(margin).map(|(next, m)| next + m);
                }
                if status == CheckInStatus::InProgress {
                    env.open.insert(check_in_id, at);
                }
                self.counted(&environment, status);
            }
            MonitorEvent::CheckInCompleted {
                check_in_id,
                environment,
                status,
                ..
            } => {
                if let Some(env) = self.environments.get_mut(&environment) {
                    env.open.remove(&check_in_id);
                }
                self.counted(&environment, status);
            }
            MonitorEvent::IncidentOpened {
                environment,
                incident,
                at,
                ..
            } => {
                let env = self.environments.entry(environment).or_default();
                env.incident = Some(incident);
                env.incident_started = Some(at);
                env.incidents = env.incidents.max(incident);
                env.successes = 0;
            }
            MonitorEvent::IncidentResolved { environment, .. } => {
                let env = self.environments.entry(environment).or_default();
                env.incident = None;
                env.incident_started = None;
                env.failures = 0;
            }
            MonitorEvent::CheckInsSummarized {
                below,
                environments,
                ..
            } => {
                self.environments = environments;
                self.summarized_below = below;
            }
        }
    }
}
