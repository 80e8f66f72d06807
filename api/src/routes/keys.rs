//! `/api/0/projects/{org}/{project}/keys/` and `.../keys/{key_id}/` (client keys, DSNs).

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_domain::project::{Project, ProjectCommand, RateLimit};
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::keys;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::fields::nullable;
use crate::json::JsonBody;
use crate::key_ops::{create_key, resolve_key, update_key};
use crate::pagination::{paged, PageParams};
use crate::render::key::key_json;
use crate::resolve::{resolve_org_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The client key routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/keys/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), crate::pagination::PageParams),
    responses((status = 200, description = "Client keys of the project", body = Vec<crate::openapi::ClientKey>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_READ)?;
    let page = params.page()?;
    let found = keys::list(&state.pool, access.org.id, project.id, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, |key| {
        key_json(&state.public_url, key)
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ClientKeyCreate)]
struct CreateBody {
    name: Option<String>,
    #[serde(rename = "rateLimit")]
    #[schema(value_type = Option<crate::openapi::RateLimit>)]
    rate_limit: Option<RateLimit>,
}

#[utoipa::path(
    post,
    path = "/api/0/projects/{org}/{project}/keys/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    request_body = CreateBody,
    responses((status = 201, description = "Created", body = crate::openapi::ClientKey))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_WRITE)?;
    let key = create_key(&state, &access, &project, body.name, body.rate_limit).await?;
    Ok((StatusCode::CREATED, Json(key_json(&state.public_url, &key))))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/keys/{key_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("key_id" = String, Path, description = "Client key (its public key)")),
    responses((status = 200, description = "The key", body = crate::openapi::ClientKey))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, key_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&PROJECT_READ)?;
    Ok(Json(key_json(&state.public_url, &key)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ClientKeyUpdate)]
struct UpdateBody {
    name: Option<String>,
    #[serde(rename = "isActive")]
    is_active: Option<bool>,
    #[serde(rename = "rateLimit", default, deserialize_with = "nullable")]
    #[schema(value_type = Option<crate::openapi::RateLimit>)]
    rate_limit: Option<Option<RateLimit>>,
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/keys/{key_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("key_id" = String, Path, description = "Client key (its public key)")),
    request_body = UpdateBody,
    responses((status = 200, description = "Updated", body = crate::openapi::ClientKey))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, key_id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&PROJECT_WRITE)?;
    let key = update_key(
        &state,
        &access,
        &project,
        &key,
        body.name,
        body.is_active,
        body.rate_limit,
    )
    .await?;
    Ok(Json(key_json(&state.public_url, &key)))
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/keys/{key_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("key_id" = String, Path, description = "Client key (its public key)")),
    responses((status = 204, description = "Deleted"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, key_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&[Scope::ProjectAdmin])?;
    state
        .execute_in::<Project>(
            access.org.id,
            &project.id.to_string(),
            ProjectCommand::RevokeClientKey {
                public_key: key.public_key,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
