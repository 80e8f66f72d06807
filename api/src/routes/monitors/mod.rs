//! Sentry's Crons API: `/api/0/organizations/{org}/monitors/` (list, create),
//! `.../monitors/{monitor}/` (detail, update, delete) and `.../checkins/`, and the
//! same for one project under `/api/0/projects/{org}/{project}/monitors/{monitor}/`.
//! A monitor is named by slug or id; another organization's (or, on the project
//! paths, another project's) is a 404.

mod body;
mod checkins;
mod detail;

use std::collections::HashMap;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use faultline_domain::monitor::{self as domain, Monitor, MonitorCommand, NewMonitor};
use faultline_projections::accounts::queries::{members, teams};
use faultline_projections::monitors::queries::{self, MonitorRow};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::pagination::{link_header, PageParams};
use crate::params::{project_filter, query_values};
use crate::render::monitor::monitor_json;
use crate::render::project::project_json;
use crate::resolve::{resolve_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;
use body::MonitorBody;

/// The monitor routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(
            detail::org_detail,
            detail::org_update,
            detail::org_remove
        ))
        .routes(routes!(
            detail::project_detail,
            detail::project_update,
            detail::project_remove
        ))
        .routes(routes!(checkins::org_check_ins))
        .routes(routes!(checkins::project_check_ins))
}

/// Monitor `slug_or_id` of the organization (and of `project_id`, when given), or 404.
async fn resolve_monitor(
    state: &AppState,
    access: &OrgAccess,
    project_id: Option<i64>,
    slug_or_id: &str,
) -> Result<MonitorRow, ApiError> {
    queries::by_slug_or_id(&state.pool, access.org.id, slug_or_id)
        .await?
        .filter(|monitor| project_id.is_none_or(|id| id == monitor.project_id))
        .ok_or(ApiError::NotFound)
}

/// `user:<id>` (a member) or `team:<id>` (a team) of the organization, as Sentry
/// shows an owner; `None` if it names neither.
async fn owner_json(
    state: &AppState,
    access: &OrgAccess,
    owner: &str,
) -> Result<Option<Value>, ApiError> {
    let Some((kind, id)) = owner.split_once(':') else {
        return Ok(None);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    Ok(match kind {
        "user" => members::of_user(&state.pool, access.org.id, id)
            .await?
            .map(|m| {
                let name = if m.name.is_empty() { &m.email } else { &m.name };
                json!({ "type": "user", "id": id.to_string(), "name": name, "email": m.email })
            }),
        "team" => teams::by_id(&state.pool, access.org.id, access.caller.user_id(), id)
            .await?
            .map(|t| json!({ "type": "team", "id": id.to_string(), "name": t.slug })),
        _ => None,
    })
}

/// The monitors as Sentry lists them, each with its project, environments and owner.
async fn monitors_json(
    state: &AppState,
    access: &OrgAccess,
    monitors: &[MonitorRow],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<Uuid> = monitors.iter().map(|m| m.monitor_id).collect();
    let environments = queries::environments(&state.pool, access.org.id, &ids).await?;
    let mut projects: HashMap<i64, Value> = HashMap::new();
    let mut out = Vec::with_capacity(monitors.len());
    for monitor in monitors {
        if let std::collections::hash_map::Entry::Vacant(slot) = projects.entry(monitor.project_id)
        {
            let row = resolve_project(state, access, &monitor.project_id.to_string()).await?;
            slot.insert(project_json(&row, &access.scopes));
        }
        let owner = match &monitor.owner {
            Some(owner) => owner_json(state, access, owner).await?,
            None => None,
        };
        let envs: Vec<_> = environments
            .iter()
            .filter(|env| env.monitor_id == monitor.monitor_id)
            .collect();
        out.push(monitor_json(
            monitor,
            projects[&monitor.project_id].clone(),
            &envs,
            owner.unwrap_or(Value::Null),
        ));
    }
    Ok(out)
}

/// Checks an owner a body names: a member or a team of the organization.
async fn checked_owner(
    state: &AppState,
    access: &OrgAccess,
    owner: Option<Option<String>>,
    errors: &mut FieldErrors,
) -> Result<Option<Option<String>>, ApiError> {
    match owner {
        Some(Some(owner)) if owner_json(state, access, &owner).await?.is_none() => {
            errors.add("owner", "Could not resolve owner.");
            Ok(None)
        }
        other => Ok(other),
    }
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/monitors/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), PageParams, ("project" = Option<Vec<i64>>, Query, description = "Project ids (repeat)"), ("environment" = Option<Vec<String>>, Query, description = "Environments (repeat)")),
    responses((status = 200, description = "The organization's monitors, by name", body = Vec<crate::openapi::Monitor>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&PROJECT_READ)?;
    let page = params.page()?;
    let projects = project_filter(&uri)?.unwrap_or_default();
    let environments = query_values(&uri, "environment");
    let found = queries::list(&state.pool, access.org.id, &projects, &environments, page).await?;
    let body = monitors_json(&state, &access, &found.rows).await?;
    Ok((
        link_header(&state.public_url, &uri, page, found.has_more),
        Json(body),
    ))
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/monitors/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = MonitorBody,
    responses((status = 201, description = "Created", body = crate::openapi::Monitor))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    crate::json::JsonBody(body): crate::json::JsonBody<MonitorBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&PROJECT_WRITE)?;
    let mut errors = FieldErrors::default();
    let project = match body.project.as_deref() {
        Some(project) => Some(resolve_project(&state, &access, project).await.map_err(
            |error| match error {
                ApiError::NotFound => {
                    ApiError::BadRequest("Invalid project: not in this organization.".into())
                }
                other => other,
            },
        )?),
        None => {
            errors.add("project", "This field is required.");
            None
        }
    };
    let name = body.name.clone().unwrap_or_default();
    if body.name.is_none() {
        errors.add("name", "This field is required.");
    }
    let slug = domain::slugify(body.slug.as_deref().unwrap_or(&name));
    if slug.is_empty() && body.name.is_some() {
        errors.add("slug", "Enter a valid slug.");
    }
    if body.config.is_none() {
        errors.add("config", "This field is required.");
    }
    let config = body.config(&mut errors);
    let status = body.status(&mut errors);
    let owner = checked_owner(&state, &access, body.owner.clone(), &mut errors).await?;
    errors.finish()?;
    let (Some(project), Some(config)) = (project, config) else {
        return Err(ApiError::BadRequest("Invalid monitor.".into()));
    };
    state
        .execute::<Monitor>(
            &domain::stream_id(access.org.id, &slug),
            MonitorCommand::Create {
                monitor: NewMonitor {
                    monitor_id: Uuid::new_v4(),
                    org_id: access.org.id,
                    project_id: project.id,
                    slug: slug.clone(),
                    name,
                    config,
                    owner: owner.flatten(),
                    status: status.unwrap_or_default(),
                    muted: body.muted().unwrap_or(false),
                },
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let monitor = resolve_monitor(&state, &access, None, &slug).await?;
    let body = monitors_json(&state, &access, std::slice::from_ref(&monitor)).await?;
    Ok((
        StatusCode::CREATED,
        Json(body.into_iter().next().unwrap_or_default()),
    ))
}
