//! The additive counters the issues read model keeps per tag value and per release and
//! environment: one set-based upsert each, shared by the batch fold of occurrences and
//! the fold of their summaries (`summaries`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::ProjectionError;

/// Events, first seen, last seen, added to one counter row.
pub(super) type Count = (i64, DateTime<Utc>, DateTime<Utc>);

/// Adds to `issue_tag_values`: `(issue id, key, value)` and what to add.
pub(super) async fn add_tag_values(
    conn: &mut PgConnection,
    org_id: i64,
    rows: &[((i64, &str, &str), Count)],
) -> Result<(), ProjectionError> {
    add_counts(
        conn,
        org_id,
        "issue_tag_values",
        ["issue_id", "key", "value"],
        rows,
    )
    .await
}

/// Adds to `release_environments`: `(project id, release, environment)` and what to add.
pub(super) async fn add_release_counts(
    conn: &mut PgConnection,
    org_id: i64,
    rows: &[((i64, &str, &str), Count)],
) -> Result<(), ProjectionError> {
    add_counts(
        conn,
        org_id,
        "release_environments",
        ["project_id", "release", "environment"],
        rows,
    )
    .await
}

/// One upsert of `rows` of organization `org_id` into a counts table keyed by three
/// columns and the organization: counts add up, first and last seen widen.
async fn add_counts(
    conn: &mut PgConnection,
    org_id: i64,
    table: &str,
    [a, b, c]: [&str; 3],
    rows: &[((i64, &str, &str), Count)],
) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO {table} AS t ({a}, {b}, {c}, times_seen, first_seen, last_seen, org_id)
         SELECT *, $7::bigint FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],
                              $5::timestamptz[], $6::timestamptz[])
         ON CONFLICT ({a}, {b}, {c}, org_id) DO UPDATE
            SET times_seen = t.times_seen + EXCLUDED.times_seen,
                first_seen = least(t.first_seen, EXCLUDED.first_seen),
                last_seen = greatest(t.last_seen, EXCLUDED.last_seen)"
    ))
    .bind(rows.iter().map(|((id, _, _), _)| *id).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, k, _), _)| *k).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, _, v), _)| *v).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, (n, _, _))| *n).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, (_, f, _))| *f).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, (_, _, l))| *l).collect::<Vec<_>>())
    .bind(org_id)
    .execute(conn)
    .await?;
    Ok(())
}
