//! Durable projection checkpoints (`projection_checkpoints`): one row per projection
//! and partition of the log (organization) it has applied events of.

use std::collections::BTreeMap;

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, PgPool};

/// A projection's stored progress in one partition, or summed over all of them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    /// The projection's name.
    pub name: String,
    /// Transaction id of the last applied event (over all partitions: the latest).
    pub last_tx_id: i64,
    /// Position of the last applied event.
    pub last_position: i64,
    /// How many events the projection applied in all.
    pub events_applied: i64,
    /// Position of the event it stopped on, if it failed.
    pub failed_position: Option<i64>,
    /// Why it failed.
    pub failed_error: Option<String>,
}

impl Checkpoint {
    /// The last applied event's place in the log.
    pub fn position(&self) -> LogPosition {
        LogPosition {
            tx_id: self.last_tx_id,
            position: self.last_position,
        }
    }
}

/// Makes sure the projection has a checkpoint row (at the start of the log) in
/// partition 0; the other partitions get theirs with their first batch.
pub async fn register(pool: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name) VALUES ($1)
         ON CONFLICT (name, organization_id) DO NOTHING",
    )
    .bind(name)
    .execute(pool)
    .await?;
    Ok(())
}

/// Where the projection stands in `partition` (the start of the log if it has not
/// applied anything there); callers hold the projection's advisory lock.
pub async fn read(
    conn: &mut PgConnection,
    name: &str,
    partition: i64,
) -> Result<LogPosition, sqlx::Error> {
    Ok(stored_in(conn, name, partition)
        .await?
        .unwrap_or(LogPosition::START))
}

/// Moves the checkpoint of `partition` to `to`, counting `applied` more events, and
/// clears a failure.
pub async fn advance(
    conn: &mut PgConnection,
    name: &str,
    partition: i64,
    to: LogPosition,
    applied: i64,
) -> Result<(), sqlx::Error> {
    // The notification is delivered at commit: other processes learn the projection
    // moved. One statement for both saves a round trip per batch.
    sqlx::query(
        "WITH moved AS (
             INSERT INTO projection_checkpoints AS c
                 (name, organization_id, last_tx_id, last_position, events_applied)
             VALUES ($1, $2, $3::text::xid8, $4, $5)
             ON CONFLICT (name, organization_id) DO UPDATE
                SET last_tx_id = excluded.last_tx_id, last_position = excluded.last_position,
                    events_applied = c.events_applied + excluded.events_applied,
                    updated_at = excluded.updated_at, failed_position = NULL, failed_error = NULL
             RETURNING name)
         SELECT pg_notify('faultline_checkpoints', $6) FROM moved",
    )
    .bind(name)
    .bind(partition)
    .bind(to.tx_id.to_string())
    .bind(to.position)
    .bind(applied)
    .bind(notification(name, partition, to))
    .execute(conn)
    .await?;
    Ok(())
}

/// The payload of a checkpoint's move on `faultline_checkpoints`.
pub(crate) fn notification(name: &str, partition: i64, to: LogPosition) -> String {
    format!("{name} {partition} {} {}", to.tx_id, to.position)
}

/// Records that the projection stopped on the event at `position` of `partition`.
pub async fn record_failure(
    pool: &PgPool,
    name: &str,
    partition: i64,
    position: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints AS c
             (name, organization_id, failed_position, failed_error)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (name, organization_id) DO UPDATE
            SET failed_position = excluded.failed_position,
                failed_error = excluded.failed_error, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(partition)
    .bind(position)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The projection's progress over every partition (if it is registered): the latest
/// position any partition reached, every event counted, the first failure.
pub async fn get(pool: &PgPool, name: &str) -> Result<Option<Checkpoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name,
                (array_agg(last_tx_id::text::bigint ORDER BY last_tx_id DESC, last_position DESC))[1]
                    AS last_tx_id,
                (array_agg(last_position ORDER BY last_tx_id DESC, last_position DESC))[1]
                    AS last_position,
                sum(events_applied)::bigint AS events_applied,
                (array_agg(failed_position ORDER BY organization_id)
                    FILTER (WHERE failed_position IS NOT NULL))[1] AS failed_position,
                (array_agg(failed_error ORDER BY organization_id)
                    FILTER (WHERE failed_position IS NOT NULL))[1] AS failed_error
           FROM projection_checkpoints
          WHERE name = $1
          GROUP BY name",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
}

/// Where the projection stands in each partition it has a checkpoint in, read on
/// `conn`.
pub async fn positions_in(
    conn: &mut PgConnection,
    name: &str,
) -> Result<BTreeMap<i64, LogPosition>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT organization_id, last_tx_id::text::bigint, last_position
           FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(partition, tx_id, position)| (partition, LogPosition { tx_id, position }))
        .collect())
}

/// Replaces the projection's checkpoints by `partitions` (each: partition, position,
/// events applied there), as a rebuild swapped in leaves them; each partition's move
/// is notified.
pub async fn reset_to(
    conn: &mut PgConnection,
    name: &str,
    partitions: &[(i64, LogPosition, i64)],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<i64> = partitions.iter().map(|p| p.0).collect();
    let tx_ids: Vec<String> = partitions.iter().map(|p| p.1.tx_id.to_string()).collect();
    let positions: Vec<i64> = partitions.iter().map(|p| p.1.position).collect();
    let applied: Vec<i64> = partitions.iter().map(|p| p.2).collect();
    let notifications: Vec<String> = partitions
        .iter()
        .map(|(id, position, _)| notification(name, *id, *position))
        .collect();
    sqlx::query(
        "WITH set AS (
             INSERT INTO projection_checkpoints
                 (name, organization_id, last_tx_id, last_position, events_applied)
             SELECT $1, p.organization_id, p.tx_id::xid8, p.position, p.applied
               FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
                    AS p(organization_id, tx_id, position, applied)
             RETURNING organization_id)
         SELECT count(pg_notify('faultline_checkpoints', n))
           FROM unnest($6::text[]) AS n WHERE EXISTS (SELECT 1 FROM set)",
    )
    .bind(name)
    .bind(&ids)
    .bind(&tx_ids)
    .bind(&positions)
    .bind(&applied)
    .bind(&notifications)
    .execute(&mut *conn)
    .await?;
    // The partition 0 row a registered projection always has.
    if !ids.contains(&0) {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name) VALUES ($1)
             ON CONFLICT (name, organization_id) DO NOTHING",
        )
        .bind(name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Sets the projection's checkpoint in one partition (partition, position, events
/// applied there), as a rebuild of that partition swapped in leaves it; the others
/// stay. The move is notified.
pub async fn reset_partition_to(
    conn: &mut PgConnection,
    name: &str,
    (partition, to, applied): (i64, LogPosition, i64),
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1 AND organization_id = $2")
        .bind(name)
        .bind(partition)
        .execute(&mut *conn)
        .await?;
    advance(conn, name, partition, to, applied).await
}

/// Where the projection stands in `partition`, if it has applied anything there.
pub async fn get_in(
    pool: &PgPool,
    name: &str,
    partition: i64,
) -> Result<Option<LogPosition>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    stored_in(&mut conn, name, partition).await
}

async fn stored_in(
    conn: &mut PgConnection,
    name: &str,
    partition: i64,
) -> Result<Option<LogPosition>, sqlx::Error> {
    let stored: Option<(i64, i64)> = sqlx::query_as(
        "SELECT last_tx_id::text::bigint, last_position FROM projection_checkpoints
          WHERE name = $1 AND organization_id = $2",
    )
    .bind(name)
    .bind(partition)
    .fetch_optional(conn)
    .await?;
    Ok(stored.map(|(tx_id, position)| LogPosition { tx_id, position }))
}
