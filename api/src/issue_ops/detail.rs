//! An issue's detail as the caller sees it: the REST API's issue JSON, which the web
//! UI renders too.

use std::collections::HashMap;

use faultline_projections::issues::queries::{self, IssueRow, ViewerState};
use faultline_projections::releases::queries as release_queries;
use serde_json::Value;

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::render::issue::issue_detail_json;
use crate::render::release::issue_release_json;
use crate::resolve::resolve_issue;
use crate::state::AppState;

/// Top values shown per tag key.
pub const TOP_TAG_VALUES: i64 = 9;

/// The workflow state of `rows` as `user_id` sees it, by issue id.
pub async fn viewer_states(
    state: &AppState,
    rows: &[IssueRow],
    user_id: i64,
) -> Result<HashMap<i64, ViewerState>, ApiError> {
    let Some(org_id) = rows.first().map(|row| row.org_id) else {
        return Ok(HashMap::new());
    };
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    Ok(queries::viewer_states(&state.pool, org_id, &ids, user_id)
        .await?
        .into_iter()
        .map(|viewer| (viewer.issue_id, viewer))
        .collect())
}

/// The detail of issue `issue_id` as the caller sees it.
pub async fn detail_for(
    state: &AppState,
    access: &OrgAccess,
    issue_id: &str,
) -> Result<Value, ApiError> {
    let row = resolve_issue(state, access, issue_id).await?;
    // Independent reads on separate connections: one round trip of latency, not three.
    let (tags, activity, viewers, (first, last)) = tokio::try_join!(
        async {
            Ok::<_, ApiError>(
                queries::tag_keys(&state.pool, row.org_id, row.id, None, TOP_TAG_VALUES).await?,
            )
        },
        async { Ok::<_, ApiError>(queries::activity(&state.pool, row.org_id, row.id).await?) },
        viewer_states(state, std::slice::from_ref(&row), access.caller.user_id()),
        async {
            Ok::<_, ApiError>(
                queries::first_and_last_release(&state.pool, row.org_id, row.id).await?,
            )
        },
    )?;
    let mut releases = [Value::Null, Value::Null];
    for (slot, tag) in releases.iter_mut().zip([first, last]) {
        if let Some(tag) = tag {
            let release =
                release_queries::by_version(&state.pool, access.org.id, &tag.value).await?;
            *slot = issue_release_json(&tag, release.as_ref());
        }
    }
    let [first, last] = releases;
    Ok(issue_detail_json(
        state,
        &access.org.slug,
        &row,
        viewers.get(&row.id),
        &tags,
        &activity,
        (first, last),
    ))
}
