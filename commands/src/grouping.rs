//! Which issue an event joins when the grouping configuration changed: its current
//! hash's, unless only its legacy hash names an existing issue, in which case it joins
//! that one and its current hash becomes an alias of it (`grouping_aliases`), so later
//! events with that hash find the issue even when their legacy hash differs.

use faultline_domain::issue::issue_stream_id;
use sqlx::PgPool;

/// Where an event goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The hash of its issue.
    pub hash: String,
    /// Whether that is an older issue's (through the legacy hash or an alias).
    pub fallback: bool,
    /// Whether the issue exists already, so the decision holds for later events.
    pub settled: bool,
}

/// The hash the event's issue has.
pub async fn issue_hash(
    pool: &PgPool,
    organization_id: i64,
    project_id: i64,
    current: &str,
    legacy: &str,
) -> Result<Decision, sqlx::Error> {
    // The heads are looked up in the organization's partition: on Citus, on its one
    // worker.
    let (alias, current_exists, legacy_exists): (Option<String>, bool, bool) = sqlx::query_as(
        "SELECT (SELECT target_hash FROM grouping_aliases WHERE project_id = $1 AND hash = $2),
                EXISTS (SELECT 1 FROM stream_heads
                         WHERE aggregate_type = 'issue' AND aggregate_id = $3
                           AND organization_id = $5),
                EXISTS (SELECT 1 FROM stream_heads
                         WHERE aggregate_type = 'issue' AND aggregate_id = $4
                           AND organization_id = $5)",
    )
    .bind(project_id)
    .bind(current)
    .bind(issue_stream_id(project_id, current))
    .bind(issue_stream_id(project_id, legacy))
    .bind(organization_id)
    .fetch_one(pool)
    .await?;
    if let Some(target) = alias {
        return Ok(Decision {
            hash: target,
            fallback: true,
            settled: true,
        });
    }
    if current_exists || !legacy_exists {
        return Ok(Decision {
            hash: current.to_owned(),
            fallback: false,
            settled: current_exists,
        });
    }
    // Two processes may race to alias the same hash to two legacy issues: the first
    // alias stored wins, and both follow it.
    let target: String = sqlx::query_scalar(
        "INSERT INTO grouping_aliases (project_id, hash, target_hash) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, hash) DO UPDATE SET hash = EXCLUDED.hash
         RETURNING target_hash",
    )
    .bind(project_id)
    .bind(current)
    .bind(legacy)
    .fetch_one(pool)
    .await?;
    Ok(Decision {
        hash: target,
        fallback: true,
        settled: true,
    })
}
