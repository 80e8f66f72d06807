//! Events per project, release and environment (`release_environments`): what a
//! release list filters by environment on, and a release's event count per project.
//! Folded with the rest of a batch of occurrences, one statement per batch.

use std::collections::HashMap;

use faultline_domain::issue::Occurrence;
use sqlx::PgConnection;

use super::counts::Count;
use crate::ProjectionError;

/// Adds `occurrences` (each with its project) to the counts; events without a
/// release count nowhere.
pub(super) async fn add<'a>(
    conn: &mut PgConnection,
    org_id: i64,
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
    let counts: Vec<_> = counts.into_iter().collect();
    super::counts::add_release_counts(conn, org_id, &counts).await
}
