//! Workflow and service hook changes, folded into the rules the reactor applies.

use faultline_domain::alert::{Workflow, WorkflowEvent};
use faultline_domain::service_hook::{ServiceHook, ServiceHookEvent};
use sqlx::PgConnection;

use crate::error::ProjectionError;
use crate::log::StoredEvent;

/// The workflow aggregate's type.
pub(super) const WORKFLOW: &str = <Workflow as cqrs_es::Aggregate>::TYPE;
/// The service hook aggregate's type.
pub(super) const SERVICE_HOOK: &str = <ServiceHook as cqrs_es::Aggregate>::TYPE;

/// Applies one workflow or service hook event of organization `org`.
pub(super) async fn apply(
    conn: &mut PgConnection,
    org: i64,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    match event.aggregate_type.as_str() {
        WORKFLOW => apply_workflow(conn, org, event.decode()?).await,
        SERVICE_HOOK => apply_hook(conn, org, event.decode()?).await,
        _ => Ok(()),
    }
}

async fn apply_workflow(
    conn: &mut PgConnection,
    org: i64,
    event: WorkflowEvent,
) -> Result<(), ProjectionError> {
    let (workflow_id, definition) = match event {
        WorkflowEvent::WorkflowCreated {
            workflow_id,
            definition,
            ..
        }
        | WorkflowEvent::WorkflowUpdated {
            workflow_id,
            definition,
            ..
        } => (workflow_id, definition),
        WorkflowEvent::WorkflowDeleted { workflow_id, .. } => {
            sqlx::query(
                "WITH fires AS (DELETE FROM alert_fires WHERE org_id = $2 AND workflow_id = $1)
                 DELETE FROM alert_workflows WHERE org_id = $2 AND workflow_id = $1",
            )
            .bind(workflow_id)
            .bind(org)
            .execute(&mut *conn)
            .await?;
            return Ok(());
        }
    };
    let json = serde_json::to_value(&definition)
        .map_err(|e| ProjectionError::Invalid(format!("workflow {workflow_id}: {e}")))?;
    sqlx::query(
        "INSERT INTO alert_workflows (workflow_id, org_id, enabled, project_ids, definition)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workflow_id, org_id) DO UPDATE
            SET enabled = EXCLUDED.enabled, project_ids = EXCLUDED.project_ids,
                definition = EXCLUDED.definition",
    )
    .bind(workflow_id)
    .bind(org)
    .bind(definition.enabled)
    .bind(&definition.project_ids)
    .bind(json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn apply_hook(
    conn: &mut PgConnection,
    org: i64,
    event: ServiceHookEvent,
) -> Result<(), ProjectionError> {
    match event {
        ServiceHookEvent::ServiceHookCreated {
            hook_id,
            project_id,
            url,
            events,
            secret,
            ..
        } => {
            sqlx::query(
                "INSERT INTO alert_service_hooks (hook_id, org_id, project_id, url, events, secret)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hook_id, org_id) DO NOTHING",
            )
            .bind(hook_id)
            .bind(org)
            .bind(project_id)
            .bind(url)
            .bind(events)
            .bind(secret)
            .execute(&mut *conn)
            .await?;
        }
        ServiceHookEvent::ServiceHookUpdated {
            hook_id,
            url,
            events,
            ..
        } => {
            sqlx::query(
                "UPDATE alert_service_hooks SET url = $2, events = $3
                  WHERE org_id = $4 AND hook_id = $1",
            )
            .bind(hook_id)
            .bind(url)
            .bind(events)
            .bind(org)
            .execute(&mut *conn)
            .await?;
        }
        ServiceHookEvent::ServiceHookDeleted { hook_id, .. } => {
            sqlx::query("DELETE FROM alert_service_hooks WHERE org_id = $2 AND hook_id = $1")
                .bind(hook_id)
                .bind(org)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
