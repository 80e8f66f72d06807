//! The issues projection as a rebuild runs it: `issue_events` has no primary key
//! until the fill ends, so resent event ids are told apart in memory.

use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;
use tokio::sync::Mutex;

use super::accepted::AcceptedIds;
use super::apply_in_order;
use crate::{ProjectionError, StoredEvent};

/// The event ids of a rebuild's `issue_events`, with the log position they are
/// complete up to; `None` until the first batch loads what the shadow already holds
/// (a resumed rebuild).
#[derive(Default)]
pub(super) struct RebuildIds(Mutex<Option<(AcceptedIds, LogPosition)>>);

impl RebuildIds {
    /// Applies `events` in log order, resends told apart by the ids in memory.
    pub(super) async fn apply_in_order(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        let mut slot = self.0.lock().await;
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
