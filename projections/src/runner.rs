//! Runs a projection: batches of the log applied with the checkpoint, exactly once,
//! partition by partition (organization by organization): each partition of the log
//! has its own order and the projection its own checkpoint there.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use faultline_domain::log_position::LogPosition;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::{pending_partitions, read_partition_after, Columns};
use crate::notify::{LogListener, Pending};
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
    /// The event at `position` cannot be applied: the projection stops there, in that
    /// event's partition.
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

    /// Applies the next batch of `partition`, if this process can take the projection:
    /// lock, read the checkpoint, apply the events, move the checkpoint, commit, all in
    /// one transaction.
    pub async fn run_batch(&self, partition: i64) -> Result<BatchOutcome, BatchError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        if !take_projection(&mut tx, name).await? {
            return Ok(BatchOutcome::Busy);
        }
        // The advisory lock is what keeps every other writer of this checkpoint out
        // (other runners, replay's swap), so a plain read suffices and an empty poll
        // stays read-only: no transaction id, no WAL, no flush at commit.
        let start = checkpoint::read(&mut tx, name, partition).await?;
        let events = self
            .read(&mut tx, partition, start, self.config.batch_size)
            .await?;
        let Some(last) = events.last().map(|e| e.log_position()) else {
            self.progress.observe(name, partition, start);
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
            tracing::warn!(%error, partition, "batch failed, retrying event by event");
            return self.run_single_steps(partition, start, events.len()).await;
        }
        checkpoint::advance(&mut tx, name, partition, last, events.len() as i64).await?;
        tx.commit().await?;
        self.progress.observe(name, partition, last);
        Ok(BatchOutcome::Applied(events.len()))
    }

    async fn read(
        &self,
        conn: &mut sqlx::PgConnection,
        partition: i64,
        after: LogPosition,
        limit: i64,
    ) -> Result<Vec<crate::log::StoredEvent>, sqlx::Error> {
        read_partition_after(
            conn,
            self.projection.aggregate_types(),
            Columns::of(&*self.projection),
            partition,
            after,
            limit,
        )
        .await
    }

    /// Applies up to `count` events of `partition` after `start` one transaction
    /// each, so that a failure names its exact event and everything before it is kept.
    async fn run_single_steps(
        &self,
        partition: i64,
        start: LogPosition,
        count: usize,
    ) -> Result<BatchOutcome, BatchError> {
        let name = self.projection.name();
        let mut applied = 0;
        let mut position = start;
        while applied < count {
            let mut tx = self.pool.begin().await?;
            if !take_projection(&mut tx, name).await?
                || checkpoint::read(&mut tx, name, partition).await? != position
            {
                return Ok(BatchOutcome::Applied(applied));
            }
            let events = self.read(&mut tx, partition, position, 1).await?;
            let Some(event) = events.first() else {
                break;
            };
            self.projection
                .apply(&mut tx, event)
                .await
                .map_err(|error| classify(error, event.position))?;
            position = event.log_position();
            checkpoint::advance(&mut tx, name, partition, position, 1).await?;
            tx.commit().await?;
            self.progress.observe(name, partition, position);
            applied += 1;
        }
        Ok(BatchOutcome::Applied(applied))
    }

    /// The partitions with events past the projection's checkpoint there.
    pub async fn pending_partitions(&self) -> Result<Vec<i64>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        pending_partitions(
            &mut conn,
            self.projection.name(),
            self.projection.aggregate_types(),
        )
        .await
    }

    /// Applies what `partitions` hold, batch after batch while batches come full.
    /// Returns what the round did, or `None` when another process holds the
    /// projection. A partition whose event fails is recorded as stopped and added to
    /// `stopped`; one that cannot be read (on Citus, its worker is down) is left for a
    /// later round; the others go on either way.
    async fn run_partitions(
        &self,
        partitions: impl IntoIterator<Item = i64>,
        stopped: &mut BTreeSet<i64>,
    ) -> Result<Option<Round>, ProjectionError> {
        let name = self.projection.name();
        let mut round = Round::default();
        for partition in partitions {
            if stopped.contains(&partition) {
                continue;
            }
            loop {
                match self.run_batch(partition).await {
                    Ok(BatchOutcome::Applied(n)) => {
                        if n > 0 {
                            round.applied.insert(partition);
                        }
                        if (n as i64) < self.config.batch_size {
                            break;
                        }
                    }
                    Ok(BatchOutcome::Busy) => return Ok(None),
                    Err(BatchError::Transient(error)) => {
                        tracing::warn!(
                            partition,
                            error = %error,
                            cause = ?std::error::Error::source(&error),
                            "partition unavailable"
                        );
                        round.unavailable.insert(partition);
                        break;
                    }
                    Err(BatchError::Failed { position, error }) => {
                        let message = error_chain(&error);
                        tracing::error!(
                            partition,
                            position,
                            error.message = %message,
                            "projection stopped on an event"
                        );
                        stopped.insert(partition);
                        checkpoint::record_failure(&self.pool, name, partition, position, &message)
                            .await?;
                        break;
                    }
                }
            }
        }
        Ok(Some(round))
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
            .subscribe_partitions(self.projection.aggregate_types());
        while let Err(error) = checkpoint::register(&self.pool, name).await {
            tracing::warn!(%error, "cannot register checkpoint, retrying");
            if sleep_or_cancel(&shutdown, self.config.retry_after).await {
                return;
            }
        }
        // Partitions whose event failed: left alone until the process restarts.
        let mut stopped = BTreeSet::new();
        // Every partition a sweep or a notification has named: what a round looks at
        // when the sweep itself fails. On Citus the sweep reads every shard, so one
        // worker down fails it, while the other workers' partitions can still be read.
        let mut known = BTreeSet::new();
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            let started = tokio::time::Instant::now();
            let partitions = match wake.take() {
                Pending::All => match self.pending_partitions().await {
                    Ok(partitions) => partitions.into_iter().collect(),
                    Err(error) => {
                        tracing::warn!(%error, partitions = known.len(), "sweep failed, reading the known partitions");
                        known.clone()
                    }
                },
                Pending::In(partitions) => partitions,
            };
            known.extend(partitions.iter().copied());
            let round = self.run_partitions(partitions, &mut stopped).await;
            // Where events were applied more is likely on its way: read those partitions
            // again without waiting for a wakeup.
            let more = match round {
                Ok(Some(round)) if !round.applied.is_empty() => {
                    tracing::debug!(partitions = round.applied.len(), "batches applied");
                    wake.add(round.applied);
                    true
                }
                Ok(Some(round)) if !round.unavailable.is_empty() => {
                    // Nothing else to do: retry them after a pause, not at once.
                    wake.all();
                    if sleep_or_cancel(&shutdown, self.config.retry_after).await {
                        return;
                    }
                    continue;
                }
                Ok(_) => false,
                Err(error) => {
                    tracing::warn!(error = %error, cause = ?std::error::Error::source(&error), "projection paused");
                    wake.all();
                    if sleep_or_cancel(&shutdown, self.config.retry_after).await {
                        return;
                    }
                    continue;
                }
            };
            if !more {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = wake.changed() => {}
                    // No notification: look at every partition (a notification lost
                    // on a reconnect, events not yet readable when they were
                    // announced, a projection another process let go of).
                    _ = tokio::time::sleep(self.config.idle_poll) => wake.all(),
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

/// What one round of partitions did.
#[derive(Debug, Default)]
struct Round {
    /// The partitions it applied events of.
    applied: BTreeSet<i64>,
    /// The partitions it could not read or write (a transient failure).
    unavailable: BTreeSet<i64>,
}

/// Takes the projection for the transaction on `conn` (see [`TAKE_PROJECTION`]).
async fn take_projection(conn: &mut sqlx::PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(TAKE_PROJECTION)
        .bind(LOCK_NAMESPACE)
        .bind(name)
        .fetch_one(conn)
        .await
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
/// that type in `partition`) from a process that runs no runners (the CLI): applies pending batches
/// itself, or, where a server holds a projection, waits (up to `timeout`) for that
/// server to pass `target`.
pub async fn catch_up(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    aggregate_type: &str,
    partition: i64,
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
            match runner.run_batch(partition).await? {
                BatchOutcome::Applied(0)
                    if progress.position(projection.name(), partition) >= target =>
                {
                    break
                }
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
                        .wait_for(&[projection.name()], partition, target, timeout)
                        .await;
                    break;
                }
            }
        }
    }
    Ok(caught_up)
}

/// Applies everything readable of `partition` to the live read model of `projection`
/// on `conn`, moving its checkpoint there, in batches of `batch`; for a caller that
/// holds the projection's lock in an open transaction (a verify bringing the live
/// side level with the log before comparing). Returns the events applied.
pub(crate) async fn apply_pending_in(
    conn: &mut sqlx::PgConnection,
    projection: &dyn Projection,
    partition: i64,
    batch: i64,
) -> Result<usize, ProjectionError> {
    let name = projection.name();
    let mut applied = 0;
    loop {
        let start = checkpoint::read(conn, name, partition).await?;
        let events = read_partition_after(
            conn,
            projection.aggregate_types(),
            Columns::of(projection),
            partition,
            start,
            batch,
        )
        .await?;
        let Some(last) = events.last().map(|e| e.log_position()) else {
            return Ok(applied);
        };
        projection.apply_batch(conn, &events).await?;
        checkpoint::advance(conn, name, partition, last, events.len() as i64).await?;
        applied += events.len();
    }
}
