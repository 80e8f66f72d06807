//! Events per project, release and environment (`release_environments`): what a
//! release list filters by environment on, and a release's event count per project.
//! Folded with the rest of a batch of occurrences, one statement per batch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use faultline_domain::issue::Occurrence;
use sqlx::PgConnection;

use crate::ProjectionError;

/// Events, first seen, last seen.
type Count = (i64, DateTime<Utc>, DateTime<Utc>);

/// Adds `occurrences` (each with its project) to the counts; events without a
/// release count nowhere.
pub(super) async fn add<'a>(
    conn: &mut PgConnection,
    occurrences: impl Iterator<Item = (i64, &'a Occurrence)>,
) -> Result<(), ProjectionError> {
    let mut counts: HashMap<(i64, &str, &str), Count> = HashMap::new();
    for (project_id, occurrence) in occurrences {
        let Some(release) = occurrence.release.as_deref() else {
            continue;
        };
        let environment = occurrence.environment.as_str();
        let at = occurrence.timestamp;
        counts
            .entry((project_id, release, environment))
            .and_modify(|(n, first, last)| {
                *n += 1;
                *first = (*first).min(at);
                *last = (*last).max(at);
            })
            .or_insert((1, at, at));
    }
    if counts.is_empty() {
        return Ok(());
    }
    let counts: Vec<_> = counts.into_iter().collect();
    sqlx::query(
        "INSERT INTO release_environments AS r
                (project_id, release, environment, times_seen, first_seen, last_seen)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],
                              $5::timestamptz[], $6::timestamptz[])
         ON CONFLICT (project_id, release, environment) DO UPDATE
            SET times_seen = r.times_seen + EXCLUDED.times_seen,
                first_seen = least(r.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(r.last_seen, EXCLUDED.last_seen)",
    )
    .bind(counts.iter().map(|((p, _, _), _)| *p).collect::<Vec<_>>())
    .bind(counts.iter().map(|((_, r, _), _)| *r).collect::<Vec<_>>())
    .bind(counts.iter().map(|((_, _, e), _)| *e).collect::<Vec<_>>())
    .bind(counts.iter().map(|(_, (n, _, _))| *n).collect::<Vec<_>>())
    .bind(counts.iter().map(|(_, (_, f, _))| *f).collect::<Vec<_>>())
    .bind(counts.iter().map(|(_, (_, _, l))| *l).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
