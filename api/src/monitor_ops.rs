//! Check-ins into monitors: what the envelope's `check_in` items and the HTTP cron
//! endpoint share. A check-in with a config creates or updates its monitor (Sentry's
//! upsert); one without needs the monitor to exist. And the delivery of the
//! monitors' incidents as failure issues, which the monitor scheduler runs.

use chrono::Utc;
use faultline_commands::monitor_incidents;
use faultline_domain::issue::{Issue, IssueCommand, ResolveDetails};
use faultline_domain::metadata::{Actor, EventMetadata};
use faultline_domain::monitor::{
    stream_id, CheckInReport, CheckInStatus, Incident, Monitor, MonitorCommand, MonitorStatus,
    NewMonitor, ReceivedCheckIn, FAILURE_ISSUE_TYPE,
};
use faultline_projections::issues::queries as issue_queries;
use faultline_projections::monitors::queries::{self as monitor_queries, EndedIncident};
use uuid::Uuid;

use crate::error::ApiError;
use crate::ingest_pipeline::{submit_event, Submitter};
use crate::state::AppState;

/// Where a check-in was sent: the client key's organization and project.
#[derive(Debug, Clone, Copy)]
pub struct CheckInTarget {
    /// The organization.
    pub org_id: i64,
    /// The project.
    pub project_id: i64,
}

/// Records `check_in` on its monitor; returns once it is committed to the log.
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
        status: MonitorStatus::Active,
        muted: false,
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
    // Committed is enough, as for events: a client never reads its check-in back, and
    // waiting for the read model would cost every check-in a projection round.
    state
        .bus
        .execute::<Monitor>(&stream_id(target.org_id, &check_in.slug), command, metadata)
        .await?;
    Ok(())
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Failure issues opened (or reopened).
    pub opened: usize,
    /// Failure issues resolved.
    pub resolved: usize,
}

/// Opens the failure issue of every open incident that has none yet, and resolves
/// the issue of every incident that ended: the side effects of the monitors'
/// `IncidentOpened` and `IncidentResolved`, delivered after they are recorded; of
/// `organization`, or of every organization. The caller runs one pass at a time
/// across processes.
pub async fn deliver_incidents(
    state: &AppState,
    organization: Option<i64>,
    limit: i64,
) -> Result<Delivered, ApiError> {
    let mut done = Delivered::default();
    for row in monitor_queries::undelivered_incidents(&state.pool, organization, limit).await? {
        let incident = Incident {
            monitor_id: row.monitor_id,
            slug: &row.slug,
            name: &row.name,
            config: &row.config,
            environment: &row.environment,
            incident: row.incident,
            reason: row.reason.as_deref().and_then(status_named),
            started: row.incident_started,
            last_check_in: row.last_check_in,
        };
        let event_id = incident.event_id().simple().to_string();
        let raw: sonic_rs::Value =
            sonic_rs::from_str(&incident.event().to_string()).map_err(ApiError::internal)?;
        let submitter = Submitter {
            org_id: row.org_id,
            project_id: row.project_id,
            actor: Actor::System(SYSTEM.to_owned()),
            client: None,
            client_ip: None,
            request_id: None,
            issue_type: Some(FAILURE_ISSUE_TYPE),
        };
        submit_event(state, submitter, raw, event_id.clone()).await?;
        monitor_incidents::opened(
            &state.pool,
            row.org_id,
            row.monitor_id,
            &row.environment,
            row.incident,
            row.project_id,
            &event_id,
        )
        .await?;
        done.opened += 1;
    }
    for ended in monitor_queries::ended_incidents(&state.pool, organization, limit).await? {
        if ended.monitor_exists && !resolve_issue(state, &ended).await? {
            // Its event is not in the issues read model yet: next pass.
            continue;
        }
        monitor_incidents::resolved(
            &state.pool,
            ended.org_id,
            ended.monitor_id,
            &ended.environment,
            ended.incident,
        )
        .await?;
        done.resolved += usize::from(ended.monitor_exists);
    }
    Ok(done)
}

/// The actor of what the monitors' scheduler writes.
const SYSTEM: &str = "monitors";

fn status_named(name: &str) -> Option<CheckInStatus> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Resolves the issue the incident's event is in; `false` if that event is not
/// visible yet.
async fn resolve_issue(state: &AppState, ended: &EndedIncident) -> Result<bool, ApiError> {
    // A project that is gone took its issues with it: nothing is left to resolve.
    if !ended.project_exists {
        return Ok(true);
    }
    let org_id = ended.org_id;
    let Some((stream, status)) =
        issue_queries::issue_of_event(&state.pool, org_id, ended.project_id, &ended.event_id)
            .await?
    else {
        return Ok(false);
    };
    if status != "unresolved" {
        return Ok(true);
    }
    let now = Utc::now();
    let command = IssueCommand::Resolve {
        details: ResolveDetails::Plain,
        at: now,
        actor: None,
    };
    match state
        .execute_in::<Issue>(
            org_id,
            &stream,
            command,
            &EventMetadata::system(SYSTEM, now),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(error @ (ApiError::Unavailable | ApiError::Internal(_))) => Err(error),
        Err(error) => {
            tracing::info!(stream, %error, "monitor failure issue not resolved");
            Ok(true)
        }
    }
}
