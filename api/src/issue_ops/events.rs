//! Finding one event of an issue and shaping it as Sentry's event serializer does.

use faultline_projections::issues::queries::{self, EventRow, IssueRow};
use serde_json::Value;

use crate::error::ApiError;
use crate::render::event::{event_detail_json, occurrence};
use crate::state::AppState;

/// Event `event_id` of `issue`: `latest` (or `recommended`), `oldest` or an event id.
pub async fn event_of_issue(
    state: &AppState,
    issue: &IssueRow,
    event_id: &str,
) -> Result<EventRow, ApiError> {
    match event_id {
        "latest" | "recommended" => {
            queries::latest_event(&state.pool, issue.org_id, issue.id).await?
        }
        "oldest" => queries::oldest_event(&state.pool, issue.org_id, issue.id).await?,
        id => {
            let id = faultline_domain::event::normalize_event_id(id).ok_or(ApiError::NotFound)?;
            queries::event_of_issue(&state.pool, issue.org_id, issue.id, &id).await?
        }
    }
    .ok_or(ApiError::NotFound)
}

/// The event's detail JSON, with its previous and next event ids.
pub async fn event_detail(
    state: &AppState,
    row: &EventRow,
    issue_hash: Option<&str>,
) -> Result<Value, ApiError> {
    Ok(event_detail_parts(state, row, issue_hash).await?.0)
}

/// The event's detail JSON and its stored (normalized) body, which the web UI shows
/// as the raw event.
pub async fn event_detail_parts(
    state: &AppState,
    row: &EventRow,
    issue_hash: Option<&str>,
) -> Result<(Value, Value), ApiError> {
    let occurrence = occurrence(row)?;
    let neighbours = queries::neighbours(&state.pool, row).await?;
    let detail = event_detail_json(row, &occurrence, issue_hash, neighbours);
    Ok((detail, occurrence.data))
}
