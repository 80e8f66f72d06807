//! How far each projection has got in each partition of the log, as known to this
//! process: lets a command wait until the read models it affects show its events
//! (read-your-writes).

use std::time::Duration;

use dashmap::DashMap;
use faultline_domain::log_position::LogPosition;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::checkpoint;

/// Between notifications, re-read checkpoints from the database this often: the
/// notification of another process's checkpoint may be lost on a reconnect.
const POLL_FALLBACK: Duration = Duration::from_millis(250);

/// Where a reader of the whole log records its position: it stands there in every
/// partition.
const EVERY_PARTITION: i64 = i64::MIN;

/// The last known checkpoint of every projection in every partition.
pub struct Progress {
    pool: PgPool,
    positions: DashMap<(String, i64), LogPosition>,
    changed: Notify,
}

impl Progress {
    /// Progress read from (and, as a fallback, polled in) this database.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            positions: DashMap::new(),
            changed: Notify::new(),
        }
    }

    /// Records that projection `name` reached `position` in `partition` (never moves
    /// backwards).
    pub fn observe(&self, name: &str, partition: i64, position: LogPosition) {
        let mut entry = self
            .positions
            .entry((name.to_owned(), partition))
            .or_default();
        if *entry < position {
            *entry = position;
        }
        drop(entry);
        self.changed.notify_waiters();
    }

    /// Records that projection `name`, which reads the whole log in one order (an
    /// in-memory cache), reached `position`: in every partition.
    pub fn observe_everywhere(&self, name: &str, position: LogPosition) {
        self.observe(name, EVERY_PARTITION, position);
    }

    /// Wakes waiters so they look again.
    pub fn wake(&self) {
        self.changed.notify_waiters();
    }

    /// The last known position of projection `name` in `partition`.
    pub fn position(&self, name: &str, partition: i64) -> LogPosition {
        let known = |partition| {
            self.positions
                .get(&(name.to_owned(), partition))
                .map(|p| *p)
                .unwrap_or_default()
        };
        known(partition).max(known(EVERY_PARTITION))
    }

    fn reached(&self, names: &[&str], partition: i64, target: LogPosition) -> bool {
        names
            .iter()
            .all(|name| self.position(name, partition) >= target)
    }

    async fn refresh(&self, names: &[&str], partition: i64) {
        for name in names {
            match checkpoint::get_in(&self.pool, name, partition).await {
                Ok(Some(stored)) => self.observe(name, partition, stored),
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "checkpoint refresh failed"),
            }
        }
    }

    /// Waits until every projection in `names` has applied the event at `target` of
    /// `partition`, or `timeout` passed. Returns whether they caught up.
    pub async fn wait_for(
        &self,
        names: &[&str],
        partition: i64,
        target: LogPosition,
        timeout: Duration,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.reached(names, partition, target) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let tick = POLL_FALLBACK.min(deadline - now);
            if tokio::time::timeout(tick, changed).await.is_err() {
                self.refresh(names, partition).await;
            }
        }
    }
}
