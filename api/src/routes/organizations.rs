//! `/api/0/organizations/` and `/api/0/organizations/{org}/`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::{OrgRole, Scope};
use faultline_domain::slug::Slug;
use faultline_projections::accounts::queries::organizations::{self, OrgRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::{date, JsonBody};
use crate::pagination::{link_header, PageParams};
use crate::routes::fields::{field_error, slug_field};
use crate::state::AppState;

/// The organization routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/0/organizations/", get(list).post(create))
        .route(
            "/api/0/organizations/{org}/",
            get(detail).put(update).delete(remove),
        )
}

/// The organization summary Sentry returns in lists.
pub fn org_json(state: &AppState, org: &OrgRow) -> Value {
    json!({
        "id": org.id.to_string(),
        "slug": org.slug,
        "name": org.name,
        "dateCreated": date(org.date_created),
        "isEarlyAdopter": false,
        "require2FA": false,
        "requireEmailVerification": false,
        "allowMemberInvite": true,
        "allowMemberProjectCreation": true,
        "allowSuperuserAccess": true,
        "status": { "id": "active", "name": "active" },
        "avatar": { "avatarType": "letter_avatar", "avatarUuid": null, "avatarUrl": null },
        "features": [],
        "hasAuthProvider": false,
        "isDefault": false,
        "links": {
            "organizationUrl": format!("{}/organizations/{}/", state.public_url, org.slug),
            "regionUrl": state.public_url.to_string(),
        },
    })
}

/// The detailed organization Sentry returns from detail, update and create: the
/// summary plus settings. Settings Faultline does not have carry Sentry's defaults.
fn detail_json(state: &AppState, access: &OrgAccess) -> Value {
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
        "openMembership": false,
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
    // Not filled in yet; empty lists keep the documented shape.
    let listings = json!({ "teams": [], "projects": [] });
    if let Value::Object(body) = &mut body {
        for part in [detail, seer, listings] {
            if let Value::Object(part) = part {
                body.extend(part);
            }
        }
    }
    body
}

/// Sentry's `orgRoleList`: every organization role, and whether the caller may
/// give it (needs `member:admin` and a role at least as high; superusers may give any).
fn org_role_list(access: &OrgAccess) -> Value {
    let own = if access.caller.owner.is_superuser {
        Some(OrgRole::Owner)
    } else {
        access.role().filter(|_| access.has(Scope::MemberAdmin))
    };
    let roles: Vec<Value> = OrgRole::ALL
        .into_iter()
        .map(|role| {
            let (name, desc) = match role {
                OrgRole::Member => (
                    "Member",
                    "Members can view and act on events, as well as view most other data within the organization.",
                ),
                OrgRole::Admin => (
                    "Admin",
                    "Admin privileges on any teams of which they're a member. Retired in favour of team roles.",
                ),
                OrgRole::Manager => (
                    "Manager",
                    "Gains admin access on all teams as well as the ability to add and remove members.",
                ),
                OrgRole::Owner => (
                    "Owner",
                    "Unrestricted access to the organization, its data, and its settings.",
                ),
            };
            let scopes: Vec<&str> = role.scopes().iter().map(|s| s.as_str()).collect();
            let allowed = own.is_some_and(|own| role <= own);
            let global = role >= OrgRole::Manager;
            json!({
                "id": role.as_str(),
                "name": name,
                "desc": desc,
                "scopes": scopes,
                "allowed": allowed,
                "isAllowed": allowed,
                "isRetired": role == OrgRole::Admin,
                "isTeamRolesAllowed": true,
                "is_global": global,
                "isGlobal": global,
                "minimumTeamRole": if role == OrgRole::Member { "contributor" } else { "admin" },
            })
        })
        .collect();
    json!(roles)
}

/// Sentry's `teamRoleList`: its two team roles. Faultline has no team roles yet, so
/// none can be given.
fn team_role_list() -> Value {
    let contributor = [
        "event:read",
        "event:write",
        "project:releases",
        "project:read",
        "org:read",
        "member:read",
        "team:read",
        "alerts:read",
    ];
    let admin_extra = [
        "project:write",
        "project:admin",
        "team:write",
        "team:admin",
        "event:admin",
        "org:integrations",
        "alerts:write",
    ];
    let admin: Vec<&str> = contributor
        .iter()
        .chain(admin_extra.iter())
        .copied()
        .collect();
    json!([
        {
            "id": "contributor",
            "name": "Contributor",
            "desc": "Contributors can view and act on events, as well as view most other data within the team's projects.",
            "scopes": contributor,
            "allowed": false,
            "isAllowed": false,
            "isRetired": false,
            "isTeamRolesAllowed": true,
            "isMinimumRoleFor": "member",
        },
        {
            "id": "admin",
            "name": "Team Admin",
            "desc": "Admin privileges on the team. They can create and remove projects, and can manage the team's memberships.",
            "scopes": admin,
            "allowed": false,
            "isAllowed": false,
            "isRetired": false,
            "isTeamRolesAllowed": true,
            "isMinimumRoleFor": "admin",
        },
    ])
}

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
    let body: Vec<Value> = found.rows.iter().map(|org| org_json(&state, org)).collect();
    Ok((
        link_header(&state.public_url, &uri, page, found.has_more),
        Json(body),
    ))
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    name: Option<String>,
    slug: Option<String>,
}

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
    let committed = state
        .bus
        .execute::<Organization>(&org_id.to_string(), command, &caller.metadata())
        .await?;
    state.settle("organization", committed.last_position).await;
    let access = OrgAccess::resolve(&state, caller, slug.as_str()).await?;
    Ok((StatusCode::CREATED, Json(detail_json(&state, &access))))
}

async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    Ok(Json(detail_json(&state, &access)))
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    name: Option<String>,
    slug: Option<String>,
}

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
    let committed = state
        .bus
        .execute::<Organization>(
            &access.org.id.to_string(),
            command,
            &access.caller.metadata(),
        )
        .await?;
    state.settle("organization", committed.last_position).await;
    let key = slug
        .map(|s| s.to_string())
        .unwrap_or_else(|| access.org.id.to_string());
    let access = OrgAccess::resolve(&state, access.caller, &key).await?;
    Ok(Json(detail_json(&state, &access)))
}

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
    let committed = state
        .bus
        .execute::<Organization>(
            &access.org.id.to_string(),
            command,
            &access.caller.metadata(),
        )
        .await?;
    state.settle("organization", committed.last_position).await;
    let mut body = detail_json(&state, &access);
    body["status"] = json!({ "id": "pending_deletion", "name": "pending_deletion" });
    Ok((StatusCode::ACCEPTED, Json(body)))
}
