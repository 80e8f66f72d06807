//! Deleting an issue.

use chrono::Utc;
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::queries::IssueRow;

use super::update::actor;
use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// Deletes one issue (its events stay in the log until retention drops them).
pub async fn delete_issue(
    state: &AppState,
    access: &OrgAccess,
    row: &IssueRow,
    metadata: &EventMetadata,
) -> Result<(), ApiError> {
    let command = IssueCommand::Delete {
        at: Utc::now(),
        actor: actor(access),
    };
    state
        .execute_in::<Issue>(row.org_id, &row.stream_id, command, metadata)
        .await?;
    Ok(())
}
