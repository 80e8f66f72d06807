//! Postgres `LISTEN/NOTIFY` turned into in-process wakeups.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_domain::log_position::LogPosition;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::progress::Progress;

/// Channel notified at the commit of every append to the log, with each aggregate
/// type written as payload (empty: any type).
pub const EVENTS_CHANNEL: &str = "faultline_events";
/// Channel notified when a projection's checkpoint moves: `"<name> <tx_id> <position>"`.
pub const CHECKPOINTS_CHANNEL: &str = "faultline_checkpoints";

/// Wakeups for everything that tails the log in this process.
///
/// Every append (`EventLog::append_in`) notifies with each aggregate type it wrote,
/// so a tailer of `project` events is not woken by the thousands of `issue` commits a
/// second of ingestion makes; an empty payload (or a reconnect) wakes every tailer.
#[derive(Clone)]
pub struct LogListener {
    tailers: Arc<Mutex<Vec<Tailer>>>,
    progress: Arc<Progress>,
}

struct Tailer {
    /// `None`: tails every type.
    types: Option<Vec<String>>,
    wake: watch::Sender<u64>,
}

impl LogListener {
    /// A listener that feeds `progress` with checkpoint moves.
    pub fn new(progress: Arc<Progress>) -> Self {
        Self {
            tailers: Arc::default(),
            progress,
        }
    }

    /// A receiver that changes whenever new events of any type may be readable.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.register(None)
    }

    /// A receiver that changes whenever new events of one of `types` may be readable.
    pub fn subscribe_to(&self, types: &[&str]) -> watch::Receiver<u64> {
        self.register(Some(types.iter().map(|t| (*t).to_owned()).collect()))
    }

    fn register(&self, types: Option<Vec<String>>) -> watch::Receiver<u64> {
        let wake = watch::Sender::new(0);
        let receiver = wake.subscribe();
        let mut tailers = self.tailers.lock().unwrap_or_else(|e| e.into_inner());
        tailers.retain(|tailer| !tailer.wake.is_closed());
        tailers.push(Tailer { types, wake });
        receiver
    }

    /// Wakes every tailer of this process (used after local commits too).
    pub fn wake(&self) {
        self.wake_for(None);
    }

    /// Wakes the tailers of `aggregate_type` (all of them for `None`).
    fn wake_for(&self, aggregate_type: Option<&str>) {
        let tailers = self.tailers.lock().unwrap_or_else(|e| e.into_inner());
        for tailer in tailers.iter() {
            let wanted = match (&tailer.types, aggregate_type) {
                (Some(types), Some(written)) => types.iter().any(|t| t == written),
                _ => true,
            };
            if wanted {
                tailer.wake.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Listens until `shutdown`. Notifications lost while the connection is down are
    /// covered by a wakeup after every reconnect and by the tailers' polling fallback.
    pub async fn run(self, pool: PgPool, shutdown: CancellationToken) {
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match self.listen(&pool, &shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "log listener lost its connection");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    async fn listen(&self, pool: &PgPool, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.ignore_pool_close_event(true);
        listener
            .listen_all([EVENTS_CHANNEL, CHECKPOINTS_CHANNEL])
            .await?;
        self.wake();
        loop {
            let notification = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                received = listener.try_recv() => received?,
            };
            let Some(notification) = notification else {
                // Reconnected: anything could have happened meanwhile.
                self.wake();
                self.progress.wake();
                continue;
            };
            match notification.channel() {
                EVENTS_CHANNEL => match notification.payload() {
                    "" => self.wake(),
                    aggregate_type => self.wake_for(Some(aggregate_type)),
                },
                CHECKPOINTS_CHANNEL => {
                    if let Some((name, position)) = parse_checkpoint(notification.payload()) {
                        self.progress.observe(name, position);
                    }
                }
                _ => {}
            }
        }
    }
}

fn parse_checkpoint(payload: &str) -> Option<(&str, LogPosition)> {
    let mut parts = payload.split(' ');
    let name = parts.next()?;
    let tx_id = parts.next()?.parse().ok()?;
    let position = parts.next()?.parse().ok()?;
    Some((name, LogPosition { tx_id, position }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_notification_names_the_projection_and_its_position() {
        let (name, position) = parse_checkpoint("organizations 812 40").unwrap();
        assert_eq!(name, "organizations");
        assert_eq!(
            position,
            LogPosition {
                tx_id: 812,
                position: 40
            }
        );
        assert!(parse_checkpoint("garbage").is_none());
    }
}
