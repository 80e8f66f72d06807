//! Check-ins into monitors: what the envelope's `check_in` items and the HTTP cron
//! endpoint share. A check-in with a config creates or updates its monitor (Sentry's
//! upsert); one without needs the monitor to exist.

use chrono::Utc;
use faultline_domain::metadata::EventMetadata;
use faultline_domain::monitor::{
    stream_id, CheckInReport, Monitor, MonitorCommand, NewMonitor, ReceivedCheckIn,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Where a check-in was sent: the client key's organization and project.
#[derive(Debug, Clone, Copy)]
pub struct CheckInTarget {
    /// The organization.
    pub org_id: i64,
    /// The project.
    pub project_id: i64,
}

/// Records `check_in` on its monitor and waits until the read model shows it.
#[tracing::instrument(
    name = "faultline.monitor.check_in",
    skip_all,
    fields(project_id = target.project_id, slug = %check_in.slug, status = check_in.status.as_str()),
    err
)]
pub async fn record_check_in(
    state: &AppState,
    target: CheckInTarget,
    check_in: ReceivedCheckIn,
    metadata: &EventMetadata,
) -> Result<(), ApiError> {
    let upsert = check_in.config.map(|(config, owner)| NewMonitor {
        monitor_id: Uuid::new_v4(),
        org_id: target.org_id,
        project_id: target.project_id,
        slug: check_in.slug.clone(),
        name: check_in.slug.clone(),
        config,
        owner,
    });
    let command = MonitorCommand::CheckIn {
        report: CheckInReport {
            project_id: target.project_id,
            check_in_id: check_in.check_in_id,
            fresh_id: Uuid::new_v4(),
            environment: check_in.environment,
            status: check_in.status,
            duration_ms: check_in.duration_ms,
        },
        upsert,
        at: Utc::now(),
    };
    state
        .execute::<Monitor>(&stream_id(target.org_id, &check_in.slug), command, metadata)
        .await?;
    Ok(())
}
