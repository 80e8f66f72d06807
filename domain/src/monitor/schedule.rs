//! When a monitored job is expected to run: a crontab in a time zone, or a fixed
//! interval after each check-in, with the margin and the longest run allowed.

use std::str::FromStr;

use chrono::{DateTime, Duration, DurationRound, Months, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use super::MonitorError;

/// The longest margin and runtime Sentry accepts, in minutes (four weeks).
pub const MAX_MINUTES: u32 = 40_320;
/// The most consecutive failures or successes a threshold may ask for.
pub const MAX_THRESHOLD: u32 = 720;
/// Minutes after the expected time before a check-in counts as missed, by default.
pub const DEFAULT_MARGIN_MINUTES: u32 = 1;
/// Minutes an `in_progress` run may last before it times out, by default.
pub const DEFAULT_MAX_RUNTIME_MINUTES: u32 = 30;

/// The unit of an interval schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl IntervalUnit {
    /// Sentry's name of the unit.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalUnit::Minute => "minute",
            IntervalUnit::Hour => "hour",
            IntervalUnit::Day => "day",
            IntervalUnit::Week => "week",
            IntervalUnit::Month => "month",
            IntervalUnit::Year => "year",
        }
    }
}

impl FromStr for IntervalUnit {
    type Err = MonitorError;

    /// Accepts the singular and plural names the SDKs send.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim_end_matches('s') {
            "minute" => IntervalUnit::Minute,
            "hour" => IntervalUnit::Hour,
            "day" => IntervalUnit::Day,
            "week" => IntervalUnit::Week,
            "month" => IntervalUnit::Month,
            "year" => IntervalUnit::Year,
            _ => return Err(MonitorError::InvalidSchedule(format!("unknown unit {s:?}"))),
        })
    }
}

/// A monitor's schedule, stored as the SDKs send it:
/// `{"type": "crontab", "value": "0 * * * *"}` or
/// `{"type": "interval", "value": 2, "unit": "hour"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Schedule {
    /// A five-field crontab (or `@daily`-style alias), read in the monitor's time zone.
    Crontab {
        /// The expression as given.
        value: String,
    },
    /// Every `value` units after the previous check-in.
    Interval {
        /// How many units.
        value: u32,
        /// The unit.
        unit: IntervalUnit,
    },
}

fn crontab(expression: &str) -> Result<croner::Cron, MonitorError> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression.trim())
        .map_err(|error| {
            MonitorError::InvalidSchedule(format!("{expression:?} is not a valid crontab: {error}"))
        })
}

impl Schedule {
    /// Checks a crontab expression and keeps it as given.
    pub fn crontab(expression: &str) -> Result<Schedule, MonitorError> {
        crontab(expression)?;
        Ok(Schedule::Crontab {
            value: expression.trim().to_owned(),
        })
    }

    /// Checks an interval: at least one unit.
    pub fn interval(value: u32, unit: IntervalUnit) -> Result<Schedule, MonitorError> {
        if value == 0 {
            return Err(MonitorError::InvalidSchedule(
                "an interval is at least 1".to_owned(),
            ));
        }
        Ok(Schedule::Interval { value, unit })
    }

    /// Checks a stored or received schedule again.
    pub fn validate(&self) -> Result<(), MonitorError> {
        match self {
            Schedule::Crontab { value } => crontab(value).map(|_| ()),
            Schedule::Interval { value, unit } => Schedule::interval(*value, *unit).map(|_| ()),
        }
    }

    /// Sentry's `schedule_type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Schedule::Crontab { .. } => "crontab",
            Schedule::Interval { .. } => "interval",
        }
    }

    /// The first expected run strictly after `after`: the next crontab tick in `zone`
    /// (wall-clock times skipped or repeated by a DST change follow croner's Vixie-cron
    /// rules), or `after`'s minute plus the interval, as Sentry computes it.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Crontab { value } => {
                let cron = crontab(value).ok()?;
                let local = after.with_timezone(&zone);
                cron.find_next_occurrence(&local, false)
                    .ok()
                    .map(|next| next.with_timezone(&Utc))
            }
            Schedule::Interval { value, unit } => {
                let n = i64::from(*value);
                let after = after.duration_trunc(Duration::minutes(1)).ok()?;
                match unit {
                    IntervalUnit::Minute => after.checked_add_signed(Duration::minutes(n)),
                    IntervalUnit::Hour => after.checked_add_signed(Duration::hours(n)),
                    IntervalUnit::Day => after.checked_add_signed(Duration::days(n)),
                    IntervalUnit::Week => after.checked_add_signed(Duration::weeks(n)),
                    IntervalUnit::Month => after.checked_add_months(Months::new(*value)),
                    IntervalUnit::Year => after.checked_add_months(Months::new(value * 12)),
                }
            }
        }
    }
}

/// How a monitor judges its check-ins. Minutes and thresholds left out take
/// Sentry's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// When runs are expected.
    pub schedule: Schedule,
    /// Minutes after the expected time before the run counts as missed.
    #[serde(default)]
    pub checkin_margin: Option<u32>,
    /// Minutes an `in_progress` run may last before it times out.
    #[serde(default)]
    pub max_runtime: Option<u32>,
    /// The IANA time zone a crontab is read in (UTC when absent).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Consecutive failures that open an issue.
    #[serde(default)]
    pub failure_issue_threshold: Option<u32>,
    /// Consecutive successes that resolve it.
    #[serde(default)]
    pub recovery_threshold: Option<u32>,
}

impl MonitorConfig {
    /// Checks every field against Sentry's bounds.
    pub fn validate(&self) -> Result<(), MonitorError> {
        self.schedule.validate()?;
        let minutes = |name: &str, value: Option<u32>| match value {
            Some(v) if !(1..=MAX_MINUTES).contains(&v) => Err(MonitorError::InvalidConfig(
                format!("{name} must be between 1 and {MAX_MINUTES} minutes"),
            )),
            _ => Ok(()),
        };
        minutes("checkin_margin", self.checkin_margin)?;
        minutes("max_runtime", self.max_runtime)?;
        let threshold = |name: &str, value: Option<u32>| match value {
            Some(v) if !(1..=MAX_THRESHOLD).contains(&v) => Err(MonitorError::InvalidConfig(
                format!("{name} must be between 1 and {MAX_THRESHOLD}"),
            )),
            _ => Ok(()),
        };
        threshold("failure_issue_threshold", self.failure_issue_threshold)?;
        threshold("recovery_threshold", self.recovery_threshold)?;
        if let Some(zone) = &self.timezone {
            zone.parse::<Tz>()
                .map_err(|_| MonitorError::InvalidConfig(format!("unknown timezone {zone:?}")))?;
        }
        Ok(())
    }

    /// This config sent with a check-in, over the monitor's `current` one: the schedule
    /// is taken, other bounds only where this one names them, as Sentry's upsert does.
    pub fn over(&self, current: &MonitorConfig) -> MonitorConfig {
        MonitorConfig {
            schedule: self.schedule.clone(),
            checkin_margin: self.checkin_margin.or(current.checkin_margin),
            max_runtime: self.max_runtime.or(current.max_runtime),
            timezone: self.timezone.clone().or_else(|| current.timezone.clone()),
            failure_issue_threshold: self
                .failure_issue_threshold
                .or(current.failure_issue_threshold),
            recovery_threshold: self.recovery_threshold.or(current.recovery_threshold),
        }
    }

    /// The time zone crontabs are read in.
    pub fn zone(&self) -> Tz {
        self.timezone
            .as_deref()
            .and_then(|zone| zone.parse().ok())
            .unwrap_or(Tz::UTC)
    }

    /// How late a run may check in.
    pub fn margin(&self) -> Duration {
        Duration::minutes(i64::from(
            self.checkin_margin.unwrap_or(DEFAULT_MARGIN_MINUTES),
        ))
    }

    /// How long a run may stay `in_progress`.
    pub fn max_runtime(&self) -> Duration {
        Duration::minutes(i64::from(
            self.max_runtime.unwrap_or(DEFAULT_MAX_RUNTIME_MINUTES),
        ))
    }

    /// Consecutive failures that open an issue.
    pub fn failure_threshold(&self) -> u32 {
        self.failure_issue_threshold.unwrap_or(1).max(1)
    }

    /// Consecutive successes that resolve it.
    pub fn recovery_threshold(&self) -> u32 {
        self.recovery_threshold.unwrap_or(1).max(1)
    }

    /// The first expected run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.next_after(after, self.zone())
    }
}
