//! (4c) One retention pass over the seeded log: every ingested event so far made old
//! enough to drop, then `faultline retention run` timed while the server runs (it
//! summarizes each issue's occurrences, waits for the read models to apply the
//! summaries, and drops the partitions).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use sqlx::PgPool;

/// What the pass measured.
pub struct RetentionResult {
    /// Ingested events in the partitions made droppable.
    pub events: i64,
    /// Issue streams with events in them.
    pub streams: i64,
    /// Ingested events the pass dropped.
    pub dropped: i64,
    pub wall_s: f64,
}

impl RetentionResult {
    pub fn events_per_s(&self) -> f64 {
        self.dropped as f64 / self.wall_s.max(1e-9)
    }

    /// The `[figure, value]` row of the table.
    pub fn row(&self) -> [String; 2] {
        [
            format!(
                "retention: summarize {} issues and drop {} events, wall / events/s",
                self.streams, self.dropped
            ),
            format!("{:.1} s / {:.0}/s", self.wall_s, self.events_per_s()),
        ]
    }

    pub fn to_json(&self) -> Value {
        json!({
            "events": self.events,
            "streams": self.streams,
            "dropped": self.dropped,
            "wall_s": self.wall_s,
            "events_per_s": self.events_per_s(),
        })
    }
}

/// Moves the log past its partitions, backdates their rows past any retention (with
/// the immutability triggers off: the bench owns this database), and times one pass.
/// `None` on a build without partitioned ingested events.
pub async fn run(
    faultline: &Path,
    database_url: &str,
    pool: &PgPool,
) -> anyhow::Result<Option<RetentionResult>> {
    let partitioned: bool =
        sqlx::query_scalar("SELECT to_regclass('ingested_partitions') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    if !partitioned {
        return Ok(None);
    }
    let old: Vec<String> = sqlx::query_scalar("SELECT name FROM ingested_partitions")
        .fetch_all(pool)
        .await?;
    sqlx::query(
        "SELECT setval('events_position_seq', (SELECT max(upper) FROM ingested_partitions))",
    )
    .execute(pool)
    .await?;
    // As the server attaches partitions: on Citus, one connection per worker.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT ensure_ingested_partitions(1000000)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    for name in &old {
        // The immutability triggers are off for this transaction alone, on Citus's
        // shards too (`SET LOCAL`s it propagates); the arithmetic is on UTC timestamps,
        // as Citus ships an UPDATE only with immutable functions of its columns.
        let mut tx = pool.begin().await?;
        for setting in [
            "SET LOCAL citus.propagate_set_commands = 'local'",
            "SET LOCAL citus.enable_unsafe_triggers = on",
            "SET LOCAL session_replication_role = replica",
        ] {
            sqlx::query(setting).execute(&mut *tx).await?;
        }
        sqlx::query(&format!(
            "UPDATE {name}
                SET recorded_at = (recorded_at AT TIME ZONE 'UTC' - interval '4000 days')
                                  AT TIME ZONE 'UTC'"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let (events, streams): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT aggregate_id) FROM ingested_events")
            .fetch_one(pool)
            .await?;
    let before: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(events), 0)::bigint FROM dropped_partitions")
            .fetch_one(pool)
            .await?;
    crate::progress::log(format!(
        "retention: one pass over {events} events of {streams} issues"
    ));
    let started = Instant::now();
    let status = Command::new(faultline)
        .args(["retention", "run"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .context("spawn faultline retention run")?;
    let wall_s = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("faultline retention run failed: {status}");
    }
    let after: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(events), 0)::bigint FROM dropped_partitions")
            .fetch_one(pool)
            .await?;
    Ok(Some(RetentionResult {
        events,
        streams,
        dropped: after - before,
        wall_s,
    }))
}
