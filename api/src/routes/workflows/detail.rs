//! `GET|PUT|DELETE /api/0/organizations/{org}/workflows/{workflow_id}/`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use super::body::WorkflowBody;
use super::render::workflow_json;
use super::{check_detectors, delete, resolve_workflow, save};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::resolve::{ALERTS_READ, ALERTS_WRITE};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/workflows/{workflow_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("workflow_id" = String, Path, description = "Workflow id")),
    responses((status = 200, description = "The workflow", body = crate::openapi::Workflow))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, workflow_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let workflow = resolve_workflow(&state, &access, &workflow_id).await?;
    access.require(&ALERTS_READ)?;
    Ok(Json(workflow_json(&workflow)))
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/workflows/{workflow_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("workflow_id" = String, Path, description = "Workflow id")),
    request_body = WorkflowBody,
    responses((status = 200, description = "The updated workflow", body = crate::openapi::Workflow))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, workflow_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<WorkflowBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let workflow = resolve_workflow(&state, &access, &workflow_id).await?;
    access.require(&ALERTS_WRITE)?;
    let definition = body.definition(Some(&workflow.definition.0))?;
    check_detectors(&state, &access, &definition).await?;
    save(&state, &access, workflow.id, definition).await?;
    let workflow = resolve_workflow(&state, &access, &workflow_id).await?;
    Ok(Json(workflow_json(&workflow)))
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/workflows/{workflow_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("workflow_id" = String, Path, description = "Workflow id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, workflow_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let workflow = resolve_workflow(&state, &access, &workflow_id).await?;
    access.require(&ALERTS_WRITE)?;
    delete(&state, &access, workflow.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
