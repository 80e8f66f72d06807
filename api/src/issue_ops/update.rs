//! Applying a validated update to an issue: one command of the issue aggregate per
//! changed field.

use chrono::Utc;
use faultline_domain::issue::{Issue, IssueCommand, ResolveDetails};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::queries::{self, IssueRow};
use faultline_projections::releases::queries as release_queries;

use super::update_body::{Resolution, StatusChange, Update};
use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::state::AppState;

/// Who acts, in the log-metadata format.
pub fn actor(access: &OrgAccess) -> Option<String> {
    Some(format!("user:{}", access.caller.user_id()))
}

/// Applies `update` to one issue, one command per changed field.
pub async fn apply_update(
    state: &AppState,
    access: &OrgAccess,
    row: &IssueRow,
    update: &Update,
    metadata: &EventMetadata,
) -> Result<(), ApiError> {
    let at = Utc::now();
    let user_id = access.caller.user_id();
    let mut commands = Vec::new();
    match &update.status {
        Some(StatusChange::Resolve(resolution)) => {
            let details = match resolution {
                Resolution::Plain => ResolveDetails::Plain,
                Resolution::InNextRelease => ResolveDetails::InNextRelease {
                    current_release: latest_release(state, row.org_id, row.project_id).await?,
                    earlier_releases: earlier_releases(state, row.org_id, row.project_id, None)
                        .await?,
                },
                Resolution::InRelease(version) => ResolveDetails::InRelease {
                    version: version.clone(),
                    earlier_releases: earlier_releases(
                        state,
                        row.org_id,
                        row.project_id,
                        Some(version),
                    )
                    .await?,
                },
                Resolution::InLatestRelease => {
                    match latest_release(state, row.org_id, row.project_id).await? {
                        Some(version) => ResolveDetails::InRelease {
                            earlier_releases: earlier_releases(
                                state,
                                row.org_id,
                                row.project_id,
                                Some(&version),
                            )
                            .await?,
                            version,
                        },
                        None => ResolveDetails::Plain,
                    }
                }
            };
            commands.push(IssueCommand::Resolve {
                details,
                at,
                actor: actor(access),
            });
        }
        Some(StatusChange::Unresolve) => commands.push(IssueCommand::Unresolve {
            at,
            actor: actor(access),
        }),
        Some(StatusChange::Ignore(details)) => commands.push(IssueCommand::Ignore {
            details: details.clone(),
            at,
            actor: actor(access),
        }),
        None => {}
    }
    match update.assign {
        Some(Some(assignee)) => commands.push(IssueCommand::Assign {
            assignee,
            at,
            actor: actor(access),
        }),
        Some(None) => commands.push(IssueCommand::Unassign {
            at,
            actor: actor(access),
        }),
        None => {}
    }
    match update.has_seen {
        Some(true) => commands.push(IssueCommand::MarkSeen { user_id, at }),
        Some(false) => commands.push(IssueCommand::MarkUnseen { user_id, at }),
        None => {}
    }
    if let Some(bookmarked) = update.bookmarked {
        commands.push(IssueCommand::SetBookmark {
            user_id,
            bookmarked,
            at,
        });
    }
    if let Some(subscribed) = update.subscribed {
        commands.push(IssueCommand::SetSubscribed {
            user_id,
            subscribed,
            at,
        });
    }
    if let Some(public) = update.public {
        commands.push(IssueCommand::SetPublic {
            public,
            at,
            actor: actor(access),
        });
    }
    for command in commands {
        state
            .execute_in::<Issue>(row.org_id, &row.stream_id, command, metadata)
            .await?;
    }
    Ok(())
}

/// The releases a resolve records as older than the one it names (or than now).
const EARLIER_RELEASES: i64 = 1_000;

/// The project's newest release: the newest created, else the one its events carried
/// last (a project whose releases were never created).
async fn latest_release(
    state: &AppState,
    org_id: i64,
    project_id: i64,
) -> Result<Option<String>, ApiError> {
    match release_queries::latest_in_project(&state.pool, org_id, project_id).await? {
        Some(version) => Ok(Some(version)),
        None => Ok(queries::latest_release(&state.pool, org_id, project_id).await?),
    }
}

/// The project's releases created before `version` (or all of them).
async fn earlier_releases(
    state: &AppState,
    org_id: i64,
    project_id: i64,
    version: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    Ok(release_queries::earlier_in_project(
        &state.pool,
        org_id,
        project_id,
        version,
        EARLIER_RELEASES,
    )
    .await?)
}
