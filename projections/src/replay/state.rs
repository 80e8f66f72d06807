//! Where a rebuild stands: its own checkpoint, and how far it has still to go.

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, Row};

use super::error::ReplayError;
use super::shadow::Shadow;
use crate::checkpoint;

/// Where a shadow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShadowState {
    /// The last applied event.
    pub position: LogPosition,
    /// Events applied so far.
    pub events_applied: i64,
}

impl Shadow {
    /// Where the rebuild stands.
    pub async fn state(&self) -> Result<ShadowState, ReplayError> {
        let mut conn = self.pool.acquire().await?;
        self.state_in(&mut conn, false).await
    }

    pub(super) async fn state_in(
        &self,
        conn: &mut PgConnection,
        lock: bool,
    ) -> Result<ShadowState, ReplayError> {
        let row = sqlx::query(&format!(
            "SELECT last_tx_id::text::bigint AS tx_id, last_position, events_applied
               FROM {}._replay_checkpoint {}",
            self.quoted(),
            if lock { "FOR UPDATE" } else { "" }
        ))
        .fetch_one(conn)
        .await?;
        Ok(ShadowState {
            position: LogPosition {
                tx_id: row.get("tx_id"),
                position: row.get("last_position"),
            },
            events_applied: row.get("events_applied"),
        })
    }

    /// How many events of the projection's aggregate types the rebuild has still to
    /// apply (for a progress bar; the log may grow meanwhile).
    pub async fn remaining(&self) -> Result<i64, ReplayError> {
        let state = self.state().await?;
        Ok(sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {}
              WHERE aggregate_type = ANY($1) AND (tx_id, position) > ($2::text::xid8, $3)",
            crate::log::source(self.projection.aggregate_types(), &[])
        ))
        .bind(self.projection.aggregate_types())
        .bind(state.position.tx_id.to_string())
        .bind(state.position.position)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The live checkpoint of the projection (the start of the log if it has none).
    pub async fn live_position(&self) -> Result<LogPosition, ReplayError> {
        Ok(checkpoint::get(&self.pool, self.projection.name())
            .await?
            .map(|c| c.position())
            .unwrap_or(LogPosition::START))
    }
}
