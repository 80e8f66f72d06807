//! The issues projection as a rebuild runs it: `issue_events` has no primary key
//! until the fill ends, so resent event ids are told apart in memory.

use async_trait::async_trait;
use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;
use tokio::sync::Mutex;

use super::accepted::AcceptedIds;
use super::{apply_in_order, IssuesProjection};
use crate::{Projection, ProjectionError, StoredEvent};

/// [`IssuesProjection`], with the event ids of `issue_events` kept in memory.
#[derive(Default)]
pub struct RebuildingIssues {
    /// The ids, with the log position they are complete up to; `None` until the
    /// first batch loads what the shadow already holds (a resumed rebuild).
    accepted: Mutex<Option<(AcceptedIds, LogPosition)>>,
}

#[async_trait]
impl Projection for RebuildingIssues {
    fn name(&self) -> &'static str {
        IssuesProjection.name()
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        IssuesProjection.aggregate_types()
    }

    fn tables(&self) -> &'static [&'static str] {
        IssuesProjection.tables()
    }

    fn payload_sql(&self) -> &'static str {
        IssuesProjection.payload_sql()
    }

    fn metadata_sql(&self) -> &'static str {
        IssuesProjection.metadata_sql()
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(conn, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        let mut slot = self.accepted.lock().await;
        // Taken out while the batch applies, put back only once it has: ids of a
        // batch that failed are not kept. A batch that does not follow the last one
        // kept (one retried after its transaction failed) reloads from the table.
        let mut accepted = match slot.take() {
            Some((accepted, through)) if through < first.log_position() => accepted,
            _ => AcceptedIds::load(conn).await?,
        };
        apply_in_order(conn, events, Some(&mut accepted)).await?;
        *slot = Some((accepted, last.log_position()));
        Ok(())
    }
}
