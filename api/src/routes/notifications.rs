//! `GET /api/0/organizations/{org}/notifications/` (a Faultline extension): the
//! organization's outbox, how the delivery of each alert notification went.
//!
//! ```json
//! [{"id": "0f9c…", "channel": "webhook", "target": "https://hooks.example.com/x",
//!   "state": "failed", "attempts": 1, "lastError": "receiver answered 410 Gone",
//!   "lastStatus": 410, "dateCreated": "2026-01-01T00:00:00.000Z", "dateDelivered": null,
//!   "workflowId": "7", "hookId": null, "issueId": "42"}]
//! ```
//!
//! Newest first; `?state=pending|delivered|failed|dropped` and `?workflow=<id>`
//! narrow it; pages as the other lists do (`?per_page=`, `?cursor=`, `Link`
//! header). Any member may read it (`org:read`); the signing secrets are never shown.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use faultline_domain::role::Scope;
use faultline_projections::notifications::{self, NotificationFilter, NotificationRow, STATES};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::fields::field_error;
use crate::json::date;
use crate::pagination::{paged, PageParams};
use crate::state::AppState;

/// The notifications route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Filters {
    /// `pending`, `delivered`, `failed` or `dropped`.
    state: Option<String>,
    /// A workflow id: only its notifications.
    workflow: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/notifications/",
    tag = "organizations",
    params(("org" = String, Path, description = "Organization slug or numeric id"), Filters, crate::pagination::PageParams),
    responses((status = 200, description = "One page of the organization's notifications, newest first", body = Vec<crate::openapi::Notification>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
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
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let page = params.page()?;
    let wanted_state = match filters.state.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(wanted) if STATES.contains(&wanted) => Some(wanted.to_owned()),
        Some(_) => {
            return Err(field_error(
                "state",
                "Must be one of pending, delivered, failed, dropped.",
            ))
        }
    };
    let filter = NotificationFilter {
        state: wanted_state,
        workflow_id: filters
            .workflow
            .map(|workflow| workflow.trim().to_owned())
            .filter(|workflow| !workflow.is_empty()),
    };
    let found = notifications::list(&state.pool, access.org.id, &filter, page).await?;
    Ok(paged(&state.public_url, &uri, page, &found, row_json))
}

fn row_json(row: &NotificationRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "channel": row.channel,
        "target": row.target,
        "state": row.state,
        "attempts": row.attempts,
        "lastError": row.last_error,
        "lastStatus": row.last_status,
        "dateCreated": date(row.created_at),
        "dateDelivered": row.delivered_at.map(date),
        "workflowId": row.workflow_id,
        "hookId": row.hook_id,
        "issueId": row.issue_id.map(|id| id.to_string()),
    })
}
