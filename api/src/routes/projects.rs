//! `/api/0/teams/{org}/{team}/projects/`, `/api/0/organizations/{org}/projects/`,
//! `/api/0/projects/` and `/api/0/projects/{org}/{project}/`.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::ids::{next_id, IdKind};
use faultline_commands::secrets::new_client_key;
use faultline_domain::project::{
    check_grouping_rules, Project, ProjectCommand, RetentionChange, MAX_RETENTION_DAYS,
};
use faultline_domain::role::Scope;
use faultline_domain::slug::Slug;
use faultline_projections::accounts::queries::projects::{self, ProjectRow};
use faultline_projections::accounts::queries::teams;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::{field_error, nullable, slug_field, FieldErrors};
use crate::json::JsonBody;
use crate::pagination::{link_header, paged, PageParams};
use crate::render::key::DEFAULT_KEY_LABEL;
use crate::render::organization::org_json;
use crate::render::project::project_json;
use crate::resolve::{resolve_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The project routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list_in_org))
        .routes(routes!(list_for_user))
        .routes(routes!(detail, update, remove))
}

/// The project detail: the summary plus settings (Sentry's defaults where Faultline
/// has no such setting) and the organization.
fn detail_json(state: &AppState, access: &OrgAccess, row: &ProjectRow) -> Value {
    let mut body = project_json(row, &access.scopes);
    let extra = json!({
        "options": {},
        "digestsMinDelay": 300,
        "digestsMaxDelay": 1800,
        "subjectPrefix": "",
        "allowedDomains": ["*"],
        "resolveAge": 0,
        "dataScrubber": false,
        "dataScrubberDefaults": false,
        "safeFields": [],
        "storeCrashReports": null,
        "sensitiveFields": [],
        "subjectTemplate": "$shortID - $title",
        "securityToken": "",
        "securityTokenHeader": null,
        "verifySSL": false,
        "scrubIPAddresses": false,
        "scrapeJavaScript": true,
        "enableAutoReleaseCreation": false,
        "highlightTags": [],
        "highlightContext": {},
        "highlightPreset": { "tags": [], "context": {} },
        "groupingConfig": faultline_domain::event::grouping::Config::Current.id(),
        "derivedGroupingEnhancements": "",
        "groupingEnhancements": row.grouping_enhancements,
        "secondaryGroupingExpiry": 0,
        "secondaryGroupingConfig": faultline_domain::event::grouping::Config::Legacy.id(),
        "fingerprintingRules": row.fingerprinting_rules,
    });
    let own_days = row.retention_days.map(|days| days as u32);
    let more = json!({
        "eventRetentionDays": own_days,
        "effectiveEventRetentionDays": own_days.unwrap_or(state.event_retention_days),
        "maxStoredEvents": row.max_events,
        "organization": org_json(state, &access.org),
        "processingIssues": 0,
        "defaultEnvironment": null,
        "relayPiiConfig": null,
        "builtinSymbolSources": [],
        "dynamicSamplingBiases": null,
        "symbolSources": "[]",
        "isDynamicallySampled": false,
        "tempestFetchScreenshots": false,
        "autofixAutomationTuning": "off",
        "seerScannerAutomation": false,
        "seerNightshiftTweaks": null,
        "scmSourceContextEnabled": false,
        "debugFilesRole": null,
    });
    for part in [extra, more] {
        if let (Some(body), Value::Object(part)) = (body.as_object_mut(), part) {
            body.extend(part);
        }
    }
    body
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProjectCreate)]
struct CreateBody {
    name: Option<String>,
    slug: Option<String>,
    platform: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/0/teams/{org}/{team}/projects/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("team" = String, Path, description = "Team slug")),
    request_body = CreateBody,
    responses((status = 201, description = "Created", body = crate::openapi::Project), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, team)): Path<(String, String)>,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let team = teams::by_slug(&state.pool, access.org.id, access.caller.user_id(), &team)
        .await?
        .ok_or(ApiError::NotFound)?;
    access.require(&PROJECT_WRITE)?;
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| field_error("name", "This field is required."))?;
    if name.chars().count() > 50 {
        return Err(field_error(
            "name",
            "Ensure this field has no more than 50 characters.",
        ));
    }
    let slug = match body.slug {
        Some(slug) => slug_field("slug", &slug)?,
        None => Slug::from_name(&name).map_err(|e| field_error("name", &e.to_string()))?,
    };
    let project_id = next_id(&state.pool, IdKind::Project).await?;
    let aggregate_id = project_id.to_string();
    let metadata = access.caller.metadata();
    state
        .execute_in::<Project>(
            access.org.id,
            &aggregate_id,
            ProjectCommand::CreateProject {
                project_id,
                org_id: access.org.id,
                slug,
                name,
                platform: body.platform.filter(|p| !p.is_empty()),
                team_id: Some(team.id),
                at: chrono::Utc::now(),
            },
            &metadata,
        )
        .await?;
    let (public_key, secret_key) = new_client_key();
    state
        .execute_in::<Project>(
            access.org.id,
            &aggregate_id,
            ProjectCommand::CreateClientKey {
                public_key,
                secret_key,
                label: DEFAULT_KEY_LABEL.to_owned(),
                rate_limit: None,
                at: chrono::Utc::now(),
            },
            &metadata,
        )
        .await?;
    let row = resolve_project(&state, &access, &aggregate_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(project_json(&row, &access.scopes)),
    ))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/projects/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), crate::pagination::PageParams),
    responses((status = 200, description = "Projects of the organization", body = Vec<crate::openapi::Project>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list_in_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let page = params.page()?;
    let found = projects::in_org(&state.pool, access.org.id, access.caller.user_id(), page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, |row| {
        project_json(row, &access.scopes)
    }))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/",
    tag = "projects",
    params(crate::pagination::PageParams),
    responses((status = 200, description = "Projects of the caller's organizations", body = Vec<crate::openapi::Project>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list_for_user(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_token_scope(&[Scope::ProjectRead, Scope::OrgRead])?;
    let page = params.page()?;
    let found = projects::for_user(
        &state.pool,
        caller.user_id(),
        caller.owner.is_superuser,
        page,
    )
    .await?;
    // Each organization's scopes once: the caller's role differs per organization.
    let mut scopes: BTreeMap<i64, BTreeSet<Scope>> = BTreeMap::new();
    let mut body = Vec::with_capacity(found.rows.len());
    for row in &found.rows {
        if let Entry::Vacant(slot) = scopes.entry(row.org_id) {
            let access = OrgAccess::resolve(&state, caller.clone(), &row.org_id.to_string())
                .await
                .map(|access| access.scopes)
                .unwrap_or_default();
            slot.insert(access);
        }
        body.push(project_json(row, &scopes[&row.org_id]));
    }
    Ok((
        link_header(&state.public_url, &uri, page, found.has_more),
        Json(body),
    ))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    responses((status = 200, description = "The project, with settings and its organization", body = crate::openapi::Project))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let row = resolve_project(&state, &access, &project).await?;
    access.require(&PROJECT_READ)?;
    Ok(Json(detail_json(&state, &access, &row)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProjectUpdate)]
struct UpdateBody {
    name: Option<String>,
    slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    platform: Option<Option<String>>,
    /// Faultline: days this project's ingested events are kept (1 to 3650); `null`
    /// follows the server's `--event-retention-days`.
    #[serde(default, rename = "eventRetentionDays", deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    event_retention_days: Option<Option<u32>>,
    /// Faultline: the most ingested events this project keeps, oldest dropped first;
    /// `null` for no limit.
    #[serde(default, rename = "maxStoredEvents", deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    max_stored_events: Option<Option<u64>>,
    /// Fingerprint rules, in Sentry's syntax (`error.type:X -> fingerprint`).
    #[serde(default, rename = "fingerprintingRules")]
    fingerprinting_rules: Option<String>,
    /// Stack trace rules, in Sentry's syntax (`stack.module:x.* +app`).
    #[serde(default, rename = "groupingEnhancements")]
    grouping_enhancements: Option<String>,
}

/// The retention fields of a project update, checked one by one so that a 400 names
/// the field: each must be absent, `null` or a whole number in range.
fn retention_fields(fields: &Map<String, Value>) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    let checks: [(&str, u64, u64); 2] = [
        ("eventRetentionDays", 1, u64::from(MAX_RETENTION_DAYS)),
        ("maxStoredEvents", 1, i64::MAX as u64),
    ];
    for (field, min, max) in checks {
        match fields.get(field) {
            None | Some(Value::Null) => {}
            Some(value) => match value.as_u64() {
                Some(n) if (min..=max).contains(&n) => {}
                Some(_) | None if value.is_number() => errors.add(
                    field,
                    format!("Ensure this value is a whole number between {min} and {max}."),
                ),
                _ => errors.add(field, "A valid integer is required."),
            },
        }
    }
    errors.finish()
}

/// What a caller holding only `project:read` may send (and what Faultline ignores).
const MEMBER_FIELDS: [&str; 1] = ["isBookmarked"];

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    request_body = UpdateBody,
    responses((status = 200, description = "Updated", body = crate::openapi::Project), (status = 409, description = "Conflicts with an existing one (e.g. the slug is taken)", body = crate::openapi::ErrorDetail))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(fields): JsonBody<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let row = resolve_project(&state, &access, &project).await?;
    access.require(&PROJECT_READ)?;
    let elevated = access.has(Scope::ProjectWrite) || access.has(Scope::ProjectAdmin);
    // Sentry's relaxed rule: project:read alone may only (un)bookmark.
    if !elevated && fields.keys().any(|k| !MEMBER_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::Forbidden);
    }
    retention_fields(&fields)?;
    let body: UpdateBody = serde_json::from_value(Value::Object(fields))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let name = body.name.map(|n| n.trim().to_owned());
    if name.as_deref() == Some("") {
        return Err(field_error("name", "This field may not be blank."));
    }
    let slug = body
        .slug
        .as_deref()
        .map(|s| slug_field("slug", s))
        .transpose()?;
    let platform = body.platform.map(|p| p.filter(|p| !p.is_empty()));
    let grouping = (body.fingerprinting_rules, body.grouping_enhancements);
    if grouping.0.is_some() || grouping.1.is_some() {
        // Checked before anything is saved: a refused rule changes nothing.
        check_grouping_rules(
            grouping.0.as_deref().unwrap_or_default(),
            grouping.1.as_deref().unwrap_or_default(),
        )
        .map_err(|e| ApiError::from(faultline_commands::CommandError::Refused(e)))?;
    }
    state
        .execute_in::<Project>(
            access.org.id,
            &row.id.to_string(),
            ProjectCommand::UpdateProject {
                name,
                slug,
                platform,
                retention: RetentionChange {
                    days: body.event_retention_days,
                    max_events: body.max_stored_events,
                },
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    if grouping.0.is_some() || grouping.1.is_some() {
        state
            .execute_in::<Project>(
                access.org.id,
                &row.id.to_string(),
                ProjectCommand::SetGroupingRules {
                    fingerprinting_rules: grouping.0,
                    grouping_enhancements: grouping.1,
                    at: chrono::Utc::now(),
                },
                &access.caller.metadata(),
            )
            .await?;
    }
    let row = resolve_project(&state, &access, &row.id.to_string()).await?;
    Ok(Json(detail_json(&state, &access, &row)))
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    responses((status = 204, description = "Deleted"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let row = resolve_project(&state, &access, &project).await?;
    access.require(&[Scope::ProjectAdmin])?;
    state
        .execute_in::<Project>(
            access.org.id,
            &row.id.to_string(),
            ProjectCommand::DeleteProject {
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
