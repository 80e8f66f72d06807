//! One retention pass: every issue whose last event is older than its project's
//! retention is deleted through the log (`IssueDeleted` by the system actor
//! `retention`), as Sentry's cleanup removes old groups; then the partitions of
//! ingested events every project's retention has passed over are summarized and
//! dropped (`super::drop`); last, source map bundles past retention are deleted and
//! unused blobs removed (`super::bundles`).
//!
//! A pass holds a transaction-scoped advisory lock for its whole length (the
//! transaction stays open; a crash or a dropped pass rolls it back and frees the
//! lock), so passes of several processes on one database never overlap; each records
//! itself in `retention_runs`. The read model may lag the log: `IssueCommand::Expire`
//! lets the issue itself refuse when an event within the retention arrived meanwhile.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use faultline_api::metrics::{
    RETENTION_DROPPED_EVENTS, RETENTION_DROPPED_PARTITIONS, RETENTION_EXPIRED_ISSUES,
    RETENTION_HELD_BACK, RETENTION_LAST_PASS,
};
use faultline_commands::{CommandBus, CommandError};
use faultline_domain::issue::{Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::issues::due::{expired_issues, ExpiredIssue};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Advisory lock key of retention passes (namespace, key).
const LOCK: (i32, i32) = faultline_api::erasure::RETENTION_LOCK;
/// Issues read per query of a pass.
const BATCH: i64 = 500;
/// Issues a pass lists in its report (a dry run's output); the count goes on.
const LISTED: usize = 10_000;

/// What a pass did, or would do.
#[derive(Debug, Default)]
pub struct PassReport {
    /// How many issues past their retention it deleted (or, dry, would delete).
    pub expired: usize,
    /// The first [`LISTED`] of them.
    pub listed: Vec<ExpiredIssue>,
    /// Whether another process held the lock, so nothing was done.
    pub skipped: bool,
    /// The partitions of ingested events it dropped (or, dry, would drop).
    pub partitions: super::drop::DropReport,
    /// Event bodies evicted from projects over their `maxStoredEvents`.
    pub evicted: Vec<super::evict::Evicted>,
    /// Source map bundles past retention, and unused blobs removed.
    pub bundles: super::bundles::BundleReport,
    /// Rows of web UI sessions that ended long ago, deleted.
    pub sessions_purged: u64,
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
    let mut lock = pool.begin().await?;
    let mine: bool = if options.wait {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(LOCK.0)
            .bind(LOCK.1)
            .execute(&mut *lock)
            .await?;
        true
    } else {
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
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
    let result = pass_steps(pool, bus, options, now).await;
    if let Some(run_id) = run_id {
        let partitions = result.as_ref().ok().map(|report| &report.partitions);
        let held_back = partitions
            .filter(|partitions| partitions.held_back)
            .and_then(|partitions| partitions.kept.as_ref());
        sqlx::query(
            "UPDATE retention_runs
                SET finished_at = clock_timestamp(), expired_issues = $2, error = $3,
                    dropped_partitions = $4, held_back_partition = $5, held_back_reason = $6
              WHERE id = $1",
        )
        .bind(run_id)
        .bind(result.as_ref().map_or(0, |report| report.expired as i64))
        .bind(result.as_ref().err().map(|error| format!("{error:#}")))
        .bind(partitions.map_or(0, |partitions| partitions.dropped.len() as i32))
        .bind(held_back.map(|(partition, _)| partition.as_str()))
        .bind(held_back.map(|(_, reason)| reason.as_str()))
        .execute(pool)
        .await?;
    }
    lock.commit().await?;
    result
}

/// The steps of a pass, in order: issues past their retention, bodies over a
/// project's maximum, partitions every project's retention has passed over.
async fn pass_steps(
    pool: &PgPool,
    bus: &CommandBus,
    options: PassOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    let mut report = expire(pool, bus, options, now).await?;
    let longest: i32 =
        sqlx::query_scalar("SELECT greatest($1, coalesce(max(retention_days), 0)) FROM projects")
            .bind(options.default_days as i32)
            .fetch_one(pool)
            .await?;
    report.evicted = super::evict::evict_past_retention(
        pool,
        options.default_days,
        longest,
        options.dry_run,
        now,
    )
    .await?;
    report
        .evicted
        .extend(super::evict::evict_over_max(pool, options.dry_run).await?);
    report.partitions = super::drop::drop_old_partitions(
        pool,
        bus,
        &folders(),
        options.default_days,
        options.dry_run,
        now,
    )
    .await?;
    report.bundles =
        super::bundles::expire_bundles(pool, bus, options.default_days, options.dry_run, now)
            .await?;
    if !options.dry_run {
        report.sessions_purged = faultline_commands::sessions::purge_ended(pool).await?;
    }
    Ok(report)
}

async fn expire(
    pool: &PgPool,
    bus: &CommandBus,
    options: PassOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    let metadata = EventMetadata::system("retention", now);
    let mut report = PassReport::default();
    let mut after = None;
    loop {
        let batch = expired_issues(pool, now, options.default_days, after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.last_seen, last.id));
        for issue in batch {
            if !options.dry_run {
                let command = IssueCommand::Expire {
                    horizon: now - TimeDelta::days(i64::from(issue.retention_days)),
                    at: now,
                };
                match bus
                    .execute_in::<Issue>(Some(issue.org_id), &issue.stream_id, command, &metadata)
                    .await
                {
                    Ok(_) => {}
                    // Deleted or merged meanwhile, or an event within the retention
                    // came: nothing to expire.
                    Err(CommandError::Refused(refusal)) => {
                        tracing::debug!(stream = issue.stream_id, %refusal, "issue not expired");
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            report.expired += 1;
            if report.listed.len() < LISTED {
                report.listed.push(issue);
            }
        }
    }
    Ok(report)
}

/// Every read model and reactor that folds streams with ingested events (issues,
/// monitors): each must have applied a partition (and its summaries) before it is
/// dropped.
fn folders() -> Vec<super::drop::Folder> {
    faultline_projections::registry::durable()
        .iter()
        .chain(faultline_projections::registry::reactors("").iter())
        .filter(|projection| {
            let reads = projection.aggregate_types();
            reads.contains(&"issue") || reads.contains(&"monitor")
        })
        .map(|projection| super::drop::Folder {
            name: projection.name().to_owned(),
            reads: projection.aggregate_types(),
        })
        .collect()
}

/// This process, as `retention_runs` names it.
fn process_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Runs a pass every `interval` until `shutdown`, skipping while another process
/// runs one; a pass in progress stops at shutdown (its lock goes with it).
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
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => return,
            outcome = pass => outcome,
        };
        match outcome {
            Ok(report) if report.skipped => {}
            Ok(report) => {
                metrics::counter!(RETENTION_EXPIRED_ISSUES).increment(report.expired as u64);
                let dropped = &report.partitions.dropped;
                metrics::counter!(RETENTION_DROPPED_PARTITIONS).increment(dropped.len() as u64);
                metrics::counter!(RETENTION_DROPPED_EVENTS)
                    .increment(dropped.iter().map(|p| p.events.max(0) as u64).sum());
                metrics::gauge!(RETENTION_HELD_BACK).set(if report.partitions.held_back {
                    1.0
                } else {
                    0.0
                });
                if let Some((partition, reason)) = &report.partitions.kept {
                    if report.partitions.held_back {
                        tracing::warn!(partition, reason, "retention held back");
                    }
                }
                metrics::gauge!(RETENTION_LAST_PASS).set(Utc::now().timestamp() as f64);
                if report.expired > 0 {
                    tracing::info!(expired_issues = report.expired, "retention pass");
                }
            }
            Err(error) => tracing::warn!(error = format!("{error:#}"), "retention pass failed"),
        }
    }
}
