//! Workflow and service hook events as audit rows (`alertrule.*`, `servicehook.*`).

use faultline_domain::alert::WorkflowEvent;
use faultline_domain::service_hook::ServiceHookEvent;
use serde_json::json;
use sqlx::PgConnection;

use super::{names, Entry};
use crate::{ProjectionError, StoredEvent};

type Result<T> = std::result::Result<T, ProjectionError>;

pub async fn workflow(conn: &mut PgConnection, event: &StoredEvent) -> Result<Option<Entry>> {
    use WorkflowEvent::*;
    let (org_id, workflow_id, name, event, verb) = match event.decode::<WorkflowEvent>()? {
        WorkflowCreated {
            workflow_id,
            org_id,
            definition,
            ..
        } => (
            org_id,
            workflow_id,
            Some(definition.name),
            "alertrule.add",
            "added",
        ),
        WorkflowUpdated {
            workflow_id,
            org_id,
            definition,
        } => (
            org_id,
            workflow_id,
            Some(definition.name),
            "alertrule.edit",
            "edited",
        ),
        WorkflowDeleted {
            workflow_id,
            org_id,
        } => (org_id, workflow_id, None, "alertrule.remove", "removed"),
    };
    let name = names::workflow_name(conn, workflow_id, name).await?;
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
    use ServiceHookEvent::*;
    let (hook_id, project_id, url, event, verb) = match event.decode::<ServiceHookEvent>()? {
        ServiceHookCreated {
            hook_id,
            project_id,
            url,
            ..
        } => (hook_id, project_id, Some(url), "servicehook.add", "added"),
        ServiceHookUpdated {
            hook_id,
            project_id,
            url,
            ..
        } => (hook_id, project_id, Some(url), "servicehook.edit", "edited"),
        ServiceHookDeleted {
            hook_id,
            project_id,
            ..
        } => (hook_id, project_id, None, "servicehook.remove", "removed"),
    };
    let url = names::service_hook_url(conn, &hook_id, url).await?;
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
