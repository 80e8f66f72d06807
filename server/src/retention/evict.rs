//! Holding a project to its own limits before its events' partition can go: each pass
//! evicts the bodies of a project's events older than its own `eventRetentionDays`
//! (when shorter than the longest retention, which the partition drop applies) and of
//! its oldest events beyond its `maxStoredEvents` (as Bugsink keeps a number of events
//! per project). The rows stay, heads and all (what the read models fold), so counts
//! and `verify` are untouched; the body, the bulk of an event, goes (through
//! `EventLog::begin_rewrite`), and the event leaves the event list and detail.
//! Each statement names the project's organization: on Citus it runs on the one worker
//! that holds its partition of the log.

use faultline_commands::store::EventLog;
use sqlx::PgPool;

/// A project's events evicted (or, dry, that would be).
#[derive(Debug, Clone)]
pub struct Evicted {
    /// The organization's slug.
    pub org: String,
    /// The project's slug.
    pub project: String,
    /// Event bodies evicted.
    pub events: i64,
    /// Why: `past its retention` or `over its maximum`.
    pub why: &'static str,
}

/// Evicts, in every project whose retention (its own, else `default_days`) is shorter
/// than `longest_days`, the bodies of its events stored before its retention.
pub async fn evict_past_retention(
    pool: &PgPool,
    default_days: u32,
    longest_days: i32,
    dry_run: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Evicted>, sqlx::Error> {
    let projects: Vec<(i64, i64, String, String, i32)> = sqlx::query_as(
        "SELECT p.id, o.id, o.slug, p.slug, coalesce(p.retention_days, $2) FROM projects p
           JOIN organizations o ON o.id = p.org_id
          WHERE coalesce(p.retention_days, $2) < $1 ORDER BY o.slug, p.slug",
    )
    .bind(longest_days)
    .bind(default_days as i32)
    .fetch_all(pool)
    .await?;
    let mut evicted = Vec::new();
    for (project_id, org_id, org, project, days) in projects {
        let cutoff = now - chrono::TimeDelta::days(i64::from(days));
        let events = if dry_run {
            sqlx::query_scalar(
                "SELECT count(*) FROM ingested_events
                  WHERE organization_id = $3 AND project_id = $1 AND body IS NOT NULL
                    AND recorded_at < $2",
            )
            .bind(project_id)
            .bind(cutoff)
            .bind(org_id)
            .fetch_one(pool)
            .await?
        } else {
            let mut tx = EventLog::begin_rewrite(pool).await?;
            let done = sqlx::query(
                "UPDATE ingested_events SET body = NULL
                  WHERE organization_id = $3 AND project_id = $1 AND body IS NOT NULL
                    AND recorded_at < $2",
            )
            .bind(project_id)
            .bind(cutoff)
            .bind(org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            tx.commit().await?;
            done
        };
        if events > 0 {
            tracing::info!(
                org,
                project,
                events,
                dry_run,
                "event bodies past retention evicted"
            );
            evicted.push(Evicted {
                org,
                project,
                events,
                why: "past its retention",
            });
        }
    }
    Ok(evicted)
}

/// Evicts, in every project that set a maximum, the bodies of its oldest stored
/// events beyond it.
pub async fn evict_over_max(pool: &PgPool, dry_run: bool) -> Result<Vec<Evicted>, sqlx::Error> {
    let projects: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT p.id, o.id, o.slug, p.slug, p.max_events FROM projects p
           JOIN organizations o ON o.id = p.org_id
          WHERE p.max_events IS NOT NULL ORDER BY o.slug, p.slug",
    )
    .fetch_all(pool)
    .await?;
    let mut evicted = Vec::new();
    for (project_id, org_id, org, project, max) in projects {
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingested_events
              WHERE organization_id = $2 AND project_id = $1 AND body IS NOT NULL",
        )
        .bind(project_id)
        .bind(org_id)
        .fetch_one(pool)
        .await?;
        let over = stored - max;
        if over <= 0 {
            continue;
        }
        if !dry_run {
            let mut tx = EventLog::begin_rewrite(pool).await?;
            sqlx::query(
                "UPDATE ingested_events SET body = NULL
                  WHERE organization_id = $3 AND project_id = $1
                    AND position IN (SELECT position FROM ingested_events
                                      WHERE organization_id = $3 AND project_id = $1
                                        AND body IS NOT NULL
                                      ORDER BY position LIMIT $2)",
            )
            .bind(project_id)
            .bind(over)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        tracing::info!(org, project, events = over, dry_run, "event bodies evicted");
        evicted.push(Evicted {
            org,
            project,
            events: over,
            why: "over its maximum",
        });
    }
    Ok(evicted)
}
