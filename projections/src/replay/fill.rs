//! The rebuild loop: read a batch of the log, apply it to the shadow tables and move
//! the shadow's checkpoint with it; pass over the events the projection skips.

use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;

use super::error::ReplayError;
use super::shadow::{quote, Shadow};
use crate::error::ProjectionError;
use crate::log::{not_of_types, read_between, source, Columns};

impl Shadow {
    /// Applies the next batch of up to `batch` events (none past `until`) in a
    /// transaction of its own; returns how many it applied (0: nothing readable).
    pub async fn step(&self, batch: i64, until: Option<LogPosition>) -> Result<usize, ReplayError> {
        let mut tx = self.pool.begin().await?;
        let applied = self
            .step_in(&mut tx, batch, until.unwrap_or(LogPosition::END))
            .await?;
        tx.commit().await?;
        Ok(applied)
    }

    pub(super) async fn step_in(
        &self,
        conn: &mut PgConnection,
        batch: i64,
        until: LogPosition,
    ) -> Result<usize, ReplayError> {
        let from = self.state_in(conn, false).await?.position;
        let events = self.read(conn, from, batch, until).await?;
        if events.is_empty() {
            self.pass_skipped(conn, until).await?;
        }
        self.apply_in(conn, from, &events).await
    }

    /// Once nothing is left to apply: moves the shadow's checkpoint over the skipped
    /// events (`replay_skips`) that follow it, up to the first event it must apply,
    /// `until` or the end of what is readable, and counts every event of its types up
    /// to there as applied. The rebuild then ends on the position and count of a live
    /// runner that read them all, and the swap finds it level with the live
    /// checkpoint. One statement, so no event can slip in between.
    async fn pass_skipped(
        &self,
        conn: &mut PgConnection,
        until: LogPosition,
    ) -> Result<(), ReplayError> {
        let skip = self.projection.replay_skips();
        if skip.is_empty() {
            return Ok(());
        }
        let from = self.state_in(conn, true).await?;
        // `stop` reads the few events not skipped (through the partial index the
        // literal type list allows); `passed` walks each aggregate type's index
        // backwards from the bound to its last event, so the skipped events in
        // between (a million occurrences, for the audit log) are counted, never read.
        let (tx_id, position, applied): (i64, i64, i64) = sqlx::query_as(&format!(
            "WITH stop AS (
                 SELECT tx_id, position FROM {stop_source}
                  WHERE aggregate_type = ANY($1)
                    AND (tx_id, position) > ($2::text::xid8, $3)
                    {not_skipped}
                  ORDER BY tx_id, position
                  LIMIT 1),
             passed AS (
                 SELECT last.tx_id, last.position
                   FROM unnest($1::text[]) AS t(aggregate_type)
                  CROSS JOIN LATERAL (
                        SELECT e.tx_id, e.position FROM {all_source} e
                         WHERE e.aggregate_type = t.aggregate_type
                           AND (e.tx_id, e.position) > ($2::text::xid8, $3)
                           AND (e.tx_id, e.position) <= ($4::text::xid8, $5)
                           AND (e.tx_id, e.position)
                               < (coalesce((SELECT tx_id FROM stop), '18446744073709551615'::xid8),
                                  coalesce((SELECT position FROM stop), 9223372036854775807))
                           AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
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
                      WHERE e.aggregate_type = ANY($1)
                        AND (e.tx_id, e.position) <= (t.tx_id, t.position))
               FROM target t",
            stop_source = source(self.projection.aggregate_types(), skip),
            all_source = source(self.projection.aggregate_types(), &[]),
            not_skipped = not_of_types(skip)
        ))
        .bind(self.projection.aggregate_types())
        .bind(from.position.tx_id.to_string())
        .bind(from.position.position)
        .bind(until.tx_id.to_string())
        .bind(until.position)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(&format!(
            "UPDATE {}._replay_checkpoint
                SET last_tx_id = $1::text::xid8, last_position = $2, events_applied = $3",
            self.quoted()
        ))
        .bind(tx_id.to_string())
        .bind(position)
        .bind(applied)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Up to `batch` events of the projection after `after`, none past `until`.
    async fn read(
        &self,
        conn: &mut PgConnection,
        after: LogPosition,
        batch: i64,
        until: LogPosition,
    ) -> Result<Vec<crate::StoredEvent>, ReplayError> {
        Ok(read_between(
            conn,
            self.projection.aggregate_types(),
            Columns::rebuilding(&*self.projection),
            after,
            until,
            batch,
        )
        .await?)
    }

    /// Applies `events` (which follow `from`) to the shadow tables and moves the
    /// shadow's checkpoint, inside the caller's transaction.
    async fn apply_in(
        &self,
        conn: &mut PgConnection,
        from: LogPosition,
        events: &[crate::StoredEvent],
    ) -> Result<usize, ReplayError> {
        let Some(last) = events.last().map(|e| e.log_position()) else {
            return Ok(0);
        };
        let state = self.state_in(conn, true).await?;
        if state.position != from {
            // Another rebuild of this shadow moved it meanwhile.
            return Err(ReplayError::Diverged {
                projection: self.projection.name(),
                live: from,
                rebuilt: state.position,
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
            "UPDATE {}._replay_checkpoint
                SET last_tx_id = $1::text::xid8, last_position = $2,
                    events_applied = events_applied + $3",
            self.quoted()
        ))
        .bind(last.tx_id.to_string())
        .bind(last.position)
        .bind(events.len() as i64)
        .execute(&mut *conn)
        .await?;
        Ok(events.len())
    }

    /// Applies batches of up to `batch` events until nothing more is readable, `until`
    /// is reached or `limit` events were applied (then returns false), reading the
    /// next batch on a second connection while the current one is applied, so that
    /// PostgreSQL reads and writes on two cores. `applied` hears of each batch.
    pub async fn fill(
        &self,
        until: Option<LogPosition>,
        batch: i64,
        limit: Option<i64>,
        mut applied: impl FnMut(usize),
    ) -> Result<bool, ReplayError> {
        let until = until.unwrap_or(LogPosition::END);
        // Events this run may still read.
        let mut left = limit.unwrap_or(i64::MAX);
        let mut reader = self.pool.acquire().await?;
        let mut from = self.state().await?.position;
        let mut events = self.read(&mut reader, from, batch.min(left), until).await?;
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
                let n = self.apply_in(&mut tx, from, &events).await?;
                tx.commit().await?;
                Ok::<usize, ReplayError>(n)
            };
            let read_ahead = async {
                if next_size <= 0 {
                    return Ok(Vec::new());
                }
                self.read(&mut reader, last, next_size, until).await
            };
            let (n, next) = tokio::join!(apply, read_ahead);
            applied(n?);
            from = last;
            events = next?;
            left -= events.len() as i64;
        }
        if left > 0 {
            let mut tx = self.pool.begin().await?;
            self.pass_skipped(&mut tx, until).await?;
            tx.commit().await?;
        }
        Ok(left > 0)
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
