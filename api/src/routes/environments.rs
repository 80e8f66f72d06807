//! `/api/0/organizations/{org}/environments/`, `/api/0/projects/{org}/{project}/environments/`
//! (list, bulk hide or show) and `.../environments/{environment}/` (read, hide or
//! show): the environments the organization's events and deploys named.

use axum::extract::{Path, Query, State};
use axum::Json;
use faultline_domain::project::{Project, ProjectCommand};
use faultline_projections::environments::{self, EnvironmentRow};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::JsonBody;
use crate::resolve::{resolve_org_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;

/// The environment routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_in_org))
        .routes(routes!(list_in_project, hide_many))
        .routes(routes!(detail, hide_one))
}

/// Which environments a list shows.
#[derive(Debug, Deserialize, IntoParams)]
struct VisibilityParams {
    /// `visible` (the default), `hidden` or `all`.
    visibility: Option<String>,
}

impl VisibilityParams {
    fn keeps(&self, row: &EnvironmentRow) -> Result<bool, ApiError> {
        match self.visibility.as_deref().unwrap_or("visible") {
            "visible" => Ok(!row.is_hidden),
            "hidden" => Ok(row.is_hidden),
            "all" => Ok(true),
            other => Err(ApiError::BadRequest(format!("Invalid value for 'visibility', valid values are: 'all', 'hidden', 'visible'. Got {other}."))),
        }
    }

    fn filter(&self, rows: Vec<EnvironmentRow>) -> Result<Vec<EnvironmentRow>, ApiError> {
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            if self.keeps(&row)? {
                kept.push(row);
            }
        }
        Ok(kept)
    }
}

fn project_environment_json(row: &EnvironmentRow) -> Value {
    json!({"id": row.id.to_string(), "name": row.name, "isHidden": row.is_hidden})
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/environments/",
    tag = "environments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), VisibilityParams),
    responses((status = 200, description = "The environments the organization's events and deploys named; hidden ones are hidden in every project that names them", body = Vec<Object>))
)]
async fn list_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(params): Query<VisibilityParams>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&PROJECT_READ)?;
    let rows = params.filter(environments::of_organization(&state.pool, access.org.id).await?)?;
    Ok(Json(json!(rows
        .iter()
        .map(|row| json!({"id": row.id.to_string(), "name": row.name}))
        .collect::<Vec<_>>())))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/environments/",
    tag = "environments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), VisibilityParams),
    responses((status = 200, description = "The project's environments", body = Vec<Object>))
)]
async fn list_in_project(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    Query(params): Query<VisibilityParams>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_READ)?;
    let rows =
        params.filter(environments::of_project(&state.pool, access.org.id, project.id).await?)?;
    Ok(Json(json!(rows
        .iter()
        .map(project_environment_json)
        .collect::<Vec<_>>())))
}

/// Hide or show several environments.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = EnvironmentsHide)]
#[serde(rename_all = "camelCase")]
struct HideManyBody {
    /// The environments (at most 1000).
    environment_names: Option<Vec<String>>,
    /// Hide (`true`) or show.
    is_hidden: Option<bool>,
}

/// Hide or show one environment.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = EnvironmentHide)]
#[serde(rename_all = "camelCase")]
struct HideOneBody {
    /// Hide (`true`) or show.
    is_hidden: Option<bool>,
}

/// Hides or shows `names` of `project`, each of which must be one of its
/// environments (404 otherwise); returns the project's environments after.
async fn set_hidden(
    state: &AppState,
    access: &OrgAccess,
    project_id: i64,
    names: Vec<String>,
    hidden: bool,
) -> Result<Vec<EnvironmentRow>, ApiError> {
    let org_id = access.org.id;
    let known = environments::of_project(&state.pool, org_id, project_id).await?;
    if names
        .iter()
        .any(|name| !known.iter().any(|row| row.name == *name))
    {
        return Err(ApiError::NotFound);
    }
    state
        .execute_in::<Project>(
            access.org.id,
            &project_id.to_string(),
            ProjectCommand::SetEnvironmentsHidden {
                names,
                hidden,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    Ok(environments::of_project(&state.pool, org_id, project_id).await?)
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/environments/",
    tag = "environments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    request_body = HideManyBody,
    responses((status = 200, description = "The changed environments", body = Vec<Object>))
)]
async fn hide_many(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(body): JsonBody<HideManyBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_WRITE)?;
    let mut errors = FieldErrors::default();
    let names = body.environment_names.unwrap_or_default();
    if names.is_empty() || names.len() > 1000 {
        errors.add("environmentNames", "Give 1 to 1000 environment names.");
    }
    if body.is_hidden.is_none() {
        errors.add("isHidden", "This field is required.");
    }
    errors.finish()?;
    let hidden = body.is_hidden.unwrap_or_default();
    let rows = set_hidden(&state, &access, project.id, names.clone(), hidden).await?;
    Ok(Json(json!(rows
        .iter()
        .filter(|row| names.contains(&row.name))
        .map(project_environment_json)
        .collect::<Vec<_>>())))
}

async fn one(
    state: &AppState,
    org_id: i64,
    project_id: i64,
    name: &str,
) -> Result<EnvironmentRow, ApiError> {
    environments::of_project(&state.pool, org_id, project_id)
        .await?
        .into_iter()
        .find(|row| row.name == name)
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/environments/{environment}/",
    tag = "environments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("environment" = String, Path, description = "The environment's name")),
    responses((status = 200, description = "The environment", body = Object))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, environment)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_READ)?;
    let row = one(&state, access.org.id, project.id, &environment).await?;
    Ok(Json(project_environment_json(&row)))
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/environments/{environment}/",
    tag = "environments",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("environment" = String, Path, description = "The environment's name")),
    request_body = HideOneBody,
    responses((status = 200, description = "The environment, hidden or shown", body = Object))
)]
async fn hide_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, environment)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<HideOneBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_WRITE)?;
    let Some(hidden) = body.is_hidden else {
        return Err(crate::fields::field_error(
            "isHidden",
            "This field is required.",
        ));
    };
    let rows = set_hidden(
        &state,
        &access,
        project.id,
        vec![environment.clone()],
        hidden,
    )
    .await?;
    let row = rows
        .into_iter()
        .find(|row| row.name == environment)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(project_environment_json(&row)))
}
