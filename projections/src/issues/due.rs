//! Issues whose time-based state is due (read by the scheduler).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Streams of ignored issues whose ignore duration ended by `now`, at most `limit`.
pub async fn expired_ignores(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT stream_id FROM issues
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
