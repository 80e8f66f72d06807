//! Runs a projection: batches of the log applied with the checkpoint, exactly once.

use std::sync::Arc;
use std::time::Duration;

use faultline_domain::log_position::LogPosition;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::{read_after_as, Columns};
use crate::notify::LogListener;
use crate::progress::Progress;
use crate::projection::Projection;

/// Namespace of the advisory locks that elect one process per projection.
pub(crate) const LOCK_NAMESPACE: i32 = 0x0FA1;

/// Takes the projection for this transaction, if no other process has it.
///
/// It also turns off `synchronous_commit` for the transaction: a read model is derived
/// from the durable log and moves with its checkpoint in one transaction, so a commit
/// lost to a database crash is simply applied again from the older checkpoint, and the
/// projection need not wait for its WAL to reach the disk. One statement for both saves
/// a round trip per batch.
const TAKE_PROJECTION: &str = "SELECT pg_try_advisory_xact_lock($1, hashtext($2))
                                 FROM set_config('synchronous_commit', 'off', true)";

/// Tunables of a runner.
#[derive(Debug, Clone, Copy)]
pub struct RunnerConfig {
    /// Events per transaction.
    pub batch_size: i64,
    /// With no notification, look at the log this often anyway (also how soon a
    /// process takes over a projection whose runner died elsewhere).
    pub idle_poll: Duration,
    /// Wait this long after a transient failure (database down) before retrying.
    pub retry_after: Duration,
    /// Start reads at most this often unless the last batch was full. Under a steady
    /// stream a runner that reads again at once gets a handful of events per
    /// transaction and rewrites the same rows (issue counters, tag values) each time;
    /// waiting a little folds many events into one write of each row. 100 ms: with
    /// events spread over 50 issues, every issue row update rewrites a dozen index
    /// entries and every batch writes a tag-value row per issue, key and value, so
    /// 25 ms batches left PostgreSQL a third more work per event than one hot issue
    /// (K=50 +15-25 % in the bench). It bounds what a write waiting for its read
    /// model (`AppState::settle`) waits under a steady stream; an idle runner reads at
    /// once.
    pub gather: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            batch_size: 2_000,
            idle_poll: Duration::from_secs(1),
            retry_after: Duration::from_secs(1),
            gather: Duration::from_millis(100),
        }
    }
}

/// What one batch did.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Applied this many events (0: nothing new).
    Applied(usize),
    /// Another process holds the projection.
    Busy,
}

/// A batch that could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The database went away; try again later.
    #[error("transient failure")]
    Transient(#[source] ProjectionError),
    /// The event at `position` cannot be applied: the projection stops there.
    #[error("event at position {position} failed")]
    Failed {
        /// The failing event.
        position: i64,
        /// Why.
        #[source]
        error: ProjectionError,
    },
}

impl From<sqlx::Error> for BatchError {
    fn from(error: sqlx::Error) -> Self {
        BatchError::Transient(ProjectionError::Database(error))
    }
}

/// Feeds one projection from the log.
pub struct ProjectionRunner {
    pool: PgPool,
    projection: Arc<dyn Projection>,
    listener: LogListener,
    progress: Arc<Progress>,
    config: RunnerConfig,
}

impl ProjectionRunner {
    /// A runner for `projection`.
    pub fn new(
        pool: PgPool,
        projection: Arc<dyn Projection>,
        listener: LogListener,
        progress: Arc<Progress>,
        config: RunnerConfig,
    ) -> Self {
        Self {
            pool,
            projection,
            listener,
            progress,
            config,
        }
    }

    /// Applies the next batch, if this process can take the projection: lock,
    /// read the checkpoint, apply the events, move the checkpoint, commit, all in one
    /// transaction.
    pub async fn run_batch(&self) -> Result<BatchOutcome, BatchError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar(TAKE_PROJECTION)
            .bind(LOCK_NAMESPACE)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(BatchOutcome::Busy);
        }
        // The advisory lock is what keeps every other writer of this checkpoint out
        // (other runners, replay's swap), so a plain read suffices and an empty poll
        // stays read-only: no transaction id, no WAL, no flush at commit.
        let start = checkpoint::read(&mut tx, name).await?.position();
        let events = read_after_as(
            &mut tx,
            self.projection.aggregate_types(),
            Columns::of(&*self.projection),
            start,
            self.config.batch_size,
        )
        .await?;
        let Some(last) = events.last().map(|e| e.log_position()) else {
            self.progress.observe(name, start);
            return Ok(BatchOutcome::Applied(0));
        };
        if events.len() == 1 {
            self.projection
                .apply(&mut tx, &events[0])
                .await
                .map_err(|error| classify(error, events[0].position))?;
        } else if let Err(error) = self.projection.apply_batch(&mut tx, &events).await {
            if error.is_transient() {
                return Err(BatchError::Transient(error));
            }
            // Find the failing event: apply one by one in a fresh transaction.
            drop(tx);
            tracing::warn!(%error, "batch failed, retrying event by event");
            return self.run_single_steps(start, events.len()).await;
        }
        checkpoint::advance(&mut tx, name, last, events.len() as i64).await?;
        tx.commit().await?;
        self.progress.observe(name, last);
        Ok(BatchOutcome::Applied(events.len()))
    }

    /// Applies up to `count` events after `start` one transaction each, so that a
    /// failure names its exact event and everything before it is kept.
    async fn run_single_steps(
        &self,
        start: LogPosition,
        count: usize,
    ) -> Result<BatchOutcome, BatchError> {
        let name = self.projection.name();
        let mut applied = 0;
        let mut position = start;
        while applied < count {
            let mut tx = self.pool.begin().await?;
            let locked: bool = sqlx::query_scalar(TAKE_PROJECTION)
                .bind(LOCK_NAMESPACE)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            if !locked || checkpoint::read(&mut tx, name).await?.position() != position {
                return Ok(BatchOutcome::Applied(applied));
            }
            let events = read_after_as(
                &mut tx,
                self.projection.aggregate_types(),
                Columns::of(&*self.projection),
                position,
                1,
            )
            .await?;
            let Some(event) = events.first() else {
                break;
            };
            self.projection
                .apply(&mut tx, event)
                .await
                .map_err(|error| classify(error, event.position))?;
            position = event.log_position();
            checkpoint::advance(&mut tx, name, position, 1).await?;
            tx.commit().await?;
            self.progress.observe(name, position);
            applied += 1;
        }
        Ok(BatchOutcome::Applied(applied))
    }

    /// Runs until `shutdown` (finishing the batch in hand) or until an event fails.
    pub async fn run(self, shutdown: CancellationToken) {
        let name = self.projection.name();
        let span = tracing::info_span!("faultline.projection", projection = name);
        self.run_loop(shutdown).instrument(span).await
    }

    async fn run_loop(self, shutdown: CancellationToken) {
        let name = self.projection.name();
        let mut wake = self
            .listener
            .subscribe_to(self.projection.aggregate_types());
        while let Err(error) = checkpoint::register(&self.pool, name).await {
            tracing::warn!(%error, "cannot register checkpoint, retrying");
            if sleep_or_cancel(&shutdown, self.config.retry_after).await {
                return;
            }
        }
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            wake.borrow_and_update();
            let started = tokio::time::Instant::now();
            // After a partial batch more is likely on its way: read again without
            // waiting for a wakeup.
            let mut more = false;
            match self.run_batch().await {
                Ok(BatchOutcome::Applied(n)) if n as i64 == self.config.batch_size => continue,
                Ok(BatchOutcome::Applied(n)) => {
                    if n > 0 {
                        tracing::debug!(events = n, "batch applied");
                        more = true;
                    }
                }
                Ok(BatchOutcome::Busy) => {}
                Err(BatchError::Transient(error)) => {
                    tracing::warn!(error = %error, cause = ?std::error::Error::source(&error), "projection paused");
                    if sleep_or_cancel(&shutdown, self.config.retry_after).await {
                        return;
                    }
                    continue;
                }
                Err(BatchError::Failed { position, error }) => {
                    let message = error_chain(&error);
                    tracing::error!(position, error.message = %message, "projection stopped on an event");
                    if let Err(error) =
                        checkpoint::record_failure(&self.pool, name, position, &message).await
                    {
                        tracing::error!(%error, "could not record the projection failure");
                    }
                    return;
                }
            }
            if !more {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(self.config.idle_poll) => {}
                }
            }
            // Under a steady stream every commit wakes the runner: reading at most
            // once per `gather` folds many commits into one batch.
            if sleep_or_cancel(
                &shutdown,
                self.config.gather.saturating_sub(started.elapsed()),
            )
            .await
            {
                return;
            }
        }
    }
}

fn classify(error: ProjectionError, position: i64) -> BatchError {
    if error.is_transient() {
        BatchError::Transient(error)
    } else {
        BatchError::Failed { position, error }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

async fn sleep_or_cancel(shutdown: &CancellationToken, duration: Duration) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(duration) => false,
    }
}

/// Brings the `projections` that read `aggregate_type` up to `target` (an event of
/// that type) from a process that runs no runners (the CLI): applies pending batches
/// itself, or, where a server holds a projection, waits (up to `timeout`) for that
/// server to pass `target`.
pub async fn catch_up(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    aggregate_type: &str,
    target: faultline_domain::log_position::LogPosition,
    timeout: Duration,
) -> Result<bool, BatchError> {
    let progress = Arc::new(Progress::new(pool.clone()));
    let listener = LogListener::new(progress.clone());
    let mut caught_up = true;
    let readers = projections
        .iter()
        .filter(|p| p.aggregate_types().contains(&aggregate_type));
    for projection in readers {
        checkpoint::register(pool, projection.name()).await?;
        let runner = ProjectionRunner::new(
            pool.clone(),
            projection.clone(),
            listener.clone(),
            progress.clone(),
            RunnerConfig::default(),
        );
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match runner.run_batch().await? {
                BatchOutcome::Applied(0) if progress.position(projection.name()) >= target => break,
                // Not readable yet: a transaction older than ours (anywhere in the
                // cluster) still runs and holds the log's horizon back.
                BatchOutcome::Applied(0) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                BatchOutcome::Applied(0) => {
                    caught_up = false;
                    break;
                }
                BatchOutcome::Applied(_) => continue,
                BatchOutcome::Busy => {
                    caught_up &= progress
                        .wait_for(&[projection.name()], target, timeout)
                        .await;
                    break;
                }
            }
        }
    }
    Ok(caught_up)
}
