//! Durable projection checkpoints (`projection_checkpoints`).

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, PgPool};

/// A projection's stored progress.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    /// The projection's name.
    pub name: String,
    /// Transaction id of the last applied event.
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

const SELECT: &str =
    "SELECT name, last_tx_id::text::bigint AS last_tx_id, last_position, events_applied,
                             failed_position, failed_error
                        FROM projection_checkpoints";

/// Makes sure the projection has a checkpoint row (at the start of the log).
pub async fn register(pool: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(pool)
    .await?;
    Ok(())
}

/// Reads the checkpoint (callers hold the projection's advisory lock).
pub async fn read(conn: &mut PgConnection, name: &str) -> Result<Checkpoint, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE name = $1"))
        .bind(name)
        .fetch_one(conn)
        .await
}

/// Reads the checkpoint and locks its row until the end of the transaction.
pub async fn lock(conn: &mut PgConnection, name: &str) -> Result<Checkpoint, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE name = $1 FOR UPDATE"))
        .bind(name)
        .fetch_one(conn)
        .await
}

/// Moves the checkpoint to `to`, counting `applied` more events, and clears a failure.
pub async fn advance(
    conn: &mut PgConnection,
    name: &str,
    to: LogPosition,
    applied: i64,
) -> Result<(), sqlx::Error> {
    // The notification is delivered at commit: other processes learn the projection
    // moved. One statement for both saves a round trip per batch.
    sqlx::query(
        "WITH moved AS (
             UPDATE projection_checkpoints
                SET last_tx_id = $2::text::xid8, last_position = $3,
                    events_applied = events_applied + $4, updated_at = now(),
                    failed_position = NULL, failed_error = NULL
              WHERE name = $1
             RETURNING name)
         SELECT pg_notify('faultline_checkpoints', $5) FROM moved",
    )
    .bind(name)
    .bind(to.tx_id.to_string())
    .bind(to.position)
    .bind(applied)
    .bind(format!("{name} {} {}", to.tx_id, to.position))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that the projection stopped on the event at `position`.
pub async fn record_failure(
    pool: &PgPool,
    name: &str,
    position: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projection_checkpoints SET failed_position = $2, failed_error = $3, updated_at = now()
          WHERE name = $1",
    )
    .bind(name)
    .bind(position)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every stored checkpoint.
pub async fn all(pool: &PgPool) -> Result<Vec<Checkpoint>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} ORDER BY name"))
        .fetch_all(pool)
        .await
}

/// One checkpoint, if the projection is registered.
pub async fn get(pool: &PgPool, name: &str) -> Result<Option<Checkpoint>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE name = $1"))
        .bind(name)
        .fetch_optional(pool)
        .await
}
