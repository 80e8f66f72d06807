//! The record of which monitor incidents have had their failure issue opened and
//! resolved (`monitor_incident_issues`, operational storage): the monitor
//! scheduler's memory of the side effects it delivered.

use sqlx::PgPool;
use uuid::Uuid;

/// Remembers that incident `incident` of an organization's monitor environment opened
/// its issue with event `event_id`.
pub async fn opened(
    pool: &PgPool,
    org_id: i64,
    monitor_id: Uuid,
    environment: &str,
    incident: i32,
    project_id: i64,
    event_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO monitor_incident_issues
                (monitor_id, environment, incident, project_id, event_id, org_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (monitor_id, environment, incident, org_id) DO NOTHING",
    )
    .bind(monitor_id)
    .bind(environment)
    .bind(incident)
    .bind(project_id)
    .bind(event_id)
    .bind(org_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Remembers that the incident's issue was resolved (or needs no resolving).
pub async fn resolved(
    pool: &PgPool,
    org_id: i64,
    monitor_id: Uuid,
    environment: &str,
    incident: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE monitor_incident_issues SET resolved_at = now()
          WHERE org_id = $4 AND monitor_id = $1 AND environment = $2 AND incident = $3",
    )
    .bind(monitor_id)
    .bind(environment)
    .bind(incident)
    .bind(org_id)
    .execute(pool)
    .await?;
    Ok(())
}
