//! (4b) `faultline log export` over the whole seeded log, to /dev/null: wall time,
//! events/s, and the export process's peak RSS, which must stay flat however long
//! the log is (the export streams rows; it never holds the log).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::server::memory_kib;

/// What one export run measured.
pub struct ExportResult {
    /// Events in the log when the export started.
    pub events: i64,
    /// Bytes of payload + metadata in the log (PostgreSQL's text size).
    pub log_bytes: i64,
    /// The `events` table's size on disk, indexes and TOAST included.
    pub stored_bytes: i64,
    pub wall_s: f64,
    /// Highest `VmHWM` of the export process seen while polling every 5 ms (KiB).
    pub peak_rss_kib: Option<u64>,
}

impl ExportResult {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }

    /// `[figure, value]` rows of the table.
    pub fn rows(&self) -> Vec<[String; 2]> {
        vec![
            [
                format!(
                    "log export: {} events (~{:.0} MiB JSON) to /dev/null, wall / events/s",
                    self.events,
                    self.log_bytes as f64 / 1048576.0
                ),
                format!("{:.1} s / {:.0}/s", self.wall_s, self.events_per_s()),
            ],
            [
                "storage: bytes on disk per stored event (the log's tables, indexes, TOAST)".into(),
                format!(
                    "{:.0} B ({:.0} MiB for {} events)",
                    self.stored_bytes as f64 / self.events.max(1) as f64,
                    self.stored_bytes as f64 / 1048576.0,
                    self.events
                ),
            ],
            [
                "memory: log export peak RSS".into(),
                self.peak_rss_kib.map_or("n/a".into(), |kib| {
                    format!("{:.0} MiB", kib as f64 / 1024.0)
                }),
            ],
        ]
    }

    pub fn to_json(&self) -> Value {
        json!({
            "events": self.events,
            "log_bytes": self.log_bytes,
            "stored_bytes": self.stored_bytes,
            "stored_bytes_per_event": self.stored_bytes as f64 / self.events.max(1) as f64,
            "wall_s": self.wall_s,
            "events_per_s": self.events_per_s(),
            "peak_rss_kib": self.peak_rss_kib,
        })
    }
}

/// The log's tables' size on disk. A statement of its own: on Citus, a subquery in the
/// target list of a read of the distributed log cannot be pushed down. A server older
/// than `log_relation_size` (migration 0044) is measured with `pg_total_relation_size`.
async fn stored_bytes(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let measured_anywhere: bool =
        sqlx::query_scalar("SELECT to_regproc('log_relation_size') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    let size = if measured_anywhere {
        "log_relation_size(oid)"
    } else {
        "pg_total_relation_size(oid)"
    };
    sqlx::query_scalar(&format!(
        "SELECT coalesce(sum({size}), 0)::bigint FROM pg_class
          WHERE oid = 'events'::regclass
             OR oid IN (SELECT inhrelid FROM pg_inherits
                         WHERE inhparent = to_regclass('ingested_events'))"
    ))
    .fetch_one(pool)
    .await
}

/// Runs `faultline log export` on `database_url` with stdout to /dev/null.
pub async fn run(
    faultline: &Path,
    database_url: &str,
    pool: &PgPool,
) -> anyhow::Result<ExportResult> {
    let log = crate::load::log_relation(pool).await?;
    let (events, log_bytes): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*),
                coalesce(sum(length(payload::text) + length(metadata::text)
                             + coalesce((octet_length(body) + 2) / 3 * 4, 0)), 0)::bigint
           FROM {log}",
    ))
    .fetch_one(pool)
    .await?;
    let stored_bytes = stored_bytes(pool).await?;
    let started = Instant::now();
    let mut child = Command::new(faultline)
        .args(["log", "export"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::File::create("/dev/null")?))
        .stderr(Stdio::inherit())
        .spawn()
        .context("spawn faultline log export")?;
    let pid = child.id();
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some((hwm, _)) = memory_kib(pid) {
            peak = Some(peak.map_or(hwm, |p| p.max(hwm)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let wall_s = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("faultline log export failed: {status}");
    }
    Ok(ExportResult {
        events,
        log_bytes,
        stored_bytes,
        wall_s,
        peak_rss_kib: peak,
    })
}
