//! The projection trait.

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::error::ProjectionError;
use crate::log::StoredEvent;

/// A durable read model folded from the log.
///
/// `apply` runs inside the batch's transaction: write the read-model change through
/// `conn` and nothing else (no side effects outside the transaction), so that a
/// rolled-back batch leaves no trace and is simply applied again.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// The projection's stable name; its checkpoint is stored under it.
    fn name(&self) -> &'static str;

    /// The aggregate types whose events this projection reads.
    fn aggregate_types(&self) -> &'static [&'static str];

    /// The read-model tables this projection owns (and nothing else writes): replay
    /// rebuilds exactly these into shadow copies, verify compares exactly these.
    fn tables(&self) -> &'static [&'static str];

    /// The SQL expression the payload is read through (default: all of it). The
    /// issue projection leaves each event's full `data` in the database.
    fn payload_sql(&self) -> &'static str {
        "payload"
    }

    /// The SQL expression the metadata is read through (default: all of it). A
    /// projection that skips whole event types can leave their metadata unread.
    fn metadata_sql(&self) -> &'static str {
        "metadata"
    }

    /// Event types this projection ignores entirely (applying them writes nothing). A
    /// rebuild does not read them at all; the live runner still reads past them, so
    /// that its checkpoint moves over them.
    fn replay_skips(&self) -> &'static [&'static str] {
        &[]
    }

    /// Applies one event.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError>;

    /// Applies a batch of events, in order. Projections on the ingestion path override
    /// this to fold a batch into a few set-based statements; when a batch fails the
    /// runner falls back to [`Projection::apply`] one event at a time to pinpoint the
    /// failing event.
    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(conn, event).await?;
        }
        Ok(())
    }
}
