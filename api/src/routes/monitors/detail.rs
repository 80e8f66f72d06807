//! One monitor: `GET`, `PUT` and `DELETE` on
//! `/api/0/organizations/{org}/monitors/{monitor}/` and on
//! `/api/0/projects/{org}/{project}/monitors/{monitor}/`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use faultline_domain::monitor::{Monitor, MonitorChanges, MonitorCommand};
use serde_json::Value;

use super::body::MonitorBody;
use super::{checked_owner, monitors_json, resolve_monitor};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::JsonBody;
use crate::resolve::{resolve_org_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;

async fn show(
    state: &AppState,
    access: &OrgAccess,
    project_id: Option<i64>,
    monitor: &str,
) -> Result<Json<Value>, ApiError> {
    let monitor = resolve_monitor(state, access, project_id, monitor).await?;
    access.require(&PROJECT_READ)?;
    let body = monitors_json(state, access, std::slice::from_ref(&monitor)).await?;
    Ok(Json(body.into_iter().next().unwrap_or_default()))
}

async fn change(
    state: &AppState,
    access: &OrgAccess,
    project_id: Option<i64>,
    monitor: &str,
    body: MonitorBody,
) -> Result<Json<Value>, ApiError> {
    let row = resolve_monitor(state, access, project_id, monitor).await?;
    access.require(&PROJECT_WRITE)?;
    let mut errors = FieldErrors::default();
    if body.slug.as_deref().is_some_and(|slug| slug != row.slug) {
        errors.add("slug", "A monitor's slug cannot be changed here.");
    }
    if body
        .project
        .as_deref()
        .is_some_and(|p| p != row.project_id.to_string())
    {
        errors.add("project", "A monitor cannot move to another project.");
    }
    let changes = MonitorChanges {
        name: body.name.clone(),
        config: body.config(&mut errors),
        status: body.status(&mut errors),
        muted: body.muted(),
        owner: checked_owner(state, access, body.owner.clone(), &mut errors).await?,
    };
    errors.finish()?;
    state
        .execute::<Monitor>(
            &row.stream_id,
            MonitorCommand::Update {
                changes,
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    show(state, access, project_id, &row.monitor_id.to_string()).await
}

async fn delete(
    state: &AppState,
    access: &OrgAccess,
    project_id: Option<i64>,
    monitor: &str,
) -> Result<StatusCode, ApiError> {
    let row = resolve_monitor(state, access, project_id, monitor).await?;
    access.require(&PROJECT_WRITE)?;
    state
        .execute::<Monitor>(
            &row.stream_id,
            MonitorCommand::Delete { at: Utc::now() },
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    responses((status = 200, description = "The monitor", body = crate::openapi::Monitor))
)]
pub(super) async fn org_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, monitor)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    show(&state, &access, None, &monitor).await
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    request_body = MonitorBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Monitor))
)]
pub(super) async fn org_update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, monitor)): Path<(String, String)>,
    JsonBody(body): JsonBody<MonitorBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    change(&state, &access, None, &monitor, body).await
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    responses((status = 202, description = "Deleted"))
)]
pub(super) async fn org_remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, monitor)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    delete(&state, &access, None, &monitor).await
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    responses((status = 200, description = "The monitor", body = crate::openapi::Monitor))
)]
pub(super) async fn project_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, monitor)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    show(&state, &access, Some(project.id), &monitor).await
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    request_body = MonitorBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Monitor))
)]
pub(super) async fn project_update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, monitor)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<MonitorBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    change(&state, &access, Some(project.id), &monitor, body).await
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/monitors/{monitor}/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id")),
    responses((status = 202, description = "Deleted"))
)]
pub(super) async fn project_remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, monitor)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    delete(&state, &access, Some(project.id), &monitor).await
}
