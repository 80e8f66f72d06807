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

    /// Applies one event.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError>;
}
