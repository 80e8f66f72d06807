//! (4) Rebuild: `faultline replay --all` over the seeded log, against the rate at which
//! Postgres alone streams the same events table in position order.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use sqlx::PgPool;

use crate::progress::log;

/// What the rebuild step measured.
pub struct RebuildResult {
    /// Events in the log.
    pub events: i64,
    /// Seconds `COPY (SELECT * FROM <the log> ORDER BY organization_id, tx_id,
    /// position) TO STDOUT` took
    /// (best of two; the first warms the cache).
    pub scan_s: f64,
    /// Bytes the scan streamed.
    pub scan_bytes: u64,
    /// Wall seconds of `faultline replay --all` (process start to exit: rebuild,
    /// index builds and swap).
    pub replay_s: f64,
    /// What replay printed, one line per read model.
    pub replay_report: String,
}

impl RebuildResult {
    pub fn scan_per_s(&self) -> f64 {
        self.events as f64 / self.scan_s.max(1e-9)
    }

    pub fn replay_per_s(&self) -> f64 {
        self.events as f64 / self.replay_s.max(1e-9)
    }
}

pub async fn run(
    faultline: &Path,
    database_url: &str,
    pool: &PgPool,
) -> anyhow::Result<RebuildResult> {
    let relation = crate::load::log_relation(pool).await?;
    let events: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {relation}"))
        .fetch_one(pool)
        .await?;
    let mut scans = Vec::new();
    for _ in 0..2 {
        scans.push(scan(pool).await?);
    }
    let (scan_s, scan_bytes) = scans
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("two scans");
    log(format!(
        "rebuild: plain scan of {events} events in {scan_s:.1} s ({:.0}/s, {:.0} MiB)",
        events as f64 / scan_s,
        scan_bytes as f64 / 1048576.0
    ));
    let started = Instant::now();
    let output = Command::new(faultline)
        .args(["replay", "--all", "--fresh"])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .context("run faultline replay")?;
    let replay_s = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "faultline replay failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let replay_report = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    log(format!(
        "rebuild: replay --all in {replay_s:.1} s ({:.0}/s)\n{replay_report}",
        events as f64 / replay_s
    ));
    Ok(RebuildResult {
        events,
        scan_s,
        scan_bytes,
        replay_s,
        replay_report,
    })
}

/// Streams every event, all columns, in position order to this process.
async fn scan(pool: &PgPool) -> anyhow::Result<(f64, u64)> {
    use futures::StreamExt;
    let mut conn = pool.acquire().await?;
    let started = Instant::now();
    // The order a rebuild reads in: partition by partition where the log has them.
    let partitioned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_name = 'events' AND column_name = 'organization_id')",
    )
    .fetch_one(pool)
    .await?;
    let order = if partitioned {
        "log.organization_id, log.tx_id, log.position"
    } else {
        "log.tx_id, log.position"
    };
    let mut stream = conn
        .copy_out_raw(&format!(
            "COPY (SELECT * FROM {} AS log ORDER BY {order}) TO STDOUT",
            crate::load::log_relation(pool).await?
        ))
        .await?;
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        bytes += chunk?.len() as u64;
    }
    Ok((started.elapsed().as_secs_f64(), bytes))
}
