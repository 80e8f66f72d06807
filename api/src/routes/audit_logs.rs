//! `GET /api/0/organizations/{org}/audit-logs/`: the organization's audit log, as
//! Sentry serves it.
//!
//! ```json
//! {"rows": [{"id": "42", "actor": {"id": "7", "email": "a@b.c", ...}, "event": "project.create",
//!            "ipAddress": "127.0.0.1", "note": "created project backend", "targetObject": 3,
//!            "targetUser": null, "data": {"id": 3, "slug": "backend", ...},
//!            "dateCreated": "2026-01-01T00:00:00.000Z"}],
//!  "options": ["org.create", "org.edit", ...]}
//! ```
//!
//! Newest first; `?event=<name>` and `?actor=<user id>` narrow it; pages as the other
//! lists do (`?per_page=`, `?cursor=`, `Link` header). Needs `org:write` (owners and
//! managers), as in Sentry.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use faultline_domain::role::Scope;
use faultline_projections::audit::queries::{self, AuditFilter, AuditRow, AuditUser};
use faultline_projections::audit::EVENT_NAMES;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::field_error;
use crate::json::date;
use crate::pagination::{link_header, PageParams};
use crate::render::user::sentry_user;
use crate::state::AppState;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The audit log route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Filters {
    event: Option<String>,
    actor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/audit-logs/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id"), Filters, crate::pagination::PageParams),
    responses((status = 200, description = "One page of the audit log, newest first", body = crate::openapi::AuditLog, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(filters): Query<Filters>,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&[Scope::OrgWrite])?;
    let page = params.page()?;
    let actor_user_id = match filters.actor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(actor) => Some(
            actor
                .parse()
                .map_err(|_| field_error("actor", "A valid integer is required."))?,
        ),
    };
    let filter = AuditFilter {
        event: filters.event.filter(|event| !event.is_empty()),
        actor_user_id,
    };
    let found = queries::list(&state.pool, access.org.id, &filter, page).await?;
    let body = json!({
        "rows": found.rows.iter().map(row_json).collect::<Vec<_>>(),
        "options": EVENT_NAMES,
    });
    Ok((
        link_header(&state.public_url, &uri, page, found.has_more),
        Json(body),
    ))
}

fn user_json(user: &AuditUser) -> Value {
    let name = if user.name.is_empty() {
        &user.email
    } else {
        &user.name
    };
    sentry_user(
        user.id,
        &user.email,
        name,
        user.date_joined,
        user.is_superuser,
    )
}

/// Sentry's `AuditLogEntrySerializer`: an actor with no user is `{"name": ...}`
/// (here the component of a `system:` actor).
fn row_json(row: &AuditRow) -> Value {
    let actor = match &row.actor_user {
        Some(user) => user_json(user),
        None => {
            let name = row
                .actor
                .split_once(':')
                .map_or(row.actor.as_str(), |(_, name)| name);
            json!({ "name": name })
        }
    };
    json!({
        "id": row.id.to_string(),
        "actor": actor,
        "event": row.event,
        "ipAddress": row.ip_address,
        "note": row.note,
        "targetObject": row.target_object,
        "targetUser": row.target_user.as_ref().map(user_json),
        "data": row.data,
        "dateCreated": date(row.date_created),
    })
}
