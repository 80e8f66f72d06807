//! The rebuild loop: read a batch of the log, apply it to the shadow tables and move
//! the shadow's checkpoint with it; pass over the events the projection skips.

use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;

use super::error::ReplayError;
use super::shadow::Shadow;
use super::state::Until;
use crate::error::ProjectionError;
use crate::log::{not_of_types, read_partition_between, source, Columns};
use crate::sql::identifier as quote;

impl Shadow {
    /// Applies the next batch of up to `batch` events of each partition (none past
    /// `until`) in a transaction of its own; returns how many it applied (0: nothing
    /// readable).
    pub async fn step(&self, batch: i64, until: &Until) -> Result<usize, ReplayError> {
        let mut tx = self.pool.begin().await?;
        let applied = self.step_in(&mut tx, batch, until).await?;
        tx.commit().await?;
        Ok(applied)
    }

    pub(super) async fn step_in(
        &self,
        conn: &mut PgConnection,
        batch: i64,
        until: &Until,
    ) -> Result<usize, ReplayError> {
        let mut applied = 0;
        for partition in self.partitions(conn).await? {
            let until = until.of(partition);
            let from = self.position_in(conn, partition, false).await?;
            let events = self.read(conn, partition, from, batch, until).await?;
            if events.is_empty() {
                self.pass_skipped(conn, partition, until).await?;
            }
            applied += self.apply_in(conn, partition, from, &events).await?;
        }
        Ok(applied)
    }

    /// Once nothing is left to apply in `partition`: moves the shadow's checkpoint
    /// there over the skipped events (`replay_skips`) that follow it, up to the first
    /// event it must apply, `until` or the end of what is readable, and counts every
    /// event of its types in the partition up to there as applied. The rebuild then ends on the position and count of a live
    /// runner that read them all, and the swap finds it level with the live
    /// checkpoint. One statement, so no event can slip in between.
    async fn pass_skipped(
        &self,
        conn: &mut PgConnection,
        partition: i64,
        until: LogPosition,
    ) -> Result<(), ReplayError> {
        let skip = self.projection.replay_skips();
        if skip.is_empty() {
            return Ok(());
        }
        let from = self.position_in(conn, partition, true).await?;
        let horizon = crate::log::horizon(conn).await?;
        // `stop` reads the few events not skipped (through the partial index the
        // literal type list allows); `passed` walks each aggregate type's index
        // backwards from the bound to its last event, so the skipped events in
        // between (a million occurrences, for the audit log) are counted, never read.
        let (tx_id, position, applied): (i64, i64, i64) = sqlx::query_as(&format!(
            "WITH stop AS (
                 SELECT tx_id, position FROM {stop_source}
                  WHERE organization_id = $6 AND aggregate_type = ANY($1)
                    AND (tx_id, position) > ($2::text::xid8, $3)
                    {not_skipped}
                  ORDER BY tx_id, position
                  LIMIT 1),
             passed AS (
                 SELECT last.tx_id, last.position
                   FROM unnest($1::text[]) AS t(aggregate_type)
                  CROSS JOIN LATERAL (
                        SELECT e.tx_id, e.position FROM {all_source} e
                         WHERE e.organization_id = $6 AND e.aggregate_type = t.aggregate_type
                           AND (e.tx_id, e.position) > ($2::text::xid8, $3)
                           AND (e.tx_id, e.position) <= ($4::text::xid8, $5)
                           AND (e.tx_id, e.position)
                               < (coalesce((SELECT tx_id FROM stop), '18446744073709551615'::xid8),
                                  coalesce((SELECT position FROM stop), 9223372036854775807))
                           AND e.tx_id < $7::text::xid8
                         ORDER BY e.tx_id DESC, e.position DESC
                         LIMIT 1) AS last
                  ORDER BY last.tx_id DESC, last.position DESC
                  LIMIT 1),
             target AS (
                 SELECT tx_id, position FROM passed
                 UNION ALL
                 SELECT $2::text::xid8, $3 WHERE NOT EXISTS (SELECT 1 FROM passed))
             SELECT t.tx_id::text::bigint, t.position,
                    (SELECT count(*) FROM {all_source} e
                      WHERE e.organization_id = $6 AND e.aggregate_type = ANY($1)
                        AND (e.tx_id, e.position) <= (t.tx_id, t.position))
               FROM target t",
            stop_source = source(self.projection.aggregate_types(), skip),
            all_source = source(self.projection.aggregate_types(), &[]),
            not_skipped = not_of_types(skip)
        ))
        .bind(self.projection.aggregate_types())
        .bind(from.tx_id.to_string())
        .bind(from.position)
        .bind(until.tx_id.to_string())
        .bind(until.position)
        .bind(partition)
        .bind(horizon)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(&format!(
            "UPDATE {}._replay_checkpoints
                SET last_tx_id = $1::text::xid8, last_position = $2, events_applied = $3
              WHERE organization_id = $4",
            self.quoted()
        ))
        .bind(tx_id.to_string())
        .bind(position)
        .bind(applied)
        .bind(partition)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Up to `batch` events of the projection in `partition` after `after`, none past
    /// `until`.
    pub(super) async fn read(
        &self,
        conn: &mut PgConnection,
        partition: i64,
        after: LogPosition,
        batch: i64,
        until: LogPosition,
    ) -> Result<Vec<crate::StoredEvent>, ReplayError> {
        Ok(read_partition_between(
            conn,
            self.projection.aggregate_types(),
            Columns::rebuilding(&*self.projection),
            partition,
            after,
            until,
            batch,
        )
        .await?)
    }

    /// Applies `events` (which follow `from` in `partition`) to the shadow tables and
    /// moves the shadow's checkpoint there, inside the caller's transaction.
    async fn apply_in(
        &self,
        conn: &mut PgConnection,
        partition: i64,
        from: LogPosition,
        events: &[crate::StoredEvent],
    ) -> Result<usize, ReplayError> {
        let Some(last) = events.last().map(|e| e.log_position()) else {
            return Ok(0);
        };
        let stands = self.position_in(conn, partition, true).await?;
        if stands != from {
            // Another rebuild of this shadow moved it meanwhile.
            return Err(ReplayError::Diverged {
                projection: self.projection.name(),
                live: from,
                rebuilt: stands,
            });
        }
        sqlx::query(&format!(
            "SET LOCAL search_path TO {}, {}",
            self.quoted(),
            quote(&self.live)
        ))
        .execute(&mut *conn)
        .await?;
        if let Err(error) = self.projection.apply_batch(conn, events).await {
            if let ProjectionError::Database(error) = error {
                return Err(ReplayError::Database(error));
            }
            return Err(self.pinpoint(error, events));
        }
        // The caller's transaction may go on with live tables (swap, compare).
        sqlx::query(&format!("SET LOCAL search_path TO {}", quote(&self.live)))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!(
            "UPDATE {}._replay_checkpoints
                SET last_tx_id = $1::text::xid8, last_position = $2,
                    events_applied = events_applied + $3
              WHERE organization_id = $4",
            self.quoted()
        ))
        .bind(last.tx_id.to_string())
        .bind(last.position)
        .bind(events.len() as i64)
        .bind(partition)
        .execute(&mut *conn)
        .await?;
        Ok(events.len())
    }

    /// Applies batches of up to `batch` events, partition after partition, until
    /// nothing more is readable, `until` is reached or `limit` events were applied
    /// (then returns false). `applied` hears of each batch.
    pub async fn fill(
        &self,
        until: &Until,
        batch: i64,
        limit: Option<i64>,
        mut applied: impl FnMut(usize),
    ) -> Result<bool, ReplayError> {
        // Events this run may still read.
        let mut left = limit.unwrap_or(i64::MAX);
        let mut reader = self.pool.acquire().await?;
        for partition in self.partitions(&mut reader).await? {
            let until = until.of(partition);
            left = self
                .fill_partition(&mut reader, partition, until, batch, left, &mut applied)
                .await?;
            if left <= 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// [`Shadow::fill`] in one partition, reading the next batch on `reader` while the
    /// current one is applied, so that PostgreSQL reads and writes on two cores.
    /// Returns how many events the run may still read.
    async fn fill_partition(
        &self,
        reader: &mut PgConnection,
        partition: i64,
        until: LogPosition,
        batch: i64,
        mut left: i64,
        applied: &mut impl FnMut(usize),
    ) -> Result<i64, ReplayError> {
        let mut from = self.position_in(reader, partition, false).await?;
        let mut events = self
            .read(reader, partition, from, batch.min(left), until)
            .await?;
        left -= events.len() as i64;
        while let Some(last) = events.last().map(|e| e.log_position()) {
            let next_size = batch.min(left);
            let apply = async {
                let mut tx = self.pool.begin().await?;
                // A batch lost to a crash is simply rebuilt again (its checkpoint goes
                // with it), so the rebuild need not wait for each commit's fsync.
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                let n = self.apply_in(&mut tx, partition, from, &events).await?;
                tx.commit().await?;
                Ok::<usize, ReplayError>(n)
            };
            let read_ahead = async {
                if next_size <= 0 {
                    return Ok(Vec::new());
                }
                self.read(&mut *reader, partition, last, next_size, until)
                    .await
            };
            let (n, next) = tokio::join!(apply, read_ahead);
            applied(n?);
            from = last;
            events = next?;
            left -= events.len() as i64;
        }
        if left > 0 {
            let mut tx = self.pool.begin().await?;
            self.pass_skipped(&mut tx, partition, until).await?;
            tx.commit().await?;
        }
        Ok(left)
    }

    /// A batch failed on a decode or invariant error: name its first event that is
    /// bad on its own (decoding needs no database, so try that first).
    fn pinpoint(&self, error: ProjectionError, events: &[crate::StoredEvent]) -> ReplayError {
        let position = match &error {
            ProjectionError::Decode { position, .. } => *position,
            _ => events.first().map(|e| e.position).unwrap_or_default(),
        };
        ReplayError::Failed {
            projection: self.projection.name(),
            position,
            source: error,
        }
    }
}
