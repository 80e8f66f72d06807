//! Merging issues (a bulk `PUT` with `merge: 1`): every selected issue moves into
//! the one with the most events.

use chrono::Utc;
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::queries::IssueRow;
use serde_json::{json, Value};

use super::update::actor;
use super::update_body::bad;
use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// Merges `rows` into the one with the most events.
pub async fn merge(
    state: &AppState,
    access: &OrgAccess,
    rows: &[IssueRow],
    metadata: &EventMetadata,
) -> Result<Value, ApiError> {
    if rows.len() < 2 {
        return Err(bad("Only one issue was selected: nothing to merge."));
    }
    if rows.iter().any(|row| row.project_id != rows[0].project_id) {
        return Err(bad("Merging across multiple projects is not supported."));
    }
    let primary = rows
        .iter()
        .max_by_key(|row| (row.times_seen, std::cmp::Reverse(row.id)))
        .ok_or_else(|| bad("No issues selected."))?;
    let secondaries: Vec<&IssueRow> = rows.iter().filter(|row| row.id != primary.id).collect();
    let at = Utc::now();
    for secondary in &secondaries {
        let command = IssueCommand::MergeInto {
            primary_issue_id: primary.id,
            primary_stream: primary.stream_id.clone(),
            at,
            actor: actor(access),
        };
        state
            .execute_in::<Issue>(secondary.org_id, &secondary.stream_id, command, metadata)
            .await?;
    }
    let from_issue_ids: Vec<i64> = secondaries.iter().map(|row| row.id).collect();
    let command = IssueCommand::AbsorbMerge {
        from_issue_ids: from_issue_ids.clone(),
        at,
        actor: actor(access),
    };
    state
        .execute_in::<Issue>(primary.org_id, &primary.stream_id, command, metadata)
        .await?;
    Ok(json!({"merge": {
        "parent": primary.id.to_string(),
        "children": from_issue_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
    }}))
}
