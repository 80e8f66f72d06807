//! `/api/0/organizations/{org}/members/...`, including team membership.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::members::{self, MemberRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::{date, JsonBody};
use crate::member_ops::{add_member, change_role, find_member, remove_member};
use crate::pagination::{paged, PageParams};
use crate::render::roles::{org_role_list, team_role_list};
use crate::render::team::team_json;
use crate::render::user::sentry_user;
use crate::resolve::resolve_team;
use crate::state::AppState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The member routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
        .routes(routes!(join_team, leave_team))
}

fn member_json(member: &MemberRow) -> Value {
    let user = member.date_joined.map(|joined| {
        sentry_user(
            member.user_id,
            &member.email,
            &member.name,
            joined,
            member.is_superuser,
        )
    });
    json!({
        "id": member.id.to_string(),
        "email": member.email,
        "name": if member.name.is_empty() { &member.email } else { &member.name },
        "user": user,
        "orgRole": member.role,
        "role": member.role,
        "roleName": capitalized(&member.role),
        "pending": false,
        "expired": false,
        "flags": {
            "idp:provisioned": false,
            "idp:role-restricted": false,
            "sso:linked": false,
            "sso:invalid": false,
            "member-limit:restricted": false,
            "partnership:restricted": false,
        },
        "dateCreated": date(member.date_created),
        "inviteStatus": "approved",
        "inviterName": null,
    })
}

fn capitalized(role: &str) -> String {
    let mut chars = role.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn detail_json(
    state: &AppState,
    access: &OrgAccess,
    member: &MemberRow,
) -> Result<Value, ApiError> {
    let mut body = member_json(member);
    let team_roles: Vec<Value> = member
        .teams
        .iter()
        .map(|slug| json!({ "teamSlug": slug, "role": null }))
        .collect();
    let only_owner =
        member.role == "owner" && members::owner_count(&state.pool, access.org.id).await? == 1;
    body["teams"] = json!(member.teams);
    body["teamRoles"] = json!(team_roles);
    body["invite_link"] = Value::Null;
    body["isOnlyOwner"] = json!(only_owner);
    body["orgRoleList"] = org_role_list(access);
    body["teamRoleList"] = team_role_list();
    Ok(body)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/members/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), crate::pagination::PageParams),
    responses((status = 200, description = "Members of the organization", body = Vec<crate::openapi::Member>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::MemberRead, Scope::MemberWrite, Scope::MemberAdmin])?;
    let page = params.page()?;
    let found = members::list(&state.pool, access.org.id, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, member_json))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = MemberCreate)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    email: Option<String>,
    org_role: Option<String>,
    role: Option<String>,
    #[serde(default)]
    teams: Vec<String>,
}

/// Adds a member. Faultline sends no invitation emails: the member is active at
/// once, and a user is created for an email Faultline does not know yet (they get a
/// token with `faultline user create` or from an admin).
#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/members/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = CreateBody,
    responses((status = 201, description = "Added", body = crate::openapi::Member), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member_id = add_member(
        &state,
        &access,
        body.email,
        body.org_role.as_deref().or(body.role.as_deref()),
        &body.teams,
    )
    .await?;
    let member = find_member(&state, &access, &member_id.to_string()).await?;
    Ok((StatusCode::CREATED, Json(member_json(&member))))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/members/{member}/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("member" = String, Path, description = "Member id")),
    responses((status = 200, description = "The member, with teams and assignable roles", body = crate::openapi::Member))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, member)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member = find_member(&state, &access, &member).await?;
    access.require(&[Scope::MemberRead, Scope::MemberWrite, Scope::MemberAdmin])?;
    Ok(Json(detail_json(&state, &access, &member).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = MemberUpdate)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    org_role: Option<String>,
    role: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/0/organizations/{org}/members/{member}/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("member" = String, Path, description = "Member id")),
    request_body = UpdateBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Member))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, member)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member = find_member(&state, &access, &member).await?;
    change_role(
        &state,
        &access,
        &member,
        body.org_role.as_deref().or(body.role.as_deref()),
    )
    .await?;
    let member = find_member(&state, &access, &member.id.to_string()).await?;
    Ok(Json(detail_json(&state, &access, &member).await?))
}

/// Anyone may leave; removing someone else takes `member:admin` and a role at least
/// as high as theirs (Sentry answers 400 otherwise).
#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/members/{member}/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("member" = String, Path, description = "Member id")),
    responses((status = 204, description = "Removed"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member = find_member(&state, &access, &member).await?;
    remove_member(&state, &access, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Joins a team. Organizations have open membership, so members may join any team
/// themselves; putting someone else on a team takes `team:write` or `org:write`.
#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/members/{member}/teams/{team}/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("member" = String, Path, description = "Member id"), ("team" = String, Path, description = "Team slug")),
    responses((status = 201, description = "Joined; the team", body = crate::openapi::Team), (status = 204, description = "Already a member of the team"))
)]
async fn join_team(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, member, team)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member = find_member(&state, &access, &member).await?;
    let team = resolve_team(&state, &access, &team).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::TeamWrite])?;
    let is_self = member.user_id == access.caller.user_id();
    if !(is_self || access.has(Scope::TeamWrite) || access.has(Scope::OrgWrite)) {
        return Err(ApiError::Forbidden);
    }
    if member.teams.contains(&team.slug) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    state
        .execute::<Organization>(
            &access.org.id.to_string(),
            OrganizationCommand::AddTeamMember {
                team_id: team.id,
                member_id: member.id,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let team = resolve_team(&state, &access, &team.slug).await?;
    Ok((StatusCode::CREATED, Json(team_json(&access, &team))).into_response())
}

/// Leaves a team: oneself, or anyone with `org:write` or `team:admin` (Sentry answers
/// 400 otherwise).
#[utoipa::path(
    delete,
    path = "/api/0/organizations/{org}/members/{member}/teams/{team}/",
    tag = "members",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("member" = String, Path, description = "Member id"), ("team" = String, Path, description = "Team slug")),
    responses((status = 200, description = "Left; the team", body = crate::openapi::Team))
)]
async fn leave_team(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, member, team)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let member = find_member(&state, &access, &member).await?;
    let team = resolve_team(&state, &access, &team).await?;
    access.require(&[
        Scope::OrgRead,
        Scope::OrgWrite,
        Scope::OrgAdmin,
        Scope::TeamAdmin,
    ])?;
    let is_self = member.user_id == access.caller.user_id();
    if !(is_self || access.has(Scope::OrgWrite) || access.has(Scope::TeamAdmin)) {
        return Err(ApiError::BadRequest(
            "You do not have permission to remove that member from the team".into(),
        ));
    }
    if member.teams.contains(&team.slug) {
        state
            .execute::<Organization>(
                &access.org.id.to_string(),
                OrganizationCommand::RemoveTeamMember {
                    team_id: team.id,
                    member_id: member.id,
                    at: chrono::Utc::now(),
                },
                &access.caller.metadata(),
            )
            .await?;
    }
    let team = resolve_team(&state, &access, &team.slug).await?;
    Ok(Json(team_json(&access, &team)))
}
