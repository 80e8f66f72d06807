//! The body of `POST .../monitors/` and `PUT .../monitors/{monitor}/`, in Sentry's
//! shape: `config.schedule` as a crontab string, `[n, "unit"]` with
//! `schedule_type`, or the SDKs' `{type, value, unit}` object.

use faultline_domain::monitor::{IntervalUnit, MonitorConfig, MonitorStatus, Schedule};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::fields::FieldErrors;

/// A monitor to create or change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = MonitorWrite)]
pub struct MonitorBody {
    /// The project (id or slug) whose key the check-ins come with.
    pub project: Option<String>,
    /// The display name (at most 128 characters).
    pub name: Option<String>,
    /// The slug; derived from the name when absent.
    pub slug: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// `user:<id>` or `team:<id>`; `null` clears it.
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    /// Whether failures open issues.
    pub is_muted: Option<bool>,
    /// `is_muted` in camel case, as Sentry also accepts.
    #[serde(rename = "isMuted")]
    pub is_muted_camel: Option<bool>,
    /// `schedule_type`, `schedule`, `checkin_margin`, `max_runtime`, `timezone`,
    /// `failure_issue_threshold`, `recovery_threshold`.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
}

impl MonitorBody {
    /// The status asked for, if any.
    pub fn status(&self, errors: &mut FieldErrors) -> Option<MonitorStatus> {
        match self.status.as_deref() {
            None => None,
            Some("active") => Some(MonitorStatus::Active),
            Some("disabled") => Some(MonitorStatus::Disabled),
            Some(other) => {
                errors.add("status", format!("\"{other}\" is not a valid choice."));
                None
            }
        }
    }

    /// Whether the monitor is muted, from either spelling.
    pub fn muted(&self) -> Option<bool> {
        self.is_muted.or(self.is_muted_camel)
    }

    /// The config, if the body has one.
    pub fn config(&self, errors: &mut FieldErrors) -> Option<MonitorConfig> {
        let config = self.config.as_ref()?;
        match parse_config(config) {
            Ok(config) => Some(config),
            Err(message) => {
                errors.add("config", message);
                None
            }
        }
    }
}

fn integer(config: &Value, key: &str) -> Result<Option<u32>, String> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| format!("{key}: A valid integer is required.")),
    }
}

fn interval(value: &Value, unit: &Value) -> Result<Schedule, String> {
    let n = value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or("schedule: an interval is a positive integer")?;
    let unit: IntervalUnit = unit
        .as_str()
        .ok_or("schedule: an interval's unit is a string")?
        .parse()
        .map_err(|e: faultline_domain::monitor::MonitorError| e.to_string())?;
    Schedule::interval(n, unit).map_err(|e| e.to_string())
}

fn schedule(config: &Value) -> Result<Schedule, String> {
    let kind = config.get("schedule_type").and_then(Value::as_str);
    let schedule = match config.get("schedule") {
        None | Some(Value::Null) => return Err("schedule: This field is required.".to_owned()),
        Some(schedule) => schedule,
    };
    let checked =
        |s: Result<Schedule, faultline_domain::monitor::MonitorError>| s.map_err(|e| e.to_string());
    match (schedule, kind) {
        (Value::Object(object), _) => {
            let value = object.get("value").cloned().unwrap_or(Value::Null);
            match object.get("type").and_then(Value::as_str) {
                Some("crontab") => checked(Schedule::crontab(value.as_str().unwrap_or_default())),
                Some("interval") => interval(&value, object.get("unit").unwrap_or(&Value::Null)),
                _ => Err("schedule: type is crontab or interval".to_owned()),
            }
        }
        (Value::String(expression), None | Some("crontab")) => {
            checked(Schedule::crontab(expression))
        }
        (Value::Array(pair), Some("interval")) if pair.len() == 2 => interval(&pair[0], &pair[1]),
        (_, Some("interval")) => Err("schedule: an interval is [n, \"unit\"]".to_owned()),
        (_, Some(other)) if other != "crontab" => {
            Err(format!("schedule_type: \"{other}\" is not a valid choice."))
        }
        _ => Err("schedule: a crontab is a string".to_owned()),
    }
}

/// Reads Sentry's config object; the message names the key at fault.
pub fn parse_config(config: &Value) -> Result<MonitorConfig, String> {
    if !config.is_object() {
        return Err("Expected a dictionary of items.".to_owned());
    }
    let timezone = match config.get("timezone") {
        None | Some(Value::Null) => None,
        Some(Value::String(zone)) if zone.trim().is_empty() => None,
        Some(Value::String(zone)) => Some(zone.trim().to_owned()),
        Some(_) => return Err("timezone: Not a valid string.".to_owned()),
    };
    let config = MonitorConfig {
        schedule: schedule(config)?,
        // Sentry takes a margin of 0 as 1.
        checkin_margin: integer(config, "checkin_margin")?.map(|m| m.max(1)),
        max_runtime: integer(config, "max_runtime")?,
        timezone,
        failure_issue_threshold: integer(config, "failure_issue_threshold")?,
        recovery_threshold: integer(config, "recovery_threshold")?,
    };
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_crontab_string_an_interval_pair_and_an_sdk_object_are_read() {
        let crontab =
            parse_config(&json!({"schedule_type": "crontab", "schedule": "0 * * * *"})).unwrap();
        assert_eq!(crontab.schedule, Schedule::crontab("0 * * * *").unwrap());
        let pair =
            parse_config(&json!({"schedule_type": "interval", "schedule": [2, "hour"]})).unwrap();
        assert_eq!(
            pair.schedule,
            Schedule::interval(2, IntervalUnit::Hour).unwrap()
        );
        let object = parse_config(&json!({"schedule": {"type": "interval", "value": 1, "unit": "day"}, "checkin_margin": 0}))
            .unwrap();
        assert_eq!(
            object.schedule,
            Schedule::interval(1, IntervalUnit::Day).unwrap()
        );
        assert_eq!(object.checkin_margin, Some(1));
    }

    #[test]
    fn a_bad_schedule_or_bound_names_what_is_wrong() {
        let message = parse_config(&json!({"schedule": "* * *"})).unwrap_err();
        assert!(message.contains("not a valid crontab"), "{message}");
        let message =
            parse_config(&json!({"schedule": "* * * * *", "max_runtime": 50000})).unwrap_err();
        assert!(message.contains("max_runtime"), "{message}");
        let message =
            parse_config(&json!({"schedule_type": "interval", "schedule": "x"})).unwrap_err();
        assert!(message.contains("interval"), "{message}");
        assert!(parse_config(&json!({})).unwrap_err().contains("schedule"));
    }
}
