//! Swapping a finished rebuild in for the live read model.

use faultline_domain::log_position::LogPosition;

use super::error::ReplayError;
use super::shadow::{pause_live_runner, quote, Shadow};
use super::state::ShadowState;
use crate::checkpoint;

impl Shadow {
    /// Replaces the live read model by the rebuilt one: under the projection's lock,
    /// applies what the log gained since the last step, swaps the tables, moves the
    /// live checkpoint of every partition to the rebuild's (which read them all, in
    /// one order) and drops the shadow schema, all in one transaction. Returns where the new read model stands.
    pub async fn swap(self, batch: i64) -> Result<ShadowState, ReplayError> {
        self.build_indexes().await?;
        let name = self.projection.name();
        checkpoint::register(&self.pool, name).await?;
        let mut tx = self.pool.begin().await?;
        pause_live_runner(&mut tx, name).await?;
        while self.step_in(&mut tx, batch, LogPosition::END).await? > 0 {}
        let live = checkpoint::latest_in(&mut tx, name).await?;
        let state = self.state_in(&mut tx, true).await?;
        if state.position < live {
            return Err(ReplayError::Diverged {
                projection: name,
                live,
                rebuilt: state.position,
            });
        }
        for table in self.projection.tables() {
            sqlx::query(&format!("DROP TABLE {}", self.qualified_live(table)))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(
                "ALTER TABLE {} SET SCHEMA {}",
                self.qualified(table),
                quote(&self.live)
            ))
            .execute(&mut *tx)
            .await?;
        }
        checkpoint::reset_everywhere(&mut tx, name, state.position, state.events_applied).await?;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.quoted()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(state)
    }
}
