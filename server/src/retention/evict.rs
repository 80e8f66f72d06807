//! Holding a project to its `maxStoredEvents` (as Bugsink keeps a number of events per
//! project): each pass evicts the bodies of a project's oldest events beyond the
//! maximum. The rows stay, heads and all (what the read models fold), so counts and
//! `verify` are untouched; the body, the bulk of an event, goes (the rewrite path of
//! migration 0030), and the event leaves the event list and detail.

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
}

/// Evicts, in every project that set a maximum, the bodies of its oldest stored
/// events beyond it.
pub async fn evict_over_max(pool: &PgPool, dry_run: bool) -> Result<Vec<Evicted>, sqlx::Error> {
    let projects: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT p.id, o.slug, p.slug, p.max_events FROM projects p
           JOIN organizations o ON o.id = p.org_id
          WHERE p.max_events IS NOT NULL ORDER BY o.slug, p.slug",
    )
    .fetch_all(pool)
    .await?;
    let mut evicted = Vec::new();
    for (project_id, org, project, max) in projects {
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ingested_events WHERE project_id = $1 AND body IS NOT NULL",
        )
        .bind(project_id)
        .fetch_one(pool)
        .await?;
        let over = stored - max;
        if over <= 0 {
            continue;
        }
        if !dry_run {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL faultline.erasure = 'on'")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE ingested_events SET body = NULL
                  WHERE project_id = $1
                    AND position IN (SELECT position FROM ingested_events
                                      WHERE project_id = $1 AND body IS NOT NULL
                                      ORDER BY position LIMIT $2)",
            )
            .bind(project_id)
            .bind(over)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        tracing::info!(org, project, events = over, dry_run, "event bodies evicted");
        evicted.push(Evicted {
            org,
            project,
            events: over,
        });
    }
    Ok(evicted)
}
