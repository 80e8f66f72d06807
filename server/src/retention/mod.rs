//! `faultline retention ...`: what the log stores against each project's retention,
//! and the pass that applies it.

pub mod bundles;
pub mod drop;
pub mod evict;
pub mod partitions;
pub mod pass;
mod summaries;

use clap::Subcommand;
use faultline_commands::CommandBus;
use faultline_domain::issue::short_id;
use faultline_projections::storage;
use sqlx::PgPool;

use crate::config::RetentionArgs;
use pass::{run_pass, PassOptions};

/// The subcommands of `faultline retention`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Print each project's retention, its stored events and bytes, how many are
    /// past the retention or over the maximum count, and each table of the log.
    Status {
        /// The server-wide retention the projects without their own follow.
        #[command(flatten)]
        retention: RetentionArgs,
        /// Print one JSON document instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Apply retention now: delete every issue whose last event is older than its
    /// project's retention (waiting for a pass another process is running).
    Run {
        /// The server-wide retention the projects without their own follow.
        #[command(flatten)]
        retention: RetentionArgs,
        /// Only print what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `faultline retention ...`.
pub async fn run(pool: &PgPool, command: RetentionCommand) -> anyhow::Result<()> {
    match command {
        RetentionCommand::Status { retention, json } => {
            let days = retention.event_retention_days;
            let projects = storage::by_project(pool, days).await?;
            let tables = storage::tables(pool).await?;
            let runs = storage::retention_runs(pool, 10).await?;
            let dropped = storage::dropped_partitions(pool, 10).await?;
            if json {
                let document = serde_json::json!({
                    "eventRetentionDays": days,
                    "projects": projects,
                    "tables": tables,
                    "droppedPartitions": dropped,
                    "runs": runs,
                });
                println!("{}", serde_json::to_string_pretty(&document)?);
            } else {
                print!("{}", render(days, &projects, &tables, &runs));
                print!("{}", render_dropped(&dropped));
            }
            Ok(())
        }
        RetentionCommand::Run { retention, dry_run } => {
            let bus = CommandBus::new(pool.clone());
            let options = PassOptions {
                default_days: retention.event_retention_days,
                dry_run,
                wait: true,
            };
            let report = run_pass(pool, &bus, options, chrono::Utc::now()).await?;
            let verb = if dry_run { "would delete" } else { "deleted" };
            for issue in &report.listed {
                println!(
                    "{verb} {}/{} {}: last seen {}, past {} days",
                    issue.org,
                    issue.project,
                    short_id(&issue.project, issue.short_number),
                    issue.last_seen.to_rfc3339(),
                    issue.retention_days,
                );
            }
            println!("{verb} {} issue(s)", report.expired);
            let evict_verb = if dry_run { "would evict" } else { "evicted" };
            for evicted in &report.evicted {
                println!(
                    "{evict_verb} the bodies of {} event(s) of {}/{} {}",
                    evicted.events, evicted.org, evicted.project, evicted.why
                );
            }
            let drop_verb = if dry_run { "would drop" } else { "dropped" };
            for partition in &report.partitions.dropped {
                println!(
                    "{drop_verb} {}: {} event(s), {} bytes, {} issue stream(s) and {} monitor stream(s) summarized",
                    partition.name,
                    partition.events,
                    partition.bytes,
                    partition.summarized,
                    partition.monitors_summarized
                );
            }
            if let Some((name, reason)) = &report.partitions.kept {
                println!("kept {name} and later partitions: {reason}");
            }
            let bundle_verb = if dry_run { "would delete" } else { "deleted" };
            println!(
                "{bundle_verb} {} source map bundle(s) past retention, removed {} unused blob(s)",
                report.bundles.expired, report.bundles.blobs
            );
            Ok(())
        }
    }
}

fn render_dropped(dropped: &[storage::DroppedPartition]) -> String {
    let mut out = String::from("\nlatest partitions dropped:\n");
    for partition in dropped {
        out += &format!(
            "  {} (positions {}..{}): {} event(s), {} bytes, dropped {}\n",
            partition.name,
            partition.lower,
            partition.upper,
            partition.events,
            partition.bytes,
            partition.dropped_at.to_rfc3339()
        );
    }
    out
}

fn render(
    days: u32,
    projects: &[storage::ProjectStorage],
    tables: &[storage::TableStorage],
    runs: &[storage::RetentionRun],
) -> String {
    let mut out = format!("server retention: {days} days\n\n");
    out += &format!(
        "{:<32} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n",
        "PROJECT", "RETENTION", "MAX", "EVENTS", "BYTES", "EXPIRED", "OVER MAX", "OLDEST"
    );
    for p in projects {
        let retention = format!(
            "{}d{}",
            p.retention_days,
            if p.own_retention { "" } else { "*" }
        );
        out += &format!(
            "{:<32} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n",
            format!("{}/{}", p.org, p.project),
            retention,
            p.max_events.map_or("-".to_owned(), |max| max.to_string()),
            p.events,
            p.bytes,
            p.expired,
            p.over_max,
            p.oldest.map_or("-".to_owned(), |at| at.to_rfc3339()),
        );
    }
    out += "(* the server's retention)\n\n";
    out += &format!(
        "{:<32} {:>10} {:>10} {:>12}\n",
        "TABLE", "ROWS", "INGESTED", "BYTES"
    );
    for t in tables {
        out += &format!(
            "{:<32} {:>10} {:>10} {:>12}\n",
            t.table, t.rows, t.ingested, t.bytes
        );
    }
    out += "\nlatest retention passes:\n";
    for run in runs {
        out += &format!(
            "  {} by {}: {}, {} issue(s) deleted\n",
            run.started_at.to_rfc3339(),
            run.process,
            run.finished_at
                .map_or("unfinished".to_owned(), |at| format!(
                    "ended {}",
                    at.to_rfc3339()
                )),
            run.expired_issues,
        );
    }
    out
}
