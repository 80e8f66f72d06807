//! A release's deploys.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::release::{stream_id, NewDeploy, Release, ReleaseCommand};
use faultline_projections::releases::queries;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{release_access, time_field, RELEASE_READ, RELEASE_WRITE};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::JsonBody;
use crate::render::release::deploy_json;
use crate::state::AppState;

/// A deploy to record.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = DeployWrite)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeployBody {
    /// The environment deployed to.
    environment: Option<String>,
    /// A name for the deploy.
    name: Option<String>,
    /// A URL for the deploy.
    url: Option<String>,
    /// When it started (RFC 3339).
    date_started: Option<String>,
    /// When it finished (RFC 3339; now by default).
    date_finished: Option<String>,
    /// Project slugs (the release's projects by default).
    projects: Option<Vec<String>>,
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/releases/{version}/deploys/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    responses((status = 200, description = "The release's deploys, latest first", body = Vec<crate::openapi::Deploy>))
)]
pub(super) async fn list_deploys(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_READ).await?;
    let deploys = queries::deploys(&state.pool, access.org.id, release.id).await?;
    Ok(Json(json!(deploys
        .iter()
        .map(deploy_json)
        .collect::<Vec<_>>())))
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/releases/{version}/deploys/",
    tag = "releases",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("version" = String, Path, description = "The version, percent-encoded")),
    request_body = DeployBody,
    responses((status = 201, description = "Recorded", body = crate::openapi::Deploy))
)]
pub(super) async fn create_deploy(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<DeployBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, release) = release_access(&state, caller, &org, &version, &RELEASE_WRITE).await?;
    let mut errors = FieldErrors::default();
    let environment = body.environment.unwrap_or_default();
    if environment.is_empty() {
        errors.add("environment", "This field is required.");
    }
    let date_started = time_field(&mut errors, "dateStarted", Some(body.date_started)).flatten();
    let date_finished = time_field(&mut errors, "dateFinished", Some(body.date_finished))
        .flatten()
        .unwrap_or_else(Utc::now);
    let names = body.projects.unwrap_or_default();
    let found = queries::projects_named(&state.pool, access.org.id, &names).await?;
    if found.len() < names.len() {
        errors.add("projects", "Invalid project ids or slugs");
    }
    errors.finish()?;
    let deploy_id = next_id(&state.pool, IdKind::Deploy).await?;
    state
        .execute::<Release>(
            &stream_id(access.org.id, &release.version),
            ReleaseCommand::CreateDeploy {
                deploy: NewDeploy {
                    deploy_id,
                    environment,
                    name: body.name,
                    url: body.url,
                    date_started,
                    date_finished,
                    project_ids: found.into_iter().map(|(_, id)| id).collect(),
                },
                at: Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let deploy = queries::deploy(&state.pool, access.org.id, release.id, deploy_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(deploy_json(&deploy))))
}
