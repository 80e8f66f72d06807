//! Issues whose time-based state is due (read by the scheduler).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Streams of ignored issues whose ignore duration ended by `now`, at most `limit`.
pub async fn expired_ignores(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT stream_id, org_id FROM issues
          WHERE status = 'ignored'
            AND status_details ? 'ignoreUntil'
            AND jsonb_typeof(status_details->'ignoreUntil') = 'string'
            AND (status_details->>'ignoreUntil')::timestamptz <= $1
          ORDER BY id
          LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// An issue whose last event is older than its project's retention.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExpiredIssue {
    /// Its numeric id.
    pub id: i64,
    /// Its stream (the aggregate id).
    pub stream_id: String,
    /// Its organization's id: the partition of its stream.
    pub org_id: i64,
    /// Its organization's slug.
    pub org: String,
    /// Its project's slug.
    pub project: String,
    /// Its number in the project (`short_id`).
    pub short_number: i64,
    /// When its last event happened.
    pub last_seen: DateTime<Utc>,
    /// The retention it is past, in days.
    pub retention_days: i32,
}

/// Issues whose last event is older than their project's retention at `now` (the
/// project's own days, else `default_days`), oldest first, after `after` (the
/// `(last_seen, id)` of the last one a caller handled), at most `limit`.
pub async fn expired_issues(
    pool: &PgPool,
    now: DateTime<Utc>,
    default_days: u32,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<ExpiredIssue>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.stream_id, i.org_id, o.slug AS org, p.slug AS project, i.short_number, i.last_seen,
                coalesce(p.retention_days, $2) AS retention_days
           FROM issues i
           JOIN projects p ON p.id = i.project_id
           JOIN organizations o ON o.id = p.org_id
          WHERE i.last_seen < $1 - make_interval(days => coalesce(p.retention_days, $2))
            AND ($3::timestamptz IS NULL OR (i.last_seen, i.id) > ($3, $4))
          ORDER BY i.last_seen, i.id
          LIMIT $5",
    )
    .bind(now)
    .bind(default_days as i32)
    .bind(after.map(|(at, _)| at))
    .bind(after.map_or(0, |(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}
