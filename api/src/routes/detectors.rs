//! `/api/0/organizations/{org}/detectors/` and `.../detectors/{detector_id}/`:
//! Sentry's detectors (monitors). Faultline has one kind: each project's error
//! detector, whose id is the project's id; workflows attach to it through their
//! `detectorIds`. It cannot be created, changed or deleted on its own: `PUT` and
//! `DELETE` answer 400 saying so.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use faultline_projections::accounts::queries::Page;
use faultline_projections::alerts::queries::{self, DetectorRow};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::date;
use crate::pagination::{paged, PageParams};
use crate::params::{id_filter, project_ids_or_slugs};
use crate::resolve::{ALERTS_READ, ALERTS_WRITE};
use crate::state::AppState;

/// The detector routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail, update, remove))
}

/// What a `PUT` or `DELETE` of a detector is told.
const FIXED: &str = "The error detector of a project cannot be changed or deleted: \
    it exists as long as its project. Attach or detach workflows through their detectorIds.";

/// A project's error detector as Sentry shows a detector.
fn detector_json(row: &DetectorRow) -> Value {
    let id = row.project_id.to_string();
    json!({
        "id": id,
        "projectId": id,
        "name": "Error Detector",
        "type": "error",
        "workflowIds": row.workflow_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        "owner": null,
        "createdBy": null,
        "dateCreated": date(row.date_created),
        "dateUpdated": date(row.date_created),
        "dataSources": null,
        "conditionGroup": null,
        "config": {},
        "enabled": true,
        "latestGroup": null,
    })
}

/// Detector `id` of the caller's organization, or 404.
async fn resolve_detector(
    state: &AppState,
    access: &OrgAccess,
    id: &str,
) -> Result<DetectorRow, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let one = Page {
        limit: 1,
        offset: 0,
    };
    let found = queries::detectors(&state.pool, access.org.id, None, &[id], one).await?;
    found.rows.into_iter().next().ok_or(ApiError::NotFound)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/detectors/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = Option<Vec<String>>, Query, description = "Project ids or slugs (repeat); -1: every project"), ("id" = Option<Vec<i64>>, Query, description = "Detector ids (repeat)"), PageParams),
    responses((status = 200, description = "The error detector of each project", body = Vec<crate::openapi::Detector>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&ALERTS_READ)?;
    let page = page.page()?;
    let projects = project_ids_or_slugs(&uri);
    let ids = id_filter(&uri)?;
    let found =
        queries::detectors(&state.pool, access.org.id, projects.as_ref(), &ids, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, detector_json))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/detectors/{detector_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("detector_id" = String, Path, description = "Detector id (the project's id)")),
    responses((status = 200, description = "The project's error detector", body = crate::openapi::Detector))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, detector_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let detector = resolve_detector(&state, &access, &detector_id).await?;
    access.require(&ALERTS_READ)?;
    Ok(Json(detector_json(&detector)))
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/detectors/{detector_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("detector_id" = String, Path, description = "Detector id (the project's id)")),
    responses((status = 400, description = "Always: the error detector of a project cannot be changed", body = crate::openapi::ErrorDetail))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, detector_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    refuse(&state, caller, &org, &detector_id).await
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/detectors/{detector_id}/",
    tag = "alerts",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("detector_id" = String, Path, description = "Detector id (the project's id)")),
    responses((status = 400, description = "Always: the error detector of a project cannot be deleted", body = crate::openapi::ErrorDetail))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, detector_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    refuse(&state, caller, &org, &detector_id).await
}

/// 404 for a detector the caller cannot see, 403 without the scope to write, else
/// the 400 that explains why an error detector stays as it is.
async fn refuse(
    state: &AppState,
    caller: Caller,
    org: &str,
    detector_id: &str,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(state, caller, org).await?;
    resolve_detector(state, &access, detector_id).await?;
    access.require(&ALERTS_WRITE)?;
    Err(ApiError::BadRequest(FIXED.into()))
}
