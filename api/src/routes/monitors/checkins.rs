//! A monitor's check-ins, newest first: `GET .../monitors/{monitor}/checkins/` under
//! the organization and under the project.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use faultline_projections::monitors::queries;

use super::resolve_monitor;
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::pagination::{paged, PageParams};
use crate::params::query_values;
use crate::render::monitor::check_in_json;
use crate::resolve::{resolve_org_project, PROJECT_READ};
use crate::state::AppState;

async fn check_ins(
    state: &AppState,
    access: &OrgAccess,
    project_id: Option<i64>,
    monitor: &str,
    uri: &axum::http::Uri,
    params: PageParams,
) -> Result<impl IntoResponse, ApiError> {
    let monitor = resolve_monitor(state, access, project_id, monitor).await?;
    access.require(&PROJECT_READ)?;
    let page = params.page()?;
    let environments = query_values(uri, "environment");
    let found = queries::check_ins(
        &state.pool,
        monitor.org_id,
        monitor.monitor_id,
        &environments,
        page,
    )
    .await?;
    Ok(paged(&state.public_url, uri, page, &found, check_in_json))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/monitors/{monitor}/checkins/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id"), PageParams, ("environment" = Option<Vec<String>>, Query, description = "Environments (repeat)")),
    responses((status = 200, description = "The monitor's check-ins, newest first", body = Vec<crate::openapi::MonitorCheckIn>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn org_check_ins(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, monitor)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    check_ins(&state, &access, None, &monitor, &uri, params).await
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/monitors/{monitor}/checkins/",
    tag = "crons",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("monitor" = String, Path, description = "Monitor slug or id"), PageParams, ("environment" = Option<Vec<String>>, Query, description = "Environments (repeat)")),
    responses((status = 200, description = "The monitor's check-ins, newest first", body = Vec<crate::openapi::MonitorCheckIn>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn project_check_ins(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, monitor)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    check_ins(&state, &access, Some(project.id), &monitor, &uri, params).await
}
