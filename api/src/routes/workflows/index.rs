//! `/api/0/organizations/{org}/workflows/`: the list (`?project=`, `?id=`,
//! `?query=`, `?sortBy=`), creation, and the bulk `PUT` (`{"enabled": bool}`) and
//! `DELETE` of the workflows those filters select.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::alert::{Workflow, WorkflowCommand};
use faultline_projections::alerts::queries::{self, WorkflowFilter, WorkflowSort};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::body::WorkflowBody;
use super::render::workflow_json;
use super::{check_detectors, delete, fresh_secrets, save};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::field_error;
use crate::json::JsonBody;
use crate::pagination::{paged, PageParams};
use crate::params::{id_filter, project_ids_or_slugs, query_values};
use crate::resolve::{ALERTS_READ, ALERTS_WRITE};
use crate::state::AppState;

/// The order of the list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `id` (default), `name`, `dateCreated`, `dateUpdated`, `connectedDetectors` or
    /// `actions`; a leading `-` sorts descending.
    #[serde(rename = "sortBy")]
    sort_by: Option<String>,
}

/// The workflows `?id=`, `?project=` (ids or slugs; `-1`: all) and `?query=` (a
/// substring of the name, any case) select; no filter selects every one.
fn selection(uri: &Uri) -> Result<WorkflowFilter, ApiError> {
    let query = query_values(uri, "query").into_iter().next();
    Ok(WorkflowFilter {
        ids: id_filter(uri)?,
        projects: project_ids_or_slugs(uri),
        name_contains: query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
    })
}

/// The selection of a bulk change, which must name some workflows: a bulk change
/// of every workflow by accident is refused.
fn bulk_selection(uri: &Uri) -> Result<WorkflowFilter, ApiError> {
    let filter = selection(uri)?;
    if filter.ids.is_empty() && filter.projects.is_none() && filter.name_contains.is_none() {
        return Err(ApiError::BadRequest(
            "At least one of id, project or query is required.".into(),
        ));
    }
    Ok(filter)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/workflows/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ListParams, ("query" = Option<String>, Query, description = "A substring of the name, any case"), ("id" = Option<Vec<i64>>, Query, description = "Workflow ids (repeat)"), ("project" = Option<Vec<String>>, Query, description = "Project ids or slugs (repeat); -1: every project"), PageParams),
    responses((status = 200, description = "The organization's workflows", body = Vec<crate::openapi::Workflow>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<ListParams>,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&ALERTS_READ)?;
    let sort = match params.sort_by.as_deref() {
        None | Some("") => (WorkflowSort::Id, false),
        Some(sort_by) => WorkflowSort::parse(sort_by)
            .ok_or_else(|| ApiError::BadRequest("Invalid sortBy parameter.".into()))?,
    };
    let page = page.page()?;
    let found =
        queries::workflows(&state.pool, access.org.id, &selection(&uri)?, sort, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, workflow_json))
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/workflows/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = WorkflowBody,
    responses((status = 201, description = "Created", body = crate::openapi::Workflow))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<WorkflowBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&ALERTS_WRITE)?;
    let definition = body.definition(None)?;
    check_detectors(&state, &access, &definition).await?;
    let workflow_id = next_id(&state.pool, IdKind::Workflow).await?;
    let secrets = fresh_secrets(&definition);
    state
        .execute_in::<Workflow>(
            access.org.id,
            &workflow_id.to_string(),
            WorkflowCommand::CreateWorkflow {
                workflow_id,
                org_id: access.org.id,
                definition,
                created_by: access.caller.user_id(),
                secrets,
            },
            &access.caller.metadata(),
        )
        .await?;
    let workflow = queries::workflow(&state.pool, access.org.id, workflow_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(workflow_json(&workflow))))
}

/// The body of the bulk `PUT`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = WorkflowsEnable)]
pub struct EnableBody {
    /// Enable or disable every selected workflow.
    #[schema(value_type = bool)]
    enabled: Option<Value>,
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/workflows/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("query" = Option<String>, Query, description = "A substring of the name, any case"), ("id" = Option<Vec<i64>>, Query, description = "Workflow ids (repeat)"), ("project" = Option<Vec<String>>, Query, description = "Project ids or slugs (repeat); -1: every project")),
    request_body = EnableBody,
    responses((status = 200, description = "The selected workflows, changed", body = Vec<crate::openapi::Workflow>))
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody<EnableBody>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&ALERTS_WRITE)?;
    let filter = bulk_selection(&uri)?;
    let enabled = match body.enabled {
        Some(Value::Bool(enabled)) => enabled,
        Some(_) => return Err(field_error("enabled", "Must be a valid boolean.")),
        None => return Err(field_error("enabled", "This field is required.")),
    };
    for workflow in queries::all_workflows(&state.pool, access.org.id, &filter).await? {
        let mut definition = workflow.definition.0;
        definition.enabled = enabled;
        save(&state, &access, workflow.id, definition).await?;
    }
    let changed = queries::all_workflows(&state.pool, access.org.id, &filter).await?;
    Ok(Json(changed.iter().map(workflow_json).collect()))
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/workflows/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("query" = Option<String>, Query, description = "A substring of the name, any case"), ("id" = Option<Vec<i64>>, Query, description = "Workflow ids (repeat)"), ("project" = Option<Vec<String>>, Query, description = "Project ids or slugs (repeat); -1: every project")),
    responses((status = 204, description = "The selected workflows are deleted"))
)]
pub async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&ALERTS_WRITE)?;
    let filter = bulk_selection(&uri)?;
    for workflow in queries::all_workflows(&state.pool, access.org.id, &filter).await? {
        delete(&state, &access, workflow.id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
