//! Keeping `ingested_events` partitioned ahead of the log: every process checks once at
//! start (before it ingests) and then every minute; the database function
//! (`ensure_ingested_partitions`, migration 0027) serialises them and sizes each new
//! partition to about a day of ingestion.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// The smallest partition, in log positions: a quiet server keeps few partitions.
pub const MIN_PARTITION_SIZE: i64 = 1_000_000;

/// How often a running server checks that partitions cover the log ahead.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Makes partitions until one lies wholly past the log's current position; returns how
/// many were made.
#[tracing::instrument(name = "faultline.retention.partitions", skip_all, err)]
pub async fn ensure(pool: &PgPool) -> Result<i32, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // On Citus, attaching a partition distributes it.
    faultline_projections::citus::one_connection_per_worker(&mut tx).await?;
    let made: i32 = sqlx::query_scalar("SELECT ensure_ingested_partitions($1)")
        .bind(MIN_PARTITION_SIZE)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    if made > 0 {
        tracing::info!(made, "ingested events partitions made");
    }
    Ok(made)
}

/// Checks every minute until shutdown. A failed check (a lock held too long, the
/// database away) is retried on the next turn: rows past the last partition land in the
/// default one, never refused.
pub async fn run_job(pool: PgPool, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
        if let Err(error) = ensure(&pool).await {
            tracing::warn!(%error, "could not make ingested events partitions");
        }
    }
}
