//! Adding a comment to an issue.

use chrono::Utc;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_projections::issues::queries::IssueRow;

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// Adds the caller's comment `text` to the issue; answers the comment's id.
pub async fn post_comment(
    state: &AppState,
    access: &OrgAccess,
    row: &IssueRow,
    text: String,
) -> Result<i64, ApiError> {
    let id = next_id(&state.pool, IdKind::Comment).await?;
    let command = IssueCommand::AddComment {
        comment_id: id,
        user_id: access.caller.user_id(),
        text,
        at: Utc::now(),
    };
    state
        .execute_in::<Issue>(
            row.org_id,
            &row.stream_id,
            command,
            &access.caller.metadata(),
        )
        .await?;
    Ok(id)
}
