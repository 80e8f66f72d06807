//! Workflow and service hook events into `workflows` and `service_hooks`. Every
//! statement names the organization (the event's partition of the log): on Citus the
//! tables are distributed by it.

use faultline_domain::alert::definition::Definition;
use faultline_domain::alert::WorkflowEvent;
use faultline_domain::service_hook::ServiceHookEvent;
use sqlx::types::Json;
use sqlx::PgConnection;

use crate::{ProjectionError, StoredEvent};

type Result<T> = std::result::Result<T, ProjectionError>;

pub async fn workflow(conn: &mut PgConnection, event: &StoredEvent) -> Result<()> {
    let time = event.time();
    match event.decode::<WorkflowEvent>()? {
        WorkflowEvent::WorkflowCreated {
            workflow_id,
            org_id,
            definition,
            created_by,
        } => {
            sqlx::query(
                "INSERT INTO workflows (id, org_id, name, definition, enabled, environment, frequency,
                                        project_ids, created_by, date_created, date_updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(workflow_id)
            .bind(org_id)
            .bind(&definition.name)
            .bind(Json(&definition))
            .bind(definition.enabled)
            .bind(&definition.environment)
            .bind(definition.frequency_minutes)
            .bind(&definition.project_ids)
            .bind(created_by)
            .bind(time)
            .execute(conn)
            .await?;
        }
        WorkflowEvent::WorkflowUpdated {
            workflow_id,
            definition,
            ..
        } => {
            update_workflow(
                conn,
                (event.organization_id, workflow_id),
                &definition,
                time,
            )
            .await?
        }
        WorkflowEvent::WorkflowDeleted { workflow_id, .. } => {
            sqlx::query("DELETE FROM workflows WHERE id = $1 AND org_id = $2")
                .bind(workflow_id)
                .bind(event.organization_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

async fn update_workflow(
    conn: &mut PgConnection,
    (org_id, workflow_id): (i64, i64),
    definition: &Definition,
    time: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE workflows SET name = $2, definition = $3, enabled = $4, environment = $5,
                              frequency = $6, project_ids = $7, date_updated = $8
          WHERE id = $1 AND org_id = $9",
    )
    .bind(workflow_id)
    .bind(&definition.name)
    .bind(Json(definition))
    .bind(definition.enabled)
    .bind(&definition.environment)
    .bind(definition.frequency_minutes)
    .bind(&definition.project_ids)
    .bind(time)
    .bind(org_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn service_hook(conn: &mut PgConnection, event: &StoredEvent) -> Result<()> {
    let time = event.time();
    match event.decode::<ServiceHookEvent>()? {
        ServiceHookEvent::ServiceHookCreated {
            hook_id,
            org_id,
            project_id,
            url,
            events,
            secret,
        } => {
            sqlx::query(
                "INSERT INTO service_hooks (id, org_id, project_id, url, events, secret,
                                            date_created, date_updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(hook_id)
            .bind(org_id)
            .bind(project_id)
            .bind(url)
            .bind(events)
            .bind(secret)
            .bind(time)
            .execute(conn)
            .await?;
        }
        ServiceHookEvent::ServiceHookUpdated {
            hook_id,
            url,
            events,
            ..
        } => {
            sqlx::query(
                "UPDATE service_hooks SET url = $2, events = $3, date_updated = $4
                  WHERE id = $1 AND org_id = $5",
            )
            .bind(hook_id)
            .bind(url)
            .bind(events)
            .bind(time)
            .bind(event.organization_id)
            .execute(conn)
            .await?;
        }
        ServiceHookEvent::ServiceHookDeleted { hook_id, .. } => {
            sqlx::query("DELETE FROM service_hooks WHERE id = $1 AND org_id = $2")
                .bind(hook_id)
                .bind(event.organization_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
