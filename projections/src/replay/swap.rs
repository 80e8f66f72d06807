//! Swapping a finished rebuild in for the live read model.

use std::collections::BTreeMap;

use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;

use super::error::ReplayError;
use super::shadow::{pause_live_runner, Organization, Shadow};
use super::state::{ShadowState, Until};
use crate::checkpoint;
use crate::sql::identifier as quote;

/// How many times a swap runs before a deadlock is reported.
pub const SWAP_ATTEMPTS: usize = 3;

/// A deadlock (SQLSTATE `40P01`), also one Citus detected across nodes.
fn is_deadlock(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"))
}

impl Shadow {
    /// Replaces the live read model by the rebuilt one: under the projection's lock,
    /// applies what the log gained since the last step, swaps the tables, moves the
    /// live checkpoint of every partition to the rebuild's and drops the shadow
    /// schema, all in one transaction. Returns where the new read model stands.
    ///
    /// A transaction chosen as a deadlock's victim is run again, up to
    /// [`SWAP_ATTEMPTS`] times: on Citus the swap's statements on the checkpoints of
    /// every worker can meet the live runners' and requests' in a distributed deadlock,
    /// and nothing of a rolled-back swap stays.
    ///
    /// A shadow of one organization instead replaces that organization's rows of each
    /// live table and its partition's checkpoint; the other organizations' rows, and
    /// the tables themselves, stay as they are.
    pub async fn swap(self, batch: i64) -> Result<ShadowState, ReplayError> {
        if self.organization.is_none() {
            // The rebuilt tables become the live ones, indexes and all.
            self.build_indexes().await?;
        }
        checkpoint::register(&self.pool, self.projection.name()).await?;
        let mut attempt = 1;
        loop {
            match self.swap_in_one_transaction(batch).await {
                Err(ReplayError::Database(error))
                    if is_deadlock(&error) && attempt < SWAP_ATTEMPTS =>
                {
                    tracing::warn!(projection = self.projection.name(), attempt, %error, "swap deadlocked, running it again");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt as u64))
                        .await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn swap_in_one_transaction(&self, batch: i64) -> Result<ShadowState, ReplayError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        // The tables are swapped after reading the log across organizations.
        crate::citus::one_connection_per_worker(&mut tx).await?;
        pause_live_runner(&mut tx, name).await?;
        while self.step_in(&mut tx, batch, &Until::End).await? > 0 {}
        let live = self.live_checkpoints(&mut tx).await?;
        let checkpoints = self.level_with(&mut tx, &live).await?;
        let state = self.state_in(&mut tx).await?;
        match self.organization {
            None => {
                self.replace_tables(&mut tx).await?;
                checkpoint::reset_to(&mut tx, name, &checkpoints).await?;
            }
            Some(organization) => {
                self.replace_rows(&mut tx, organization).await?;
                for &partition in &checkpoints {
                    checkpoint::reset_partition_to(&mut tx, name, partition).await?;
                }
            }
        }
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.quoted()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Drops each live table and moves its rebuilt copy into the live schema.
    async fn replace_tables(&self, conn: &mut PgConnection) -> Result<(), ReplayError> {
        for table in self.projection.tables() {
            sqlx::query(&format!("DROP TABLE {}", self.qualified_live(table)))
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!(
                "ALTER TABLE {} SET SCHEMA {}",
                self.qualified(table),
                quote(&self.live)
            ))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Replaces the organization's rows of each live table by the rebuilt ones. Every
    /// statement names the organization, so on Citus each runs on the one worker that
    /// holds it.
    async fn replace_rows(
        &self,
        conn: &mut PgConnection,
        organization: Organization,
    ) -> Result<(), ReplayError> {
        let column = quote(organization.column);
        for table in self.projection.tables() {
            let (live, rebuilt) = (self.qualified_live(table), self.qualified(table));
            let columns: String = sqlx::query_scalar(
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
                   FROM pg_attribute
                  WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
                    AND attgenerated = ''",
            )
            .bind(&live)
            .fetch_one(&mut *conn)
            .await?;
            sqlx::query(&format!("DELETE FROM {live} WHERE {column} = $1"))
                .bind(organization.id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!(
                "INSERT INTO {live} ({columns})
                 SELECT {columns} FROM {rebuilt} WHERE {column} = $1"
            ))
            .bind(organization.id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Checks that the rebuild has applied, in every partition, each event the live
    /// read model applied there (`live`), and returns the checkpoints that stand for
    /// both (partition, position, events applied): the later of the two positions (a
    /// live checkpoint may lie past the partition's last event of the projection's
    /// types, such as one set before the log had partitions), the rebuild's count.
    pub(super) async fn level_with(
        &self,
        conn: &mut PgConnection,
        live: &BTreeMap<i64, LogPosition>,
    ) -> Result<Vec<(i64, LogPosition, i64)>, ReplayError> {
        let rebuilt = self.partition_states(conn).await?;
        let mut partitions: Vec<i64> = live.keys().chain(rebuilt.keys()).copied().collect();
        partitions.sort_unstable();
        partitions.dedup();
        let mut checkpoints = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let live_at = live.get(&partition).copied().unwrap_or(LogPosition::START);
            let (rebuilt_at, applied) = rebuilt
                .get(&partition)
                .map(|state| (state.position, state.events_applied))
                .unwrap_or((LogPosition::START, 0));
            if rebuilt_at < live_at
                && !self
                    .read(conn, partition, rebuilt_at, 1, live_at)
                    .await?
                    .is_empty()
            {
                return Err(ReplayError::Diverged {
                    projection: self.projection.name(),
                    live: live_at,
                    rebuilt: rebuilt_at,
                });
            }
            checkpoints.push((partition, rebuilt_at.max(live_at), applied));
        }
        Ok(checkpoints)
    }
}
