//! The projection trait.

use std::sync::Arc;

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

    /// The SQL expression the `body` column (an ingested event's body) is read
    /// through (default: all of it). A projection that never reads an event's body
    /// sets `NULL::bytea`.
    fn body_sql(&self) -> &'static str {
        "body"
    }

    /// Event types this projection ignores entirely (applying them writes nothing). A
    /// rebuild does not read them at all; the live runner still reads past them, so
    /// that its checkpoint moves over them.
    fn replay_skips(&self) -> &'static [&'static str] {
        &[]
    }

    /// How a rebuild from position 0 may fill this projection's empty shadow tables
    /// faster (default: as the live runner does, with every key in place).
    fn rebuilding(&self) -> Option<Rebuilding> {
        None
    }

    /// The column of every table of this read model that names the organization a row
    /// belongs to, when only the events of that organization's partition of the log
    /// make or change its rows. Such a read model can be rebuilt, swapped in and
    /// verified one organization at a time (default: none; only whole).
    fn organization_column(&self) -> Option<&'static str> {
        None
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

/// A projection that keeps some unique keys of its tables by itself while a rebuild
/// fills them: the shadow tables are created without those constraints, which then
/// cost an index probe and an index insert per row, and get them after the fill as
/// they get their non-unique indexes (one sorted build).
pub struct Rebuilding {
    /// Applies the rebuild's events in place of the projection: the same rows, with
    /// `deferred_keys` checked some other way (in memory).
    pub projection: Arc<dyn Projection>,
    /// Names of the unique constraints (as on the live tables) left out until the
    /// fill ends.
    pub deferred_keys: &'static [&'static str],
    /// The largest rebuild (events of the projection's types) to start this way: the
    /// memory `projection` needs grows with it. Beyond it, the keys stay in place.
    pub max_events: i64,
}
