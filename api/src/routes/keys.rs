//! `/api/0/projects/{org}/{project}/keys/` and `.../keys/{key_id}/` (client keys, DSNs).

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::secrets::new_client_key;
use faultline_domain::project::{Project, ProjectCommand, RateLimit};
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::keys::{self, KeyRow};
use faultline_projections::accounts::queries::projects::ProjectRow;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::{field_error, nullable};
use crate::json::JsonBody;
use crate::pagination::{paged, PageParams};
use crate::render::key::{key_json, DEFAULT_KEY_LABEL};
use crate::resolve::resolve_project;
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

/// The organization, project and key named in the path; 404 unless all belong
/// together and to the caller's organization.
async fn resolve(
    state: &AppState,
    caller: Caller,
    org: &str,
    project: &str,
) -> Result<(OrgAccess, ProjectRow), ApiError> {
    let access = OrgAccess::resolve(state, caller, org).await?;
    let project = resolve_project(state, &access, project).await?;
    Ok((access, project))
}

async fn resolve_key(
    state: &AppState,
    access: &OrgAccess,
    project: &ProjectRow,
    key_id: &str,
) -> Result<KeyRow, ApiError> {
    keys::get(&state.pool, access.org.id, project.id, key_id)
        .await?
        .ok_or(ApiError::NotFound)
}

const READ: [Scope; 3] = [Scope::ProjectRead, Scope::ProjectWrite, Scope::ProjectAdmin];
const WRITE: [Scope; 2] = [Scope::ProjectWrite, Scope::ProjectAdmin];

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
    let (access, project) = resolve(&state, caller, &org, &project).await?;
    access.require(&READ)?;
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
    let (access, project) = resolve(&state, caller, &org, &project).await?;
    access.require(&WRITE)?;
    let label = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_KEY_LABEL.to_owned());
    if label.chars().count() > 64 {
        return Err(field_error(
            "name",
            "Ensure this field has no more than 64 characters.",
        ));
    }
    let (public_key, secret_key) = new_client_key();
    state
        .execute::<Project>(
            &project.id.to_string(),
            ProjectCommand::CreateClientKey {
                public_key: public_key.clone(),
                secret_key,
                label,
                rate_limit: body.rate_limit,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let key = resolve_key(&state, &access, &project, &public_key).await?;
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
    let (access, project) = resolve(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&READ)?;
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
    let (access, project) = resolve(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&WRITE)?;
    let label = body.name.map(|n| n.trim().to_owned());
    if label.as_deref() == Some("") {
        return Err(field_error("name", "This field may not be blank."));
    }
    state
        .execute::<Project>(
            &project.id.to_string(),
            ProjectCommand::UpdateClientKey {
                public_key: key.public_key.clone(),
                label,
                is_active: body.is_active,
                rate_limit: body.rate_limit,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let key = resolve_key(&state, &access, &project, &key.public_key).await?;
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
    let (access, project) = resolve(&state, caller, &org, &project).await?;
    let key = resolve_key(&state, &access, &project, &key_id).await?;
    access.require(&[Scope::ProjectAdmin])?;
    state
        .execute::<Project>(
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
