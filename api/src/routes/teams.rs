//! `/api/0/organizations/{org}/teams/` and `/api/0/teams/{org}/{team}/`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::teams;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::{field_error, slug_field};
use crate::json::JsonBody;
use crate::pagination::{paged, PageParams};
use crate::render::team::team_json;
use crate::resolve::resolve_team;
use crate::state::AppState;
use crate::team_ops::create_team;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The team routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/teams/",
    tag = "teams",
    params(("org" = String, Path, description = "Organization slug or numeric id"), crate::pagination::PageParams),
    responses((status = 200, description = "Teams of the organization", body = Vec<crate::openapi::Team>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let page = params.page()?;
    let found = teams::list(&state.pool, access.org.id, access.caller.user_id(), page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, |team| {
        team_json(&access, team)
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = TeamCreate)]
struct CreateBody {
    slug: Option<String>,
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/teams/",
    tag = "teams",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = CreateBody,
    responses((status = 201, description = "Created", body = crate::openapi::Team), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let slug = create_team(&state, &access, body.name, body.slug.as_deref()).await?;
    let team = resolve_team(&state, &access, slug.as_str()).await?;
    Ok((StatusCode::CREATED, Json(team_json(&access, &team))))
}

#[utoipa::path(
    get,
    path = "/api/0/teams/{org}/{team}/",
    tag = "teams",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("team" = String, Path, description = "Team slug")),
    responses((status = 200, description = "The team", body = crate::openapi::Team))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, team)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let team = resolve_team(&state, &access, &team).await?;
    access.require(&[Scope::TeamRead, Scope::TeamWrite, Scope::TeamAdmin])?;
    Ok(Json(team_json(&access, &team)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = TeamUpdate)]
struct UpdateBody {
    slug: Option<String>,
    name: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/0/teams/{org}/{team}/",
    tag = "teams",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("team" = String, Path, description = "Team slug")),
    request_body = UpdateBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Team), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, team)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let team = resolve_team(&state, &access, &team).await?;
    access.require(&[Scope::TeamWrite, Scope::TeamAdmin])?;
    let slug = body
        .slug
        .as_deref()
        .map(|s| slug_field("slug", s))
        .transpose()?;
    let name = body.name.map(|n| n.trim().to_owned());
    if name.as_deref() == Some("") {
        return Err(field_error("name", "This field may not be blank."));
    }
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            OrganizationCommand::UpdateTeam {
                team_id: team.id,
                name,
                slug: slug.clone(),
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let slug = slug.map(|s| s.to_string()).unwrap_or(team.slug);
    let team = resolve_team(&state, &access, &slug).await?;
    Ok(Json(team_json(&access, &team)))
}

#[utoipa::path(
    delete,
    path = "/api/0/teams/{org}/{team}/",
    tag = "teams",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("team" = String, Path, description = "Team slug")),
    responses((status = 204, description = "Deleted"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, team)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let team = resolve_team(&state, &access, &team).await?;
    access.require(&[Scope::TeamAdmin])?;
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            OrganizationCommand::DeleteTeam {
                team_id: team.id,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
