//! Time-driven issue transitions: an ignore with a duration ends when it is over.
//!
//! Every process runs this loop; each tick takes a transaction-scoped advisory lock,
//! so one process works a tick at a time. Firing twice is harmless anyway:
//! `ExpireIgnore` changes nothing on an issue that is no longer ignored, and the
//! command bus's optimistic concurrency lets only one of two racing writers append.

use std::sync::Arc;
use std::time::Duration;

use faultline_commands::CommandBus;
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::due::expired_ignores;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::each_organization::across_or_each;

/// How often the scheduler looks for due work.
const TICK: Duration = Duration::from_secs(15);
/// Ignores ended per read (and per organization when read one by one).
const BATCH: i64 = 500;
/// Advisory lock key of the scheduler (namespace, key).
const LOCK: (i32, i32) = (0x0FA1, 0x5C4E);

/// Runs until `shutdown`.
pub async fn run(pool: PgPool, bus: Arc<CommandBus>, shutdown: CancellationToken) {
    loop {
        if let Err(error) = tick(&pool, &bus).await {
            tracing::warn!(%error, "scheduler tick failed");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// One pass: ends every ignore whose time is up. Returns how many it ended.
pub async fn tick(pool: &PgPool, bus: &CommandBus) -> anyhow::Result<usize> {
    let mut lock = pool.begin().await?;
    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
        .bind(LOCK.0)
        .bind(LOCK.1)
        .fetch_one(&mut *lock)
        .await?;
    if !mine {
        return Ok(0);
    }
    let now = chrono::Utc::now();
    let metadata = EventMetadata::system("scheduler", now);
    let mut ended = 0;
    for (stream, organization) in due(pool, now).await? {
        let command = IssueCommand::ExpireIgnore { now };
        match bus
            .execute_in::<Issue>(Some(organization), &stream, command, &metadata)
            .await
        {
            Ok(committed) => ended += usize::from(!committed.events.is_empty()),
            Err(error) => tracing::warn!(stream, %error, "could not end an ignore"),
        }
    }
    lock.commit().await?;
    Ok(ended)
}

/// The ignores due at `now`: one read across every organization, or each on its own
/// while that fails ([`across_or_each`]).
async fn due(
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<(String, i64)>> {
    let found = across_or_each(pool, "scheduler", |organization| async move {
        Ok(expired_ignores(pool, organization, now, BATCH).await?)
    })
    .await?;
    Ok(found.into_iter().flatten().collect())
}
