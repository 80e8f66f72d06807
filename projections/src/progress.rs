//! How far each projection has got, as known to this process: lets a command wait
//! until the read models it affects show its events (read-your-writes).

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

/// The last known checkpoint of every projection.
pub struct Progress {
    pool: PgPool,
    positions: DashMap<String, LogPosition>,
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

    /// Records that projection `name` reached `position` (never moves backwards).
    pub fn observe(&self, name: &str, position: LogPosition) {
        let mut entry = self.positions.entry(name.to_owned()).or_default();
        if *entry < position {
            *entry = position;
        }
        drop(entry);
        self.changed.notify_waiters();
    }

    /// Wakes waiters so they look again.
    pub fn wake(&self) {
        self.changed.notify_waiters();
    }

    /// The last known position of projection `name`.
    pub fn position(&self, name: &str) -> LogPosition {
        self.positions.get(name).map(|p| *p).unwrap_or_default()
    }

    fn reached(&self, names: &[&str], target: LogPosition) -> bool {
        names.iter().all(|name| self.position(name) >= target)
    }

    async fn refresh(&self, names: &[&str]) {
        for name in names {
            match checkpoint::get(&self.pool, name).await {
                Ok(Some(stored)) => self.observe(name, stored.position()),
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "checkpoint refresh failed"),
            }
        }
    }

    /// Waits until every projection in `names` has applied the event at `target`, or
    /// `timeout` passed. Returns whether they caught up.
    pub async fn wait_for(&self, names: &[&str], target: LogPosition, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.reached(names, target) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let tick = POLL_FALLBACK.min(deadline - now);
            if tokio::time::timeout(tick, changed).await.is_err() {
                self.refresh(names).await;
            }
        }
    }
}
