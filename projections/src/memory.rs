//! In-memory read models (hot-path caches), kept current in every process.
//!
//! Each process folds the log into its own copy, from the start, then follows new
//! events as `LISTEN/NOTIFY` announces them. Nothing is stored, so there is no
//! checkpoint: a restart simply folds again.

use std::sync::Arc;
use std::time::Duration;

use faultline_domain::log_position::LogPosition;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::log::{read_after, StoredEvent};
use crate::notify::LogListener;
use crate::progress::Progress;

/// A read model held in memory (e.g. a `DashMap`), updated through `&self`.
pub trait MemoryProjection: Send + Sync + 'static {
    /// Its name, under which its progress is reported.
    fn name(&self) -> &'static str;
    /// The aggregate types it reads.
    fn aggregate_types(&self) -> &'static [&'static str];
    /// Applies one event. Must not fail: unknown shapes are skipped and logged.
    fn apply(&self, event: &StoredEvent);
}

/// Follows the log for one in-memory projection.
pub struct MemoryTail {
    pool: PgPool,
    projection: Arc<dyn MemoryProjection>,
    listener: LogListener,
    progress: Arc<Progress>,
    caught_up: watch::Sender<bool>,
}

impl MemoryTail {
    /// A tail feeding `projection`.
    pub fn new(
        pool: PgPool,
        projection: Arc<dyn MemoryProjection>,
        listener: LogListener,
        progress: Arc<Progress>,
    ) -> Self {
        Self {
            pool,
            projection,
            listener,
            progress,
            caught_up: watch::Sender::new(false),
        }
    }

    /// Becomes `true` once the projection has folded everything present at start.
    pub fn caught_up(&self) -> watch::Receiver<bool> {
        self.caught_up.subscribe()
    }

    /// Folds and follows the log until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut wake = self
            .listener
            .subscribe_to(self.projection.aggregate_types());
        let mut position = LogPosition::START;
        loop {
            wake.borrow_and_update();
            let batch = match self.pool.acquire().await {
                Ok(mut conn) => {
                    read_after(&mut conn, self.projection.aggregate_types(), position, 1000).await
                }
                Err(error) => Err(error),
            };
            match batch {
                Ok(events) if !events.is_empty() => {
                    for event in &events {
                        self.projection.apply(event);
                    }
                    position = events[events.len() - 1].log_position();
                    self.progress
                        .observe_everywhere(self.projection.name(), position);
                    continue;
                }
                Ok(_) => {
                    self.caught_up.send_replace(true);
                }
                Err(error) => {
                    tracing::warn!(projection = self.projection.name(), %error, "cache paused");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = wake.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
