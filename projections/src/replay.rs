//! Rebuilding read models from position 0 into shadow tables.
//!
//! A [`Shadow`] is a schema holding an empty copy of a projection's tables (same
//! columns, constraints and index names) and its own checkpoint. The projection's SQL
//! names its tables unqualified, so applying events with `search_path` set to the
//! shadow schema first writes into the copies while `events` still resolves to the live
//! log. Each batch commits with the shadow's checkpoint, so an interrupted rebuild
//! resumes where it stopped.
//!
//! [`Shadow::swap`] replaces the live tables under the projection's advisory lock (the
//! live runner pauses), after applying whatever the log gained meanwhile, and moves the
//! live checkpoint: one transaction, so readers see the old read model or the new one.
//! [`Shadow::compare`] instead stops the rebuild exactly at the live checkpoint and
//! diffs the two row by row.

use std::sync::Arc;

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, PgPool, Row};

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::{count_after, not_of_types, read_between, Columns};
use crate::projection::Projection;
use crate::runner::LOCK_NAMESPACE;

/// What a shadow is for; each has its own schema, so a `verify` never disturbs a
/// `replay` in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Rebuild, then swap in.
    Replay,
    /// Rebuild, then compare with the live tables and drop.
    Verify,
}

impl Purpose {
    fn prefix(self) -> &'static str {
        match self {
            Purpose::Replay => "faultline_replay",
            Purpose::Verify => "faultline_verify",
        }
    }
}

/// A rebuild that failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The projection cannot apply an event.
    #[error("the rebuild of {projection} stopped on the event at position {position}")]
    Failed {
        /// The projection.
        projection: &'static str,
        /// The failing event.
        position: i64,
        /// Why.
        #[source]
        source: ProjectionError,
    },
    /// The rebuild cannot stand where the live read model stands: the live side is
    /// ahead of what the rebuild can read (should not happen: both read below the same
    /// horizon), or a comparison's rebuild went past it. Running again is safe.
    #[error("the live read model of {projection} is at {live:?}, the rebuild at {rebuilt:?}")]
    Diverged {
        /// The projection.
        projection: &'static str,
        /// The live checkpoint.
        live: LogPosition,
        /// The shadow's checkpoint.
        rebuilt: LogPosition,
    },
    /// A live index whose definition this tool cannot re-target.
    #[error("cannot copy index definition {0}")]
    Index(String),
}

/// Where a shadow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShadowState {
    /// The last applied event.
    pub position: LogPosition,
    /// Events applied so far.
    pub events_applied: i64,
}

/// How one table of a rebuild differs from its live twin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff {
    /// The table.
    pub table: &'static str,
    /// Rows in the live table.
    pub live_rows: i64,
    /// Rows in the rebuilt table.
    pub rebuilt_rows: i64,
    /// How many live rows the rebuild lacks (counting duplicates).
    pub missing_count: i64,
    /// Up to the requested number of them, as JSON.
    pub missing: Vec<String>,
    /// How many rebuilt rows the live table lacks.
    pub unexpected_count: i64,
    /// Up to the requested number of them, as JSON.
    pub unexpected: Vec<String>,
}

impl TableDiff {
    /// Whether both tables hold exactly the same rows.
    pub fn is_identical(&self) -> bool {
        self.missing_count == 0 && self.unexpected_count == 0
    }
}

/// The outcome of [`Shadow::compare`].
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The log position both sides were compared at.
    pub position: LogPosition,
    /// Events the rebuild applied.
    pub events_applied: i64,
    /// Every table of the projection.
    pub tables: Vec<TableDiff>,
}

impl Comparison {
    /// Whether every table is identical.
    pub fn is_identical(&self) -> bool {
        self.tables.iter().all(TableDiff::is_identical)
    }
}

/// A projection's tables rebuilt in a schema of their own.
pub struct Shadow {
    pool: PgPool,
    projection: Arc<dyn Projection>,
    live: String,
    schema: String,
}

impl Shadow {
    /// Opens the projection's shadow for `purpose`, creating it when absent, when
    /// `fresh`, or when it was made under other migrations (its tables may no longer
    /// match). Returns whether an earlier rebuild is resumed.
    pub async fn open(
        pool: &PgPool,
        projection: Arc<dyn Projection>,
        purpose: Purpose,
        fresh: bool,
    ) -> Result<(Self, bool), ReplayError> {
        let live: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(pool)
            .await?;
        let schema = format!("{}_{}", purpose.prefix(), projection.name());
        let shadow = Self {
            pool: pool.clone(),
            projection,
            live,
            schema,
        };
        let migration: i64 =
            sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations")
                .fetch_one(pool)
                .await?;
        let mut tx = pool.begin().await?;
        // Two rebuilds of one projection must not create its shadow concurrently.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(LOCK_NAMESPACE + 1)
            .bind(&shadow.schema)
            .execute(&mut *tx)
            .await?;
        let stored: Option<i64> = match shadow.checkpoint_exists(&mut tx).await? {
            true => sqlx::query_scalar(&format!(
                "SELECT migration FROM {}._replay_checkpoint",
                shadow.quoted()
            ))
            .fetch_optional(&mut *tx)
            .await?
            .flatten(),
            false => None,
        };
        let resumed = !fresh && stored == Some(migration);
        let rebuilding = shadow.projection.rebuilding();
        if !resumed {
            // Keys are left to the projection only for a rebuild small enough for the
            // memory that takes.
            let deferred = match &rebuilding {
                Some(rebuilding) => {
                    let events = count_after(
                        &mut tx,
                        shadow.projection.aggregate_types(),
                        LogPosition::START,
                        rebuilding.max_events + 1,
                    )
                    .await?;
                    if events <= rebuilding.max_events {
                        rebuilding.deferred_keys
                    } else {
                        &[]
                    }
                }
                None => &[],
            };
            sqlx::query(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                shadow.quoted()
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!("CREATE SCHEMA {}", shadow.quoted()))
                .execute(&mut *tx)
                .await?;
            for table in shadow.projection.tables() {
                shadow.create_table(&mut tx, table, deferred).await?;
            }
            sqlx::query(&format!(
                "CREATE TABLE {}._replay_checkpoint (
                     last_tx_id     xid8   NOT NULL DEFAULT '0',
                     last_position  bigint NOT NULL DEFAULT 0,
                     events_applied bigint NOT NULL DEFAULT 0,
                     migration      bigint
                 )",
                shadow.quoted()
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO {}._replay_checkpoint (migration) VALUES ($1)",
                shadow.quoted()
            ))
            .bind(migration)
            .execute(&mut *tx)
            .await?;
        }
        // A shadow without its deferred keys (new, or resumed) must be filled by the
        // projection that keeps them.
        let mut shadow = shadow;
        if let Some(rebuilding) = rebuilding {
            if shadow
                .lacks_constraints(&mut tx, rebuilding.deferred_keys)
                .await?
            {
                shadow.projection = rebuilding.projection;
            }
        }
        tx.commit().await?;
        Ok((shadow, resumed))
    }

    /// Whether the shadow schema lacks any of the named constraints.
    async fn lacks_constraints(
        &self,
        conn: &mut PgConnection,
        names: &[&str],
    ) -> Result<bool, sqlx::Error> {
        if names.is_empty() {
            return Ok(false);
        }
        let present: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_constraint c
               JOIN pg_namespace n ON n.oid = c.connamespace
              WHERE n.nspname = $1 AND c.conname = ANY($2)",
        )
        .bind(&self.schema)
        .bind(names)
        .fetch_one(conn)
        .await?;
        Ok(present < names.len() as i64)
    }

    /// The projection rebuilt.
    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// The shadow's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn quoted(&self) -> String {
        quote(&self.schema)
    }

    async fn checkpoint_exists(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_tables
                             WHERE schemaname = $1 AND tablename = '_replay_checkpoint')",
        )
        .bind(&self.schema)
        .fetch_one(conn)
        .await
    }

    /// An empty copy of a live table: columns, defaults and checks, then its primary
    /// key, unique constraints and unique indexes under their live names (upserts need
    /// them), but for the `deferred` constraints the projection keeps by itself. Those
    /// and the other indexes wait for [`Shadow::build_indexes`]: filling a table
    /// without them is several times faster.
    async fn create_table(
        &self,
        conn: &mut PgConnection,
        table: &str,
        deferred: &[&str],
    ) -> Result<(), ReplayError> {
        let (live, shadow) = (self.qualified_live(table), self.qualified(table));
        sqlx::query(&format!(
            "CREATE TABLE {shadow} (LIKE {live} INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                 INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION)"
        ))
        .execute(&mut *conn)
        .await?;
        // Storage parameters (fillfactor) are not part of LIKE.
        let options: Option<Vec<String>> =
            sqlx::query_scalar("SELECT reloptions FROM pg_class WHERE oid = $1::regclass")
                .bind(&live)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(options) = options.filter(|options| !options.is_empty()) {
            sqlx::query(&format!(
                "ALTER TABLE {shadow} SET ({})",
                options.join(", ")
            ))
            .execute(&mut *conn)
            .await?;
        }
        self.add_missing_constraints(conn, table, deferred).await?;
        for definition in self.missing_indexes(conn, table, true).await? {
            sqlx::query(&definition).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Adds the live table's primary key, unique and exclusion constraints that the
    /// shadow lacks, under their live names, but for those named in `except`.
    async fn add_missing_constraints(
        &self,
        conn: &mut PgConnection,
        table: &str,
        except: &[&str],
    ) -> Result<(), ReplayError> {
        let constraints: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid)
               FROM pg_constraint
              WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x')
                AND conname <> ALL($3)
                AND conname NOT IN (SELECT conname FROM pg_constraint
                                     WHERE conrelid = $2::regclass)
              ORDER BY conname",
        )
        .bind(self.qualified_live(table))
        .bind(self.qualified(table))
        .bind(except)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in constraints {
            sqlx::query(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                self.qualified(table),
                quote(&name)
            ))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Definitions (re-targeted at the shadow) of the live table's indexes that back no
    /// constraint and that the shadow lacks; only the unique ones if `unique_only`.
    async fn missing_indexes(
        &self,
        conn: &mut PgConnection,
        table: &str,
        unique_only: bool,
    ) -> Result<Vec<String>, ReplayError> {
        // pg_get_indexdef quotes only where needed, as quote_ident does.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT pg_get_indexdef(i.indexrelid),
                    ' ON ' || quote_ident($4) || '.' || quote_ident($5) || ' '
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = $1::regclass
                AND (i.indisunique OR NOT $2)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                AND NOT EXISTS (SELECT 1 FROM pg_indexes s
                                 WHERE s.schemaname = $3 AND s.indexname = c.relname)
              ORDER BY c.relname",
        )
        .bind(self.qualified_live(table))
        .bind(unique_only)
        .bind(&self.schema)
        .bind(&self.live)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        let to = format!(" ON {} ", self.qualified(table));
        rows.into_iter()
            .map(|(definition, from)| {
                if definition.contains(&from) {
                    Ok(definition.replacen(&from, &to, 1))
                } else {
                    Err(ReplayError::Index(definition))
                }
            })
            .collect()
    }

    fn qualified(&self, table: &str) -> String {
        format!("{}.{}", quote(&self.schema), quote(table))
    }

    fn qualified_live(&self, table: &str) -> String {
        format!("{}.{}", quote(&self.live), quote(table))
    }

    /// Where the rebuild stands.
    pub async fn state(&self) -> Result<ShadowState, ReplayError> {
        let mut conn = self.pool.acquire().await?;
        self.state_in(&mut conn, false).await
    }

    async fn state_in(
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
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM events
              WHERE aggregate_type = ANY($1) AND (tx_id, position) > ($2::text::xid8, $3)",
        )
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

    async fn step_in(
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
                 SELECT tx_id, position FROM events
                  WHERE aggregate_type = ANY($1)
                    AND (tx_id, position) > ($2::text::xid8, $3)
                    {}
                  ORDER BY tx_id, position
                  LIMIT 1),
             passed AS (
                 SELECT last.tx_id, last.position
                   FROM unnest($1::text[]) AS t(aggregate_type)
                  CROSS JOIN LATERAL (
                        SELECT e.tx_id, e.position FROM events e
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
                    (SELECT count(*) FROM events e
                      WHERE e.aggregate_type = ANY($1)
                        AND (e.tx_id, e.position) <= (t.tx_id, t.position))
               FROM target t",
            not_of_types(skip)
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

    /// Creates the constraints and indexes left out while filling (idempotent).
    pub async fn build_indexes(&self) -> Result<(), ReplayError> {
        let mut conn = self.pool.acquire().await?;
        for table in self.projection.tables() {
            self.add_missing_constraints(&mut conn, table, &[]).await?;
            for definition in self.missing_indexes(&mut conn, table, false).await? {
                sqlx::query(&definition).execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    /// Replaces the live read model by the rebuilt one: under the projection's lock,
    /// applies what the log gained since the last step, swaps the tables, moves the
    /// live checkpoint to the rebuild's and drops the shadow schema, all in one
    /// transaction. Returns where the new read model stands.
    pub async fn swap(self, batch: i64) -> Result<ShadowState, ReplayError> {
        self.build_indexes().await?;
        let name = self.projection.name();
        checkpoint::register(&self.pool, name).await?;
        let mut tx = self.pool.begin().await?;
        pause_live_runner(&mut tx, name).await?;
        while self.step_in(&mut tx, batch, LogPosition::END).await? > 0 {}
        let live = checkpoint::lock(&mut tx, name).await?.position();
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
        sqlx::query(
            "UPDATE projection_checkpoints
                SET last_tx_id = $2::text::xid8, last_position = $3, events_applied = $4,
                    failed_position = NULL, failed_error = NULL, updated_at = now()
              WHERE name = $1",
        )
        .bind(name)
        .bind(state.position.tx_id.to_string())
        .bind(state.position.position)
        .bind(state.events_applied)
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_notify('faultline_checkpoints', $1)")
            .bind(format!(
                "{name} {} {}",
                state.position.tx_id, state.position.position
            ))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.quoted()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Brings the rebuild to exactly the live checkpoint (holding the projection's lock
    /// so the live side stands still) and compares every table row by row; reports up
    /// to `max_rows` differing rows per side and table. Changes nothing.
    pub async fn compare(&self, batch: i64, max_rows: i64) -> Result<Comparison, ReplayError> {
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        pause_live_runner(&mut tx, name).await?;
        let live = checkpoint::get(&self.pool, name)
            .await?
            .map(|c| c.position())
            .unwrap_or(LogPosition::START);
        while self.step_in(&mut tx, batch, live).await? > 0 {}
        let state = self.state_in(&mut tx, false).await?;
        if state.position != live {
            return Err(ReplayError::Diverged {
                projection: name,
                live,
                rebuilt: state.position,
            });
        }
        let mut tables = Vec::new();
        for table in self.projection.tables() {
            let (live_table, rebuilt) = (self.qualified_live(table), self.qualified(table));
            let live_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {live_table}"))
                .fetch_one(&mut *tx)
                .await?;
            let rebuilt_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {rebuilt}"))
                .fetch_one(&mut *tx)
                .await?;
            let (missing_count, missing) =
                difference(&mut tx, &live_table, &rebuilt, max_rows).await?;
            let (unexpected_count, unexpected) =
                difference(&mut tx, &rebuilt, &live_table, max_rows).await?;
            tables.push(TableDiff {
                table,
                live_rows,
                rebuilt_rows,
                missing_count,
                missing,
                unexpected_count,
                unexpected,
            });
        }
        tx.rollback().await?;
        Ok(Comparison {
            position: live,
            events_applied: state.events_applied,
            tables,
        })
    }

    /// Drops the shadow schema.
    pub async fn discard(self) -> Result<(), ReplayError> {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.quoted()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Takes the projection's runner lock until the end of `tx`: live runners (which only
/// try it) skip their batches meanwhile, so the live read model stands still.
async fn pause_live_runner(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_NAMESPACE)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Rows of `left` that `right` lacks (as a multiset): their number and up to `limit`
/// of them as JSON, sorted so that two runs print the same.
async fn difference(
    conn: &mut PgConnection,
    left: &str,
    right: &str,
    limit: i64,
) -> Result<(i64, Vec<String>), sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT row_to_json(d)::text AS row, count(*) OVER () AS total
           FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right}) AS d
          ORDER BY 1
          LIMIT $1"
    ))
    .bind(limit.max(1))
    .fetch_all(conn)
    .await?;
    let total = rows.first().map(|(_, total)| *total).unwrap_or(0);
    let shown = rows
        .into_iter()
        .take(limit.max(0) as usize)
        .map(|(row, _)| row)
        .collect();
    Ok((total, shown))
}

/// An SQL identifier, quoted.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
