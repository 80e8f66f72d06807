//! `/api/0/projects/{org}/{project}/hooks/` and `.../hooks/{hook_id}/`: Sentry's
//! service hooks, a project's webhooks sent on every new event (`event.created`)
//! or alert (`event.alert`), signed with the hook's secret.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use faultline_commands::secrets::{new_hook_id, new_signing_secret};
use faultline_domain::role::Scope;
use faultline_domain::service_hook::{ServiceHook, ServiceHookCommand};
use faultline_projections::accounts::queries::projects::ProjectRow;
use faultline_projections::alerts::queries::{self, HookRow};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::json::{date, JsonBody};
use crate::pagination::{paged, PageParams};
use crate::resolve::{resolve_org_project, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;

/// The service hook routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(detail, update, remove))
}

/// A service hook as Sentry shows it (the secret too, as Sentry does).
fn hook_json(hook: &HookRow) -> Value {
    json!({
        "id": hook.id,
        "url": hook.url,
        "events": hook.events,
        "secret": hook.secret,
        "status": "active",
        "dateCreated": date(hook.date_created),
    })
}

async fn resolve_hook(
    state: &AppState,
    access: &OrgAccess,
    project: &ProjectRow,
    hook_id: &str,
) -> Result<HookRow, ApiError> {
    queries::hook(&state.pool, access.org.id, project.id, hook_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The body of `POST` (both fields required) and `PUT` (absent: unchanged).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ServiceHookWrite)]
struct HookBody {
    /// An `http` or `https` URL.
    #[schema(value_type = Option<String>)]
    url: Option<Value>,
    /// `event.created` and/or `event.alert`.
    #[schema(value_type = Option<Vec<String>>)]
    events: Option<Value>,
}

impl HookBody {
    /// The URL and events, `current`'s where the body has none; a 400 naming every
    /// field of the wrong type or missing.
    fn target(self, current: Option<&HookRow>) -> Result<(String, Vec<String>), ApiError> {
        let mut errors = FieldErrors::default();
        let url = match (self.url, current) {
            (Some(Value::String(url)), _) => url,
            (None, Some(current)) => current.url.clone(),
            (None, None) => required(&mut errors, "url"),
            (Some(_), _) => {
                errors.add("url", "Not a valid string.");
                String::new()
            }
        };
        let events = match (self.events, current) {
            (Some(events), _) => errors
                .check("events", serde_json::from_value::<Vec<String>>(events))
                .unwrap_or_default(),
            (None, Some(current)) => current.events.clone(),
            (None, None) => required(&mut errors, "events"),
        };
        errors.finish()?;
        Ok((url, events))
    }
}

fn required<T: Default>(errors: &mut FieldErrors, field: &str) -> T {
    errors.add(field, "This field is required.");
    T::default()
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/hooks/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), PageParams),
    responses((status = 200, description = "The project's service hooks, oldest first", body = Vec<crate::openapi::ServiceHook>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
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
    let found = queries::hooks(&state.pool, access.org.id, project.id, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, hook_json))
}

#[utoipa::path(
    post,
    path = "/api/0/projects/{org}/{project}/hooks/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id")),
    request_body = HookBody,
    responses((status = 201, description = "Registered", body = crate::openapi::ServiceHook))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    JsonBody(body): JsonBody<HookBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&PROJECT_WRITE)?;
    let (url, events) = body.target(None)?;
    let hook_id = new_hook_id();
    state
        .execute_in::<ServiceHook>(
            access.org.id,
            &hook_id,
            ServiceHookCommand::CreateServiceHook {
                hook_id: hook_id.clone(),
                org_id: access.org.id,
                project_id: project.id,
                url,
                events,
                secret: new_signing_secret(),
            },
            &access.caller.metadata(),
        )
        .await?;
    let hook = resolve_hook(&state, &access, &project, &hook_id).await?;
    Ok((StatusCode::CREATED, Json(hook_json(&hook))))
}

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/hooks/{hook_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("hook_id" = String, Path, description = "Service hook id (32 hex digits)")),
    responses((status = 200, description = "The hook", body = crate::openapi::ServiceHook))
)]
async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, hook_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let hook = resolve_hook(&state, &access, &project, &hook_id).await?;
    access.require(&PROJECT_READ)?;
    Ok(Json(hook_json(&hook)))
}

#[utoipa::path(
    put,
    path = "/api/0/projects/{org}/{project}/hooks/{hook_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("hook_id" = String, Path, description = "Service hook id (32 hex digits)")),
    request_body = HookBody,
    responses((status = 200, description = "Updated", body = crate::openapi::ServiceHook))
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, hook_id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<HookBody>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let hook = resolve_hook(&state, &access, &project, &hook_id).await?;
    access.require(&PROJECT_WRITE)?;
    let (url, events) = body.target(Some(&hook))?;
    state
        .execute_in::<ServiceHook>(
            access.org.id,
            &hook.id,
            ServiceHookCommand::UpdateServiceHook { url, events },
            &access.caller.metadata(),
        )
        .await?;
    let hook = resolve_hook(&state, &access, &project, &hook.id).await?;
    Ok(Json(hook_json(&hook)))
}

#[utoipa::path(
    delete,
    path = "/api/0/projects/{org}/{project}/hooks/{hook_id}/",
    tag = "projects",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("hook_id" = String, Path, description = "Service hook id (32 hex digits)")),
    responses((status = 204, description = "Removed"))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, hook_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    let hook = resolve_hook(&state, &access, &project, &hook_id).await?;
    access.require(&[Scope::ProjectAdmin])?;
    state
        .execute_in::<ServiceHook>(
            access.org.id,
            &hook.id,
            ServiceHookCommand::DeleteServiceHook,
            &access.caller.metadata(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
