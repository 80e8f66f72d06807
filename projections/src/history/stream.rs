//! One stream's events, in sequence order, one row at a time.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::PgPool;

use super::HistoryError;
use crate::StoredEvent;

/// How much of each payload to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// All of it (to fold the aggregate).
    Whole,
    /// Without an occurrence's `data`, the whole normalized event (to summarise).
    Head,
}

/// Calls `each` with the events of `aggregate_type`/`aggregate_id` in sequence order,
/// those recorded at or before `until` only when given; returns how many there were.
pub async fn for_each(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
    until: Option<DateTime<Utc>>,
    payload: Payload,
    mut each: impl FnMut(StoredEvent) -> Result<(), HistoryError>,
) -> Result<u64, HistoryError> {
    let (payload_sql, body_sql) = match payload {
        Payload::Whole => ("payload", "body"),
        Payload::Head => ("payload #- '{EventIngested,data}'", "NULL::bytea"),
    };
    let sql = format!(
        "SELECT position, tx_id::text::bigint AS tx_id, aggregate_type, aggregate_id, sequence,
                event_type, event_version, {payload_sql} AS payload, {body_sql} AS body, metadata,
                recorded_at, organization_id
           FROM log_events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND ($3::timestamptz IS NULL OR recorded_at <= $3)
          ORDER BY sequence"
    );
    let mut rows = sqlx::query_as::<_, StoredEvent>(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(until)
        .fetch(pool);
    let mut count = 0;
    while let Some(event) = rows.try_next().await? {
        each(event)?;
        count += 1;
    }
    Ok(count)
}
