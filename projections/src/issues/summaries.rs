//! `OccurrencesSummarized`: what a stream's occurrences below a log position added,
//! recorded before retention drops them. Retention drops them only once every
//! projection has applied the summaries, so a read model that meets a summary while
//! the occurrences are still in the log has folded them: it leaves its counts alone and
//! forgets the events' rows, which are about to go. A read model rebuilt after the drop
//! never saw them, and adds the summary instead.

use faultline_domain::issue::{IssueEvent, SummaryPart};
use sqlx::PgConnection;

use super::counts;
use crate::{ProjectionError, StoredEvent};

pub(super) async fn apply(
    conn: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let IssueEvent::OccurrencesSummarized {
        below,
        project_id,
        parts,
        ..
    } = event.decode::<IssueEvent>()?
    else {
        return Err(ProjectionError::Invalid(format!(
            "event at position {} is not a summary",
            event.position
        )));
    };
    let dropped: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM dropped_partitions WHERE upper >= $1)")
            .bind(below)
            .fetch_one(&mut *conn)
            .await?;
    if !dropped {
        let issues: Vec<i64> = parts.iter().map(|part| part.issue_id).collect();
        sqlx::query(
            "DELETE FROM issue_events WHERE issue_id = ANY($1) AND position < $2 AND org_id = $3",
        )
        .bind(&issues)
        .bind(below)
        .bind(event.organization_id)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    }
    for part in &parts {
        add(conn, event.organization_id, project_id, part).await?;
    }
    Ok(())
}

/// Folds one part as its occurrences would have been folded: into its issue when that
/// is still in the read models, and into its project's release counts in any case
/// (a deleted issue's events still count for their release).
async fn add(
    conn: &mut PgConnection,
    org_id: i64,
    project_id: i64,
    part: &SummaryPart,
) -> Result<(), ProjectionError> {
    let summary = &part.summary;
    let releases: Vec<_> = summary
        .releases
        .iter()
        .map(|r| {
            let key = (project_id, r.release.as_str(), r.environment.as_str());
            (key, (r.events, r.first_seen, r.last_seen))
        })
        .collect();
    counts::add_release_counts(&mut *conn, org_id, &releases).await?;

    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM issues WHERE id = $1 AND org_id = $2)")
            .bind(part.issue_id)
            .bind(org_id)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(());
    }
    // Counted from what the insert returns: on Citus an `INSERT … SELECT` reports the
    // rows it selected as affected, conflicts included.
    let new_users = sqlx::query_scalar::<_, i64>(
        "INSERT INTO issue_users (issue_id, user_key, org_id)
         SELECT $1, unnest($2::text[]), $3
         ON CONFLICT DO NOTHING
         RETURNING issue_id",
    )
    .bind(part.issue_id)
    .bind(&summary.users)
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?
    .len() as i64;
    // The level is the last event's: the summary's only if no later event was folded
    // yet (its rows are the issue's only ones: those below are gone).
    sqlx::query(
        "UPDATE issues
            SET times_seen = times_seen + $2,
                first_seen = least(first_seen, $3),
                last_seen = greatest(last_seen, $4),
                user_count = user_count + $5,
                level = CASE WHEN EXISTS (SELECT 1 FROM issue_events
                                           WHERE issue_id = $1 AND org_id = $7)
                             THEN level ELSE $6 END
          WHERE id = $1 AND org_id = $7",
    )
    .bind(part.issue_id)
    .bind(summary.events)
    .bind(summary.first_seen)
    .bind(summary.last_seen)
    .bind(new_users)
    .bind(&summary.level)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    let tags: Vec<_> = summary
        .tags
        .iter()
        .map(|t| {
            let key = (part.issue_id, t.key.as_str(), t.value.as_str());
            (key, (t.events, t.first_seen, t.last_seen))
        })
        .collect();
    counts::add_tag_values(conn, org_id, &tags).await
}
