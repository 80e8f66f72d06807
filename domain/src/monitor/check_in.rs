//! A check-in as the SDKs, sentry-cli and the HTTP endpoint send it, read into what
//! the monitor aggregate takes. Lenient where Relay is (unknown keys, `null`s), strict
//! where Sentry's validator is (status, slug, environment, config bounds).

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    require_environment, CheckInStatus, IntervalUnit, MonitorConfig, MonitorError, Schedule,
    DEFAULT_ENVIRONMENT,
};
use crate::slug::MAX_SLUG_LEN;

/// A check-in read from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCheckIn {
    /// The monitor's slug, slugified as Sentry does.
    pub slug: String,
    /// The check-in's id; nil for "the latest".
    pub check_in_id: Uuid,
    /// `in_progress`, `ok` or `error`.
    pub status: CheckInStatus,
    /// How long the run took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The environment (`production` when none was named).
    pub environment: String,
    /// The monitor's config and owner, when the check-in carried one (upsert).
    pub config: Option<(MonitorConfig, Option<String>)>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    check_in_id: Option<String>,
    #[serde(default)]
    monitor_slug: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    monitor_config: Option<ConfigPayload>,
}

#[derive(Deserialize)]
struct ConfigPayload {
    schedule: SchedulePayload,
    #[serde(default)]
    checkin_margin: Option<u32>,
    #[serde(default)]
    max_runtime: Option<u32>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    failure_issue_threshold: Option<u32>,
    #[serde(default)]
    recovery_threshold: Option<u32>,
    #[serde(default)]
    owner: Option<String>,
}

#[derive(Deserialize)]
struct SchedulePayload {
    #[serde(rename = "type")]
    kind: String,
    value: Value,
    #[serde(default)]
    unit: Option<String>,
}

/// Django's `slugify` as Sentry applies it to a monitor slug: ASCII letters, digits,
/// `_` and `-` kept (lowercased), other characters dropped, runs of spaces and dashes
/// made one dash, cut to 50 characters, dashes trimmed.
pub fn slugify(raw: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in raw.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c.is_whitespace() {
            dash = true;
        }
    }
    if dash && !out.is_empty() {
        out.push('-');
    }
    let cut: String = out.chars().take(MAX_SLUG_LEN).collect();
    cut.trim_matches('-').to_owned()
}

/// The status a client may report.
fn reported_status(raw: &str) -> Result<CheckInStatus, MonitorError> {
    match raw {
        "in_progress" => Ok(CheckInStatus::InProgress),
        "ok" => Ok(CheckInStatus::Ok),
        "error" => Ok(CheckInStatus::Error),
        other => Err(MonitorError::InvalidCheckIn(format!(
            "status {other:?} is not one of in_progress, ok, error"
        ))),
    }
}

/// A duration in seconds, as clients send it, in milliseconds.
fn duration_ms(seconds: Option<f64>) -> Option<u64> {
    seconds
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| (s * 1000.0) as u64)
}

/// The check-in id a client sent: absent or empty is nil ("the latest").
fn check_in_id(raw: Option<&str>) -> Result<Uuid, MonitorError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(Uuid::nil()),
        Some(id) => Uuid::try_parse(id)
            .map_err(|_| MonitorError::InvalidCheckIn(format!("check_in_id {id:?} is not a UUID"))),
    }
}

/// The environment a client named, `production` when none.
fn environment(raw: Option<&str>) -> Result<String, MonitorError> {
    let environment = match raw.map(str::trim) {
        None | Some("") => DEFAULT_ENVIRONMENT,
        Some(name) => name,
    };
    require_environment(environment)?;
    Ok(environment.to_owned())
}

fn schedule(payload: SchedulePayload) -> Result<Schedule, MonitorError> {
    match payload.kind.as_str() {
        "crontab" => match payload.value.as_str() {
            Some(expression) => Schedule::crontab(expression),
            None => Err(MonitorError::InvalidSchedule(
                "a crontab schedule's value is a string".to_owned(),
            )),
        },
        "interval" => {
            let value = payload
                .value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    MonitorError::InvalidSchedule("an interval is a positive integer".to_owned())
                })?;
            let unit: IntervalUnit = payload.unit.as_deref().unwrap_or_default().parse()?;
            Schedule::interval(value, unit)
        }
        other => Err(MonitorError::InvalidSchedule(format!(
            "schedule type {other:?} is not crontab or interval"
        ))),
    }
}

/// Reads a `check_in` item's JSON payload; `slug` overrides the payload's (the HTTP
/// endpoint names the monitor in its path).
pub fn parse_check_in(payload: &[u8], slug: Option<&str>) -> Result<ReceivedCheckIn, MonitorError> {
    let payload: Payload = serde_json::from_slice(payload)
        .map_err(|error| MonitorError::InvalidCheckIn(format!("invalid JSON: {error}")))?;
    received(payload, slug)
}

/// Reads a check-in by URL (`status`, `check_in_id`, `environment`, `duration` in the
/// query string) for monitor `slug`.
pub fn parse_check_in_query(query: &str, slug: &str) -> Result<ReceivedCheckIn, MonitorError> {
    let payload: Payload = serde_urlencoded::from_str(query)
        .map_err(|error| MonitorError::InvalidCheckIn(format!("invalid query: {error}")))?;
    received(payload, Some(slug))
}

fn received(payload: Payload, slug: Option<&str>) -> Result<ReceivedCheckIn, MonitorError> {
    let slug = slugify(slug.or(payload.monitor_slug.as_deref()).unwrap_or_default());
    if slug.is_empty() {
        return Err(MonitorError::InvalidCheckIn(
            "monitor_slug is empty".to_owned(),
        ));
    }
    let status = reported_status(payload.status.as_deref().unwrap_or_default())?;
    let config = match payload.monitor_config {
        Some(config) => {
            let owner = config.owner.filter(|owner| !owner.trim().is_empty());
            let config = MonitorConfig {
                schedule: schedule(config.schedule)?,
                checkin_margin: config.checkin_margin.map(|m| m.max(1)),
                max_runtime: config.max_runtime,
                timezone: config.timezone.filter(|zone| !zone.trim().is_empty()),
                failure_issue_threshold: config.failure_issue_threshold,
                recovery_threshold: config.recovery_threshold,
            };
            config.validate()?;
            Some((config, owner))
        }
        None => None,
    };
    Ok(ReceivedCheckIn {
        slug,
        check_in_id: check_in_id(payload.check_in_id.as_deref())?,
        status,
        duration_ms: duration_ms(payload.duration),
        environment: environment(payload.environment.as_deref())?,
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentry_clis_in_progress_check_in_carries_its_config() {
        let payload = br#"{"check_in_id":"ce44c5d7e7b247ab8d4faa4521e45871","monitor_slug":"my-mon","status":"in_progress","environment":"staging","monitor_config":{"schedule":{"type":"crontab","value":"*/5 * * * *"},"checkin_margin":2,"max_runtime":10,"timezone":"Europe/Vienna","failure_issue_threshold":3,"recovery_threshold":2}}"#;
        let check_in = parse_check_in(payload, None).unwrap();
        assert_eq!(check_in.slug, "my-mon");
        assert_eq!(
            check_in.check_in_id,
            Uuid::parse_str("ce44c5d7-e7b2-47ab-8d4f-aa4521e45871").unwrap()
        );
        assert_eq!(check_in.status, CheckInStatus::InProgress);
        assert_eq!(check_in.environment, "staging");
        let (config, owner) = check_in.config.unwrap();
        assert_eq!(config.checkin_margin, Some(2));
        assert_eq!(config.timezone.as_deref(), Some("Europe/Vienna"));
        assert_eq!(config.failure_issue_threshold, Some(3));
        assert_eq!(owner, None);
    }

    #[test]
    fn a_pythons_sdk_check_in_with_extra_event_fields_and_a_null_duration_is_read() {
        let payload = br#"{"type":"check_in","monitor_slug":"py-mon","check_in_id":"6f79a1b2c3d44e5f8a9b0c1d2e3f4a5b","status":"ok","duration":1.5,"environment":"prod","release":"r1","sdk":{"name":"sentry.python"},"timestamp":1.0}"#;
        let check_in = parse_check_in(payload, None).unwrap();
        assert_eq!(check_in.duration_ms, Some(1500));
        assert_eq!(check_in.config, None);
        let in_progress = br#"{"monitor_slug":"py-mon","status":"in_progress","duration":null}"#;
        let check_in = parse_check_in(in_progress, None).unwrap();
        assert_eq!(check_in.duration_ms, None);
        assert!(check_in.check_in_id.is_nil());
        assert_eq!(check_in.environment, "production");
    }

    #[test]
    fn an_interval_schedule_is_read_with_its_unit() {
        let payload = br#"{"monitor_slug":"m","status":"ok","monitor_config":{"schedule":{"type":"interval","value":2,"unit":"hour"}}}"#;
        let (config, _) = parse_check_in(payload, None).unwrap().config.unwrap();
        assert_eq!(
            config.schedule,
            Schedule::interval(2, IntervalUnit::Hour).unwrap()
        );
    }

    #[test]
    fn a_check_in_by_url_reads_its_query() {
        let check_in = parse_check_in_query(
            "status=ok&check_in_id=ce44c5d7e7b247ab8d4faa4521e45871&environment=dev&duration=1.25",
            "backup",
        )
        .unwrap();
        assert_eq!(check_in.slug, "backup");
        assert_eq!(check_in.status, CheckInStatus::Ok);
        assert_eq!(check_in.environment, "dev");
        assert_eq!(check_in.duration_ms, Some(1250));
        assert!(!check_in.check_in_id.is_nil());
        let missing = parse_check_in_query("", "backup").unwrap_err().to_string();
        assert!(missing.contains("status"), "{missing}");
    }

    #[test]
    fn the_paths_slug_wins_and_is_slugified() {
        let check_in = parse_check_in(
            br#"{"monitor_slug":"x","status":"ok"}"#,
            Some("Nightly Job.v2"),
        )
        .unwrap();
        assert_eq!(check_in.slug, "nightly-jobv2");
        assert_eq!(slugify("  --a  b--  "), "a-b");
        assert_eq!(slugify(&"x".repeat(60)).len(), 50);
    }

    #[test]
    fn an_unknown_status_an_empty_slug_or_a_bad_crontab_is_refused() {
        assert!(parse_check_in(br#"{"monitor_slug":"m","status":"missed"}"#, None).is_err());
        assert!(parse_check_in(br#"{"monitor_slug":"%%","status":"ok"}"#, None).is_err());
        assert!(parse_check_in(
            br#"{"monitor_slug":"m","status":"ok","monitor_config":{"schedule":{"type":"crontab","value":"nope"}}}"#,
            None
        )
        .is_err());
        assert!(parse_check_in(
            br#"{"monitor_slug":"m","status":"ok","environment":"a/b"}"#,
            None
        )
        .is_err());
        assert!(parse_check_in(b"not json", None).is_err());
    }
}
