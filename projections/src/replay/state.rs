//! Where a rebuild stands: its own checkpoint in each partition of the log, and how
//! far it has still to go.

use std::collections::BTreeMap;

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, Row};

use super::error::ReplayError;
use super::shadow::Shadow;
use crate::checkpoint;

/// Where a shadow stands over every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShadowState {
    /// The latest event applied in any partition.
    pub position: LogPosition,
    /// Events applied so far, in all partitions.
    pub events_applied: i64,
}

/// How far a rebuild reads in each partition of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Until {
    /// Everything readable.
    #[default]
    End,
    /// Up to these positions (inclusive), nothing of a partition not named: where a
    /// live read model stands.
    Positions(BTreeMap<i64, LogPosition>),
}

impl Until {
    /// The last position to read in `partition`.
    pub fn of(&self, partition: i64) -> LogPosition {
        match self {
            Until::End => LogPosition::END,
            Until::Positions(positions) => positions
                .get(&partition)
                .copied()
                .unwrap_or(LogPosition::START),
        }
    }
}

/// A partition's row of the shadow's checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PartitionState {
    pub(super) position: LogPosition,
    pub(super) events_applied: i64,
}

impl Shadow {
    /// Where the rebuild stands.
    pub async fn state(&self) -> Result<ShadowState, ReplayError> {
        let mut conn = self.pool.acquire().await?;
        self.state_in(&mut conn).await
    }

    pub(super) async fn state_in(
        &self,
        conn: &mut PgConnection,
    ) -> Result<ShadowState, ReplayError> {
        let partitions = self.partition_states(conn).await?;
        Ok(ShadowState {
            position: partitions
                .values()
                .map(|p| p.position)
                .max()
                .unwrap_or(LogPosition::START),
            events_applied: partitions.values().map(|p| p.events_applied).sum(),
        })
    }

    /// Every partition the rebuild has a checkpoint in.
    pub(super) async fn partition_states(
        &self,
        conn: &mut PgConnection,
    ) -> Result<BTreeMap<i64, PartitionState>, ReplayError> {
        let rows = sqlx::query(&format!(
            "SELECT organization_id, last_tx_id::text::bigint AS tx_id, last_position,
                    events_applied
               FROM {}._replay_checkpoints",
            self.quoted()
        ))
        .fetch_all(conn)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    row.get("organization_id"),
                    PartitionState {
                        position: LogPosition {
                            tx_id: row.get("tx_id"),
                            position: row.get("last_position"),
                        },
                        events_applied: row.get("events_applied"),
                    },
                )
            })
            .collect())
    }

    /// Where the rebuild stands in `partition`; with `lock`, the row is made if
    /// missing and locked until the end of the transaction on `conn`, so two rebuilds
    /// of one shadow cannot both apply the same batch.
    pub(super) async fn position_in(
        &self,
        conn: &mut PgConnection,
        partition: i64,
        lock: bool,
    ) -> Result<LogPosition, ReplayError> {
        if lock {
            sqlx::query(&format!(
                "INSERT INTO {}._replay_checkpoints (organization_id) VALUES ($1)
                 ON CONFLICT (organization_id) DO NOTHING",
                self.quoted()
            ))
            .bind(partition)
            .execute(&mut *conn)
            .await?;
        }
        let row: Option<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT last_tx_id::text::bigint, last_position
               FROM {}._replay_checkpoints WHERE organization_id = $1 {}",
            self.quoted(),
            if lock { "FOR UPDATE" } else { "" }
        ))
        .bind(partition)
        .fetch_optional(conn)
        .await?;
        Ok(row
            .map(|(tx_id, position)| LogPosition { tx_id, position })
            .unwrap_or(LogPosition::START))
    }

    /// The partitions a rebuild reads, in order: partition 0 (what belongs to no
    /// organization, such as users) first, then organizations by id.
    pub(super) async fn partitions(
        &self,
        conn: &mut PgConnection,
    ) -> Result<Vec<i64>, ReplayError> {
        if let Some(organization) = self.organization {
            return Ok(vec![organization.id]);
        }
        Ok(sqlx::query_scalar(&format!(
            "SELECT organization_id FROM ({}) AS p
              UNION SELECT organization_id FROM {}._replay_checkpoints
              ORDER BY 1",
            crate::log::PARTITIONS,
            self.quoted()
        ))
        .fetch_all(conn)
        .await?)
    }

    /// How many events of the projection's aggregate types the rebuild has still to
    /// apply (for a progress bar; the log may grow meanwhile).
    pub async fn remaining(&self) -> Result<i64, ReplayError> {
        let state = self.state().await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE aggregate_type = ANY($1)
                AND ($2::bigint IS NULL OR organization_id = $2)",
            crate::log::source(self.projection.aggregate_types(), &[])
        ))
        .bind(self.projection.aggregate_types())
        .bind(self.organization())
        .fetch_one(&self.pool)
        .await?;
        Ok((total - state.events_applied).max(0))
    }

    /// Where the live read model stands in each partition: how far a rebuild to be
    /// compared with it reads.
    pub async fn live_positions(&self) -> Result<Until, ReplayError> {
        let mut conn = self.pool.acquire().await?;
        Ok(Until::Positions(self.live_checkpoints(&mut conn).await?))
    }

    /// Where the live read model stands in each partition the shadow rebuilds.
    pub(super) async fn live_checkpoints(
        &self,
        conn: &mut PgConnection,
    ) -> Result<BTreeMap<i64, LogPosition>, ReplayError> {
        let mut positions = checkpoint::positions_in(conn, self.projection.name()).await?;
        if let Some(organization) = self.organization {
            positions.retain(|&partition, _| partition == organization.id);
        }
        Ok(positions)
    }
}
