//! One retention pass: every issue whose last event is older than its project's
//! retention is deleted through the log (`IssueDeleted`, by the system actor
//! `retention`), as Sentry's cleanup removes old groups.
//!
//! A pass holds a session advisory lock, so passes of several processes on one
//! database never overlap; each records itself in `retention_runs`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use faultline_api::metrics::{RETENTION_EXPIRED_ISSUES, RETENTION_LAST_PASS};
use faultline_commands::CommandBus;
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::due::{expired_issues, ExpiredIssue};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Advisory lock key of retention passes (namespace, key).
const LOCK: (i32, i32) = (0x0FA1, 0x2E7E);
/// Issues read per query of a pass.
const BATCH: i64 = 500;

/// What a pass did, or would do.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Issues past their retention, deleted (or, dry, to delete).
    pub expired: Vec<ExpiredIssue>,
    /// Whether another process held the lock, so nothing was done.
    pub skipped: bool,
}

/// How a pass runs.
#[derive(Debug, Clone, Copy)]
pub struct PassOptions {
    /// The retention of projects without their own, in days.
    pub default_days: u32,
    /// Only list what would be deleted.
    pub dry_run: bool,
    /// Wait for another process's pass to end instead of skipping this one.
    pub wait: bool,
}

/// Runs one pass at `now`.
pub async fn run_pass(
    pool: &PgPool,
    bus: &CommandBus,
    options: PassOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    // A session lock on a connection of its own: held for the whole pass, released
    // when the connection goes back (or dies with the process).
    let mut lock = pool.acquire().await?;
    let mine: bool = if options.wait {
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(LOCK.0)
            .bind(LOCK.1)
            .execute(&mut *lock)
            .await?;
        true
    } else {
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LOCK.0)
            .bind(LOCK.1)
            .fetch_one(&mut *lock)
            .await?
    };
    if !mine {
        return Ok(PassReport {
            skipped: true,
            ..PassReport::default()
        });
    }
    let result = expire(pool, bus, options, now).await;
    sqlx::query("SELECT pg_advisory_unlock($1, $2)")
        .bind(LOCK.0)
        .bind(LOCK.1)
        .execute(&mut *lock)
        .await?;
    result
}

async fn expire(
    pool: &PgPool,
    bus: &CommandBus,
    options: PassOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    let run_id: Option<i64> = if options.dry_run {
        None
    } else {
        Some(
            sqlx::query_scalar(
                "INSERT INTO retention_runs (process, started_at) VALUES ($1, clock_timestamp())
                 RETURNING id",
            )
            .bind(process_name())
            .fetch_one(pool)
            .await?,
        )
    };
    let metadata = EventMetadata::system("retention", now);
    let mut report = PassReport::default();
    // The read model drops a deleted issue a moment after its event: remember what
    // this pass handled so a re-read does not take it twice.
    let mut seen = HashSet::new();
    loop {
        let batch = expired_issues(pool, now, options.default_days, BATCH + seen.len() as i64)
            .await?
            .into_iter()
            .filter(|issue| seen.insert(issue.stream_id.clone()))
            .collect::<Vec<_>>();
        if batch.is_empty() {
            break;
        }
        for issue in batch {
            if !options.dry_run {
                let command = IssueCommand::Delete {
                    at: now,
                    actor: Some("retention".to_owned()),
                };
                if let Err(error) = bus
                    .execute::<Issue>(&issue.stream_id, command, &metadata)
                    .await
                {
                    // Deleted or merged meanwhile: nothing is left to expire.
                    tracing::debug!(stream = issue.stream_id, %error, "issue not expired");
                    continue;
                }
            }
            report.expired.push(issue);
        }
    }
    if let Some(run_id) = run_id {
        sqlx::query(
            "UPDATE retention_runs SET finished_at = clock_timestamp(), expired_issues = $2
              WHERE id = $1",
        )
        .bind(run_id)
        .bind(report.expired.len() as i64)
        .execute(pool)
        .await?;
    }
    Ok(report)
}

/// This process, as `retention_runs` names it.
fn process_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Runs a pass every `interval` until `shutdown`, skipping while another process
/// runs one.
pub async fn run_job(
    pool: PgPool,
    bus: std::sync::Arc<CommandBus>,
    default_days: u32,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let options = PassOptions {
        default_days,
        dry_run: false,
        wait: false,
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let pass = run_pass(&pool, &bus, options, Utc::now()).instrument(tracing::info_span!(
            "faultline.retention.pass",
            default_days
        ));
        match pass.await {
            Ok(report) if report.skipped => {}
            Ok(report) => {
                metrics::counter!(RETENTION_EXPIRED_ISSUES).increment(report.expired.len() as u64);
                metrics::gauge!(RETENTION_LAST_PASS).set(Utc::now().timestamp() as f64);
                if !report.expired.is_empty() {
                    tracing::info!(expired_issues = report.expired.len(), "retention pass");
                }
            }
            Err(error) => tracing::warn!(%error, "retention pass failed"),
        }
    }
}
