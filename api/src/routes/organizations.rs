//! `/api/0/organizations/` and `/api/0/organizations/{org}/`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::Scope;
use faultline_domain::slug::Slug;
use faultline_projections::accounts::queries::organizations;
use faultline_projections::accounts::queries::Page;
use faultline_projections::accounts::queries::{projects, teams};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::{field_error, slug_field};
use crate::json::JsonBody;
use crate::pagination::{paged, PageParams};
use crate::render::organization::org_json;
use crate::render::project::project_json;
use crate::render::roles::{org_role_list, team_role_list};
use crate::render::team::team_json;
use crate::state::AppState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The organization routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
}

/// The detailed organization Sentry returns from detail, update and create: the
/// summary plus settings. Settings Faultline does not have carry Sentry's defaults.
async fn detail_json(state: &AppState, access: &OrgAccess) -> Result<Value, ApiError> {
    let mut body = org_json(state, &access.org);
    let scopes: Vec<&str> = access.scopes.iter().map(|s| s.as_str()).collect();
    let role = access.role().map(|r| r.as_str()).unwrap_or("member");
    let detail = json!({
        "access": scopes,
        "role": role,
        "orgRole": role,
        "experiments": {},
        "defaultRole": "member",
        "orgRoleList": org_role_list(access),
        "teamRoleList": team_role_list(),
        "openMembership": true,
        "allowSharedIssues": true,
        "enhancedPrivacy": false,
        "dataScrubber": false,
        "dataScrubberDefaults": false,
        "sensitiveFields": [],
        "safeFields": [],
        "storeCrashReports": 0,
        "attachmentsRole": "member",
        "debugFilesRole": "admin",
        "eventsMemberAdmin": true,
        "alertsMemberWrite": true,
        "scrubIPAddresses": false,
        "scrapeJavaScript": true,
        "allowJoinRequests": true,
        "relayPiiConfig": null,
        "relayDsnEndpoint": null,
        "trustedRelays": [],
        "pendingAccessRequests": 0,
        "aggregatedDataConsent": false,
        "isDynamicallySampled": false,
        "issueAlertsThreadFlag": true,
        "metricAlertsThreadFlag": true,
        "requiresSso": false,
    });
    // Seer (Sentry's AI features), which Faultline does not have: all off.
    let seer = json!({
        "hideAiFeatures": false,
        "defaultAutofixAutomationTuning": "off",
        "defaultSeerScannerAutomation": false,
        "enableSeerCoding": false,
        "defaultCodingAgent": "seer",
        "defaultCodingAgentIntegrationId": null,
        "defaultAutomatedRunStoppingPoint": "code_changes",
        "autoEnableCodeReview": false,
        "autoOpenPrs": false,
        "defaultCodeReviewTriggers": [],
    });
    let teams = teams::list(
        &state.pool,
        access.org.id,
        access.caller.user_id(),
        Page {
            limit: 100,
            offset: 0,
        },
    )
    .await?;
    let teams: Vec<Value> = teams
        .rows
        .iter()
        .map(|team| team_json(access, team))
        .collect();
    let projects = projects::in_org(
        &state.pool,
        access.org.id,
        access.caller.user_id(),
        Page {
            limit: 100,
            offset: 0,
        },
    )
    .await?;
    let projects: Vec<Value> = projects
        .rows
        .iter()
        .map(|project| project_json(project, &access.scopes))
        .collect();
    let listings = json!({ "teams": teams, "projects": projects });
    if let Value::Object(body) = &mut body {
        for part in [detail, seer, listings] {
            if let Value::Object(part) = part {
                body.extend(part);
            }
        }
    }
    Ok(body)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/",
    tag = "organizations",
    params(crate::pagination::PageParams),
    responses((status = 200, description = "The caller's organizations", body = Vec<crate::openapi::Organization>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_token_scope(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let page = params.page()?;
    let found = organizations::visible_to(
        &state.pool,
        caller.user_id(),
        caller.owner.is_superuser,
        page,
    )
    .await?;
    Ok(paged(&state.public_url, &uri, page, &found, |org| {
        org_json(&state, org)
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = OrganizationCreate)]
struct CreateBody {
    name: Option<String>,
    slug: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/",
    tag = "organizations",
    request_body = CreateBody,
    responses((status = 201, description = "Created", body = crate::openapi::Organization), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_token_scope(&[Scope::OrgWrite, Scope::OrgAdmin])?;
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| field_error("name", "This field is required."))?;
    let slug = match body.slug {
        Some(slug) => slug_field("slug", &slug)?,
        None => Slug::from_name(&name).map_err(|e| field_error("name", &e.to_string()))?,
    };
    let org_id = next_id(&state.pool, IdKind::Organization).await?;
    let member_id = next_id(&state.pool, IdKind::Member).await?;
    let command = OrganizationCommand::CreateOrganization {
        org_id,
        name,
        slug: slug.clone(),
        owner_user_id: caller.user_id(),
        owner_member_id: member_id,
        owner_email: caller.owner.email.clone(),
        at: chrono::Utc::now(),
    };
    state
        .execute::<Organization>(&org_id.to_string(), command, &caller.metadata())
        .await?;
    let access = OrgAccess::resolve(&state, caller, slug.as_str()).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_json(&state, &access).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    responses((status = 200, description = "The organization, with settings and the caller's access", body = crate::openapi::Organization))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    Ok(Json(detail_json(&state, &access).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = OrganizationUpdate)]
struct UpdateBody {
    name: Option<String>,
    slug: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = UpdateBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Organization), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgWrite, Scope::OrgAdmin])?;
    let slug = body
        .slug
        .as_deref()
        .map(|s| slug_field("slug", s))
        .transpose()?;
    let name = body.name.map(|n| n.trim().to_owned());
    if name.as_deref() == Some("") {
        return Err(field_error("name", "This field may not be blank."));
    }
    let command = OrganizationCommand::UpdateOrganization {
        name,
        slug: slug.clone(),
        at: chrono::Utc::now(),
    };
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            command,
            &access.caller.metadata(),
        )
        .await?;
    let key = slug
        .map(|s| s.to_string())
        .unwrap_or_else(|| access.org.id.to_string());
    let access = OrgAccess::resolve(&state, access.caller, &key).await?;
    Ok(Json(detail_json(&state, &access).await?))
}

#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    responses((status = 202, description = "Deleted; the organization as it was", body = crate::openapi::Organization))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgAdmin])?;
    let command = OrganizationCommand::DeleteOrganization {
        at: chrono::Utc::now(),
    };
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            command,
            &access.caller.metadata(),
        )
        .await?;
    let mut body = detail_json(&state, &access).await?;
    body["status"] = json!({ "id": "pending_deletion", "name": "pending_deletion" });
    Ok((StatusCode::ACCEPTED, Json(body)))
}
