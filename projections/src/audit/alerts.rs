//! Workflow and service hook events as audit rows (`alertrule.*`, `servicehook.*`).

use faultline_domain::alert::WorkflowEvent;
use faultline_domain::service_hook::ServiceHookEvent;
use serde_json::json;
use sqlx::PgConnection;

use super::{names, Entry};
use crate::{ProjectionError, StoredEvent};

type Result<T> = std::result::Result<T, ProjectionError>;

pub async fn workflow(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let (org_id, workflow_id, event, verb, name) = match event.decode::<WorkflowEvent>()? {
        WorkflowEvent::WorkflowCreated {
            workflow_id,
            org_id,
            definition,
            ..
        } => {
            names::remember_workflow(conn, workflow_id, &definition.name).await?;
            (
                org_id,
                workflow_id,
                "alertrule.add",
                "added",
                definition.name,
            )
        }
        WorkflowEvent::WorkflowUpdated {
            workflow_id,
            org_id,
            definition,
        } => {
            names::remember_workflow(conn, workflow_id, &definition.name).await?;
            (
                org_id,
                workflow_id,
                "alertrule.edit",
                "edited",
                definition.name,
            )
        }
        WorkflowEvent::WorkflowDeleted {
            workflow_id,
            org_id,
        } => {
            let name = names::workflow_name(conn, workflow_id).await?;
            (org_id, workflow_id, "alertrule.remove", "removed", name)
        }
    };
    Ok(Some(Entry {
        org_id,
        event,
        note: format!("{verb} alert rule \"{name}\""),
        target_object: Some(workflow_id),
        target_user_id: None,
        data: json!({"id": workflow_id, "name": name}),
    }))
}

/// Rows name the hook by its URL; its secret never enters them.
pub async fn service_hook(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    let (hook_id, project_id, event, verb, url) = match event.decode::<ServiceHookEvent>()? {
        ServiceHookEvent::ServiceHookCreated {
            hook_id,
            project_id,
            url,
            ..
        } => {
            names::remember_service_hook(conn, &hook_id, &url).await?;
            (hook_id, project_id, "servicehook.add", "added", url)
        }
        ServiceHookEvent::ServiceHookUpdated {
            hook_id,
            project_id,
            url,
            ..
        } => {
            names::remember_service_hook(conn, &hook_id, &url).await?;
            (hook_id, project_id, "servicehook.edit", "edited", url)
        }
        ServiceHookEvent::ServiceHookDeleted {
            hook_id,
            project_id,
            ..
        } => {
            let url = names::service_hook_url(conn, &hook_id).await?;
            (hook_id, project_id, "servicehook.remove", "removed", url)
        }
    };
    let (org_id, project_slug) = names::project(conn, project_id).await?;
    Ok(Some(Entry {
        org_id,
        event,
        note: format!("{verb} a service hook for \"{url}\" in project {project_slug}"),
        target_object: None,
        target_user_id: None,
        data: json!({"id": hook_id, "url": url, "project_id": project_id,
                     "project_slug": project_slug}),
    }))
}
