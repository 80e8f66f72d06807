//! Postgres `LISTEN/NOTIFY` turned into in-process wakeups.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_domain::log_position::LogPosition;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::progress::Progress;

/// Channel notified at the commit of every append to the log, once for each aggregate
/// type and partition written: `"<aggregate type> <organization id>"` (a bare type: any
/// partition; empty: anything).
pub const EVENTS_CHANNEL: &str = "faultline_events";
/// Channel notified when a projection's checkpoint moves in a partition:
/// `"<name> <organization id> <tx_id> <position>"`.
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
    /// The partitions written since the tailer last looked, if it asked to know.
    pending: Option<Arc<Mutex<Pending>>>,
}

/// What may have been written since a tailer last looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Anything, anywhere: look at every partition.
    All,
    /// Events in these partitions only.
    In(BTreeSet<i64>),
}

impl Pending {
    fn add(&mut self, partition: Option<i64>) {
        match (self, partition) {
            (Pending::In(partitions), Some(partition)) => {
                partitions.insert(partition);
            }
            (pending, None) => *pending = Pending::All,
            (Pending::All, Some(_)) => {}
        }
    }
}

/// Wakeups of a tailer that reads partition by partition: when, and in which
/// partitions, events of its types may have become readable.
pub struct PartitionWakeups {
    wake: watch::Receiver<u64>,
    pending: Arc<Mutex<Pending>>,
}

impl PartitionWakeups {
    /// The partitions written since the last call (everything, at first), emptying
    /// the set.
    pub fn take(&mut self) -> Pending {
        self.wake.borrow_and_update();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *pending, Pending::In(BTreeSet::new()))
    }

    /// Marks `partitions` as possibly written.
    pub fn add(&mut self, partitions: impl IntoIterator<Item = i64>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for partition in partitions {
            pending.add(Some(partition));
        }
    }

    /// Marks every partition as possibly written (a poll without notification).
    pub fn all(&mut self) {
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Pending::All;
    }

    /// Waits for the next write of the tailer's types.
    pub async fn changed(&mut self) {
        if self.wake.changed().await.is_err() {
            // The listener is gone: nothing more will come, the poll still will.
            std::future::pending::<()>().await;
        }
    }
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

    /// Wakeups for a tailer of `types` that reads partition by partition.
    pub fn subscribe_partitions(&self, types: &[&str]) -> PartitionWakeups {
        let pending = Arc::new(Mutex::new(Pending::All));
        let wake = self.register_with(
            Some(types.iter().map(|t| (*t).to_owned()).collect()),
            Some(pending.clone()),
        );
        PartitionWakeups { wake, pending }
    }

    fn register(&self, types: Option<Vec<String>>) -> watch::Receiver<u64> {
        self.register_with(types, None)
    }

    fn register_with(
        &self,
        types: Option<Vec<String>>,
        pending: Option<Arc<Mutex<Pending>>>,
    ) -> watch::Receiver<u64> {
        let wake = watch::Sender::new(0);
        let receiver = wake.subscribe();
        let mut tailers = self.tailers.lock().unwrap_or_else(|e| e.into_inner());
        tailers.retain(|tailer| !tailer.wake.is_closed());
        tailers.push(Tailer {
            types,
            wake,
            pending,
        });
        receiver
    }

    /// Wakes every tailer of this process (used after local commits too).
    pub fn wake(&self) {
        self.wake_for(None, None);
    }

    /// Wakes the tailers of `aggregate_type` (all of them for `None`), telling those
    /// that read by partition which partition was written (any for `None`).
    fn wake_for(&self, aggregate_type: Option<&str>, partition: Option<i64>) {
        let tailers = self.tailers.lock().unwrap_or_else(|e| e.into_inner());
        for tailer in tailers.iter() {
            let wanted = match (&tailer.types, aggregate_type) {
                (Some(types), Some(written)) => types.iter().any(|t| t == written),
                _ => true,
            };
            if wanted {
                if let Some(pending) = &tailer.pending {
                    pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .add(partition);
                }
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
                EVENTS_CHANNEL => match parse_write(notification.payload()) {
                    None => self.wake(),
                    Some((aggregate_type, partition)) => {
                        self.wake_for(Some(aggregate_type), partition)
                    }
                },
                CHECKPOINTS_CHANNEL => {
                    if let Some((name, partition, position)) =
                        parse_checkpoint(notification.payload())
                    {
                        self.progress.observe(name, partition, position);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The aggregate type and partition of a write (`None`: anything was written).
fn parse_write(payload: &str) -> Option<(&str, Option<i64>)> {
    if payload.is_empty() {
        return None;
    }
    Some(match payload.split_once(' ') {
        Some((aggregate_type, partition)) => (aggregate_type, partition.parse().ok()),
        None => (payload, None),
    })
}

fn parse_checkpoint(payload: &str) -> Option<(&str, i64, LogPosition)> {
    let mut parts = payload.split(' ');
    let name = parts.next()?;
    let partition = parts.next()?.parse().ok()?;
    let tx_id = parts.next()?.parse().ok()?;
    let position = parts.next()?.parse().ok()?;
    Some((name, partition, LogPosition { tx_id, position }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_notification_names_the_projection_its_partition_and_position() {
        let (name, partition, position) = parse_checkpoint("organizations 7 812 40").unwrap();
        assert_eq!(name, "organizations");
        assert_eq!(partition, 7);
        assert_eq!(
            position,
            LogPosition {
                tx_id: 812,
                position: 40
            }
        );
        assert!(parse_checkpoint("garbage").is_none());
    }

    #[test]
    fn a_write_notification_names_the_type_and_partition_written() {
        assert_eq!(parse_write("issue 12"), Some(("issue", Some(12))));
        assert_eq!(parse_write("issue"), Some(("issue", None)));
        assert_eq!(parse_write(""), None);
    }

    #[test]
    fn a_write_of_any_partition_makes_every_partition_pending() {
        let mut pending = Pending::In(BTreeSet::new());
        pending.add(Some(3));
        pending.add(Some(5));
        assert_eq!(pending, Pending::In(BTreeSet::from([3, 5])));
        pending.add(None);
        pending.add(Some(9));
        assert_eq!(pending, Pending::All);
    }
}
