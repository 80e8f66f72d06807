//! `GET` and `DELETE /api/0/projects/{org}/{project}/files/artifact-bundles/`: the
//! project's bundles as Sentry's source map settings list them, and deletion by
//! `bundleId`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use faultline_domain::artifact_bundle::{
    stream_id, ArtifactBundle, ArtifactBundleCommand, DeleteReason,
};
use faultline_projections::artifact_bundles::queries::{self, BundleRow};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use super::{DELETE, READ};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::date;
use crate::pagination::{paged, PageParams};
use crate::resolve::resolve_org_project;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Matches a bundle id, release or dist.
    query: Option<String>,
    cursor: Option<String>,
    per_page: Option<i64>,
}

fn bundle_json(row: &BundleRow) -> Value {
    let associations = match &row.release {
        Some(release) => json!([{"release": release, "dist": row.dist}]),
        None => json!([]),
    };
    json!({
        "bundleId": row.bundle_id,
        "associations": associations,
        "fileCount": row.file_count,
        "date": date(row.date_uploaded),
        "dateModified": date(row.date_modified),
    })
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/files/artifact-bundles/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ListParams),
    responses(
        (status = 200, description = "The project's bundles, newest first"),
        (status = 404, description = "No such project", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path((org, project)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&READ)?;
    let page = PageParams {
        cursor: params.cursor,
        limit: None,
        per_page: params.per_page,
    }
    .page()?;
    let query = params.query.filter(|q| !q.is_empty());
    let found = queries::list(
        &state.pool,
        access.org.id,
        project.id,
        query.as_deref(),
        page,
    )
    .await?;
    Ok(paged(&state.public_url, &uri, page, &found, bundle_json))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeleteParams {
    /// The bundle to delete.
    #[serde(rename = "bundleId")]
    bundle_id: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/files/artifact-bundles/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), DeleteParams),
    responses(
        (status = 204, description = "Deleted: its files resolve no more frames"),
        (status = 400, description = "No bundleId", body = crate::openapi::ErrorDetail),
        (status = 404, description = "No such bundle in the project", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    Query(params): Query<DeleteParams>,
) -> Result<StatusCode, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&DELETE)?;
    let bundle_id = params
        .bundle_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::BadRequest("You need to specify a bundleId".into()))?;
    let checksums =
        queries::checksums_of(&state.pool, access.org.id, project.id, &bundle_id).await?;
    if checksums.is_empty() {
        return Err(ApiError::NotFound);
    }
    for checksum in checksums {
        state
            .execute::<ArtifactBundle>(
                &stream_id(access.org.id, &checksum),
                ArtifactBundleCommand::Delete {
                    reason: DeleteReason::User,
                    at: Utc::now(),
                },
                &access.caller.metadata(),
            )
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
