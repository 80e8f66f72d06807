//! Cron monitor changes as audit entries, with Sentry's names (`monitor.add`,
//! `monitor.edit`, `monitor.remove`). Check-ins, incidents and their summaries are
//! not rows: jobs, the clock and retention make them, not people changing the
//! organization.

use faultline_domain::monitor::MonitorEvent;
use serde_json::json;
use sqlx::PgConnection;

use super::Entry;
use crate::{ProjectionError, StoredEvent};

pub async fn monitor(
    conn: &mut PgConnection,
    event: &StoredEvent,
) -> Result<Option<Entry>, ProjectionError> {
    if super::SKIPPED.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    let stream = event.aggregate_id.as_str();
    let decoded = event.decode::<MonitorEvent>()?;
    if let MonitorEvent::MonitorCreated { org_id, slug, .. } = &decoded {
        sqlx::query(
            "INSERT INTO audit_monitors (stream_id, org_id, slug) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id) DO UPDATE SET org_id = $2, slug = $3",
        )
        .bind(stream)
        .bind(org_id)
        .bind(slug)
        .execute(&mut *conn)
        .await?;
    }
    let Some((org_id, slug)): Option<(i64, String)> =
        sqlx::query_as("SELECT org_id, slug FROM audit_monitors WHERE stream_id = $1")
            .bind(stream)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    let (name, note, data) = match decoded {
        MonitorEvent::MonitorCreated {
            monitor_id,
            name,
            project_id,
            ..
        } => (
            "monitor.add",
            format!("added monitor {slug}"),
            json!({"id": monitor_id, "slug": slug, "name": name, "project_id": project_id}),
        ),
        MonitorEvent::MonitorUpdated {
            name,
            config,
            status,
            muted,
            owner,
            ..
        } => {
            let mut data = json!({"slug": slug});
            if let Some(name) = name {
                data["name"] = json!(name);
            }
            if let Some(config) = config {
                data["config"] = json!(config);
            }
            if let Some(status) = status {
                data["status"] = json!(status.as_str());
            }
            if let Some(muted) = muted {
                data["is_muted"] = json!(muted);
            }
            if let Some(owner) = owner {
                data["owner"] = json!(owner);
            }
            ("monitor.edit", format!("edited monitor {slug}"), data)
        }
        MonitorEvent::MonitorDeleted { .. } => (
            "monitor.remove",
            format!("removed monitor {slug}"),
            json!({"slug": slug}),
        ),
        MonitorEvent::CheckInRecorded { .. }
        | MonitorEvent::CheckInCompleted { .. }
        | MonitorEvent::IncidentOpened { .. }
        | MonitorEvent::IncidentResolved { .. }
        | MonitorEvent::CheckInsSummarized { .. } => return Ok(None),
    };
    Ok(Some(Entry {
        org_id,
        event: name,
        note,
        target_object: None,
        target_user_id: None,
        data,
    }))
}
