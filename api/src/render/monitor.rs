//! A cron monitor and its check-ins as Sentry shows them.

use faultline_domain::monitor::{MonitorConfig, Schedule};
use faultline_projections::monitors::queries::{CheckInRow, EnvironmentRow, MonitorRow};
use serde_json::{json, Value};

use crate::json::date;

/// Sentry's `config`: `schedule_type`, `schedule` as a crontab string or
/// `[n, "unit"]`, and every bound (`null` where the default applies).
pub fn config_json(config: &MonitorConfig) -> Value {
    let schedule = match &config.schedule {
        Schedule::Crontab { value } => json!(value),
        Schedule::Interval { value, unit } => json!([value, unit.as_str()]),
    };
    json!({
        "schedule_type": config.schedule.type_name(),
        "schedule": schedule,
        "checkin_margin": config.checkin_margin,
        "max_runtime": config.max_runtime,
        "timezone": config.timezone.as_deref().unwrap_or("UTC"),
        "failure_issue_threshold": config.failure_issue_threshold,
        "recovery_threshold": config.recovery_threshold,
        "alert_rule_id": null,
    })
}

/// One environment of a monitor.
pub fn environment_json(env: &EnvironmentRow, muted: bool) -> Value {
    let incident = env.incident_started.map(|started| {
        json!({
            "startingTimestamp": date(started),
            "resolvingTimestamp": null,
            "brokenNotice": null,
        })
    });
    json!({
        "name": env.name,
        "status": env.status,
        "isMuted": muted,
        "dateCreated": date(env.date_created),
        "lastCheckIn": env.last_check_in.map(date),
        "nextCheckIn": env.next_check_in.map(date),
        "nextCheckInLatest": env.next_check_in_latest.map(date),
        "activeIncident": incident,
    })
}

/// A monitor, with its project (as the project list shows it), environments and
/// owner (`{type, id, name}` or `null`).
pub fn monitor_json(
    monitor: &MonitorRow,
    project: Value,
    environments: &[&EnvironmentRow],
    owner: Value,
) -> Value {
    json!({
        "id": monitor.monitor_id.to_string(),
        "name": monitor.name,
        "slug": monitor.slug,
        "status": monitor.status,
        "type": "cron_job",
        "isMuted": monitor.is_muted,
        "isUpserting": false,
        "config": config_json(&monitor.config),
        "dateCreated": date(monitor.date_created),
        "project": project,
        "environments": environments
            .iter()
            .map(|env| environment_json(env, monitor.is_muted))
            .collect::<Vec<_>>(),
        "owner": owner,
    })
}

/// One check-in; `duration` in milliseconds.
pub fn check_in_json(check_in: &CheckInRow) -> Value {
    json!({
        "id": check_in.check_in_id.to_string(),
        "environment": check_in.environment,
        "status": check_in.status,
        "duration": check_in.duration_ms,
        "dateCreated": date(check_in.date_added),
        "dateAdded": date(check_in.date_added),
        "dateUpdated": date(check_in.date_updated),
        "dateInProgress": check_in.date_in_progress.map(date),
        "dateClock": date(check_in.date_added),
        "expectedTime": check_in.expected_time.map(date),
        "monitorConfig": config_json(&check_in.config),
    })
}
