//! The event a monitor's incident opens its failure issue with: one issue per
//! monitor environment (its fingerprint), so a later incident reopens it as a
//! regression, and the issue alerts, searches and lists like any other.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{CheckInStatus, MonitorConfig};

/// What the failure event says about the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident<'a> {
    /// The monitor's id.
    pub monitor_id: Uuid,
    /// Its slug.
    pub slug: &'a str,
    /// Its display name.
    pub name: &'a str,
    /// Its config.
    pub config: &'a MonitorConfig,
    /// The environment that failed.
    pub environment: &'a str,
    /// The environment's incident number.
    pub incident: i32,
    /// The failure that crossed the threshold, if known.
    pub reason: Option<CheckInStatus>,
    /// When the incident opened.
    pub started: DateTime<Utc>,
    /// The environment's last check-in that was not a missed one.
    pub last_check_in: Option<DateTime<Utc>>,
}

impl Incident<'_> {
    /// The failure event's id: the same for the same incident, so delivering it twice
    /// names one event.
    pub fn event_id(&self) -> Uuid {
        let name = format!(
            "monitor-incident:{}:{}:{}",
            self.monitor_id, self.environment, self.incident
        );
        Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
    }

    /// The issue's fingerprint: one per monitor environment.
    pub fn fingerprint(&self) -> Vec<String> {
        vec![
            "monitor-failure".to_owned(),
            self.monitor_id.to_string(),
            self.environment.to_owned(),
        ]
    }

    /// Sentry's failure reason, as its issue evidence words it.
    pub fn reason_text(&self) -> &'static str {
        match self.reason {
            Some(CheckInStatus::Missed) => "A missed check-in was detected",
            Some(CheckInStatus::Timeout) => "A timeout check-in was detected",
            _ => "An error check-in was detected",
        }
    }

    /// The event as an SDK would send it (Sentry's title, `monitor.*` tags, the
    /// `monitor` context).
    pub fn event(&self) -> Value {
        json!({
            "event_id": self.event_id().simple().to_string(),
            "timestamp": self.started.timestamp_millis() as f64 / 1000.0,
            "platform": "other",
            "level": "error",
            "logger": "monitors",
            "environment": self.environment,
            "message": format!("Monitor failure: {}", self.name),
            "fingerprint": self.fingerprint(),
            "tags": {
                "monitor.id": self.monitor_id.to_string(),
                "monitor.slug": self.slug,
                "monitor.incident": self.incident.to_string(),
            },
            "contexts": {
                "monitor": {
                    "id": self.monitor_id.to_string(),
                    "slug": self.slug,
                    "name": self.name,
                    "config": self.config,
                    "type": "cron_job",
                },
            },
            "extra": {
                "Failure reason": self.reason_text(),
                "Environment": self.environment,
                "Last successful check-in": self
                    .last_check_in
                    .map(|time| time.to_rfc3339())
                    .unwrap_or_else(|| "Never".to_owned()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Schedule;

    fn config() -> MonitorConfig {
        MonitorConfig {
            schedule: Schedule::crontab("0 * * * *").unwrap(),
            checkin_margin: None,
            max_runtime: None,
            timezone: None,
            failure_issue_threshold: None,
            recovery_threshold: None,
        }
    }

    #[test]
    fn the_failure_event_is_titled_tagged_and_fingerprinted_per_environment() {
        let config = config();
        let incident = Incident {
            monitor_id: Uuid::from_u128(1),
            slug: "nightly",
            name: "Nightly import",
            config: &config,
            environment: "production",
            incident: 2,
            reason: Some(CheckInStatus::Missed),
            started: "2026-12-01T10:00:00Z".parse().unwrap(),
            last_check_in: None,
        };
        let event = incident.event();
        assert_eq!(event["message"], "Monitor failure: Nightly import");
        assert_eq!(event["tags"]["monitor.slug"], "nightly");
        assert_eq!(
            event["extra"]["Failure reason"],
            "A missed check-in was detected"
        );
        assert_eq!(event["fingerprint"][2], "production");
        let again = Incident {
            reason: None,
            ..incident.clone()
        };
        assert_eq!(again.event_id(), incident.event_id());
        let next = Incident {
            incident: 3,
            ..incident.clone()
        };
        assert_ne!(next.event_id(), incident.event_id());
        assert_eq!(next.fingerprint(), incident.fingerprint());
    }
}
