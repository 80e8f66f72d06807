//! Dropping old partitions of `ingested_events`, oldest first, once every project's
//! retention has passed over them.
//!
//! Before a partition goes, each issue stream with occurrences in it records what they
//! added (`IssueCommand::SummarizeOccurrences` → `OccurrencesSummarized`), and each
//! monitor stream with check-ins in it the state they led to
//! (`MonitorCommand::SummarizeCheckIns` → `CheckInsSummarized`), both by the system
//! actor `retention`; the partition is dropped only when every read model has applied
//! those summaries (`drop_ingested_partition`, migration 0028, also refuses while a
//! rebuild's shadow exists). A read model rebuilt later folds the summaries instead of
//! the events, so `verify` stays exact.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use faultline_commands::CommandBus;
use faultline_projections::sql::identifier as quote;
use sqlx::PgPool;

/// How long a pass waits for the read models to apply a partition's summaries.
const APPLIED_WITHIN: Duration = Duration::from_secs(60);

/// A partition dropped (or, dry, that would be).
#[derive(Debug, Clone)]
pub struct DroppedPartition {
    /// Its table.
    pub name: String,
    /// Its ingested events.
    pub events: i64,
    /// Its size on disk.
    pub bytes: i64,
    /// Issue streams summarized before it went.
    pub summarized: usize,
    /// Monitor streams summarized before it went.
    pub monitors_summarized: usize,
}

/// What the partition step did, and why it stopped where it did.
#[derive(Debug, Clone, Default)]
pub struct DropReport {
    /// The partitions dropped, oldest first.
    pub dropped: Vec<DroppedPartition>,
    /// The first partition kept, and why.
    pub kept: Option<(String, String)>,
    /// Whether it was kept although its time had come: a read model behind, a rebuild
    /// in progress, events in the default partition. Retention waits rather than lose
    /// what a read model has not applied; `/_ready` says so.
    pub held_back: bool,
}

/// The aggregate types with ingested events: how to find a partition's newest event
/// of the type (in literals the partial indexes match), and the event that
/// summarizes a stream's share of a partition.
const INGESTED: [Ingested; 2] = [
    Ingested {
        aggregate_type: "issue",
        rows: ISSUE_ROWS,
        summary: "OccurrencesSummarized",
    },
    Ingested {
        aggregate_type: "monitor",
        rows: MONITOR_ROWS,
        summary: "CheckInsSummarized",
    },
];

/// A partition's rows of issue streams, in SQL.
pub(super) const ISSUE_ROWS: &str = "aggregate_type = 'issue'";
/// A partition's rows of monitor streams, in SQL the partial index of
/// non-occurrences matches.
pub(super) const MONITOR_ROWS: &str =
    "event_type <> 'EventIngested' AND aggregate_type = 'monitor'";

struct Ingested {
    aggregate_type: &'static str,
    rows: &'static str,
    summary: &'static str,
}

/// A read model or reactor that folds streams with ingested events: it must have
/// applied a partition's events of its types, and their summaries, before the
/// partition goes. (A checkpoint moves only over its own projection's types.)
#[derive(Debug, Clone)]
pub struct Folder {
    /// The projection's name.
    pub name: String,
    /// The aggregate types it reads.
    pub reads: &'static [&'static str],
}

/// A log position per ingested aggregate type and partition of the log.
type Positions = Vec<(&'static str, i64, (i64, i64))>;

/// A range partition of `ingested_events`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Partition {
    pub(super) name: String,
    pub(super) lower: i64,
    pub(super) upper: i64,
}

/// Drops every partition, oldest first, whose newest event is older than the longest
/// retention any project has (partitions hold every project's events), that the log
/// has moved past and that every projection in `projections` has applied.
pub async fn drop_old_partitions(
    pool: &PgPool,
    bus: &CommandBus,
    folders: &[Folder],
    default_days: u32,
    dry_run: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<DropReport> {
    let longest: i32 =
        sqlx::query_scalar("SELECT greatest($1, coalesce(max(retention_days), 0)) FROM projects")
            .bind(default_days as i32)
            .fetch_one(pool)
            .await?;
    let cutoff = now - TimeDelta::days(i64::from(longest));
    let log_end: i64 = sqlx::query_scalar(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_position_seq",
    )
    .fetch_one(pool)
    .await?;
    let default_lowest: Option<i64> =
        sqlx::query_scalar("SELECT min(position) FROM ingested_events_default")
            .fetch_one(pool)
            .await?;
    let partitions: Vec<Partition> =
        sqlx::query_as("SELECT name, lower, upper FROM ingested_partitions ORDER BY lower")
            .fetch_all(pool)
            .await?;
    // A statement of its own: on Citus, a join of this list with a distributed
    // partition cannot be pushed down ("cannot push down this subquery").
    let organizations: Vec<i64> = sqlx::query_scalar(faultline_projections::log::PARTITIONS)
        .fetch_all(pool)
        .await?;
    let mut report = DropReport::default();
    for partition in partitions {
        let keep = |reason: String| Some((partition.name.clone(), reason));
        if partition.upper > log_end {
            report.kept = keep("the log still writes into it".into());
            break;
        }
        if default_lowest.is_some_and(|lowest| lowest < partition.upper) {
            report.kept = keep("the default partition holds events below its end".into());
            report.held_back = true;
            break;
        }
        let newest = newest_recorded(pool, &partition, &organizations).await?;
        if let Some(recorded) = newest.filter(|recorded| *recorded > cutoff) {
            report.kept = keep(format!(
                "its newest event ({}) is within the longest retention ({longest} days)",
                recorded.to_rfc3339()
            ));
            break;
        }
        let newest_of_types = newest_by_type(pool, &partition, &organizations).await?;
        if let Some(behind) = first_folder_behind(pool, folders, &newest_of_types).await? {
            report.kept = keep(format!("read model {behind} has not applied it yet"));
            report.held_back = true;
            break;
        }
        // Two statements: on Citus the size (of the shards, `log_relation_size`) is
        // not pushed down with a read of the distributed partition.
        let events: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(&partition.name)))
                .fetch_one(pool)
                .await?;
        let bytes: i64 = sqlx::query_scalar("SELECT log_relation_size($1::regclass)")
            .bind(&partition.name)
            .fetch_one(pool)
            .await?;
        if dry_run {
            report.dropped.push(DroppedPartition {
                name: partition.name,
                events,
                bytes,
                summarized: 0,
                monitors_summarized: 0,
            });
            continue;
        }
        let summarized = super::summaries::summarize_issues(pool, bus, &partition, now).await?;
        let monitors_summarized =
            super::summaries::summarize_monitors(pool, bus, &partition, now).await?;
        if !summaries_applied(pool, folders, partition.upper).await? {
            report.kept = keep("read models have not applied its summaries yet".into());
            report.held_back = true;
            break;
        }
        let dropped = sqlx::query("SELECT drop_ingested_partition($1)")
            .bind(&partition.name)
            .execute(pool)
            .await;
        match dropped {
            Ok(_) => {}
            Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("55006") => {
                report.kept = keep("a rebuild of the read models is in progress".into());
                report.held_back = true;
                break;
            }
            Err(error) => return Err(error.into()),
        }
        tracing::info!(
            partition = partition.name,
            events,
            bytes,
            summarized,
            monitors_summarized,
            "partition dropped"
        );
        report.dropped.push(DroppedPartition {
            name: partition.name,
            events,
            bytes,
            summarized,
            monitors_summarized,
        });
    }
    Ok(report)
}

/// The first of `projections` whose checkpoint in log partition `partition` is not
/// past `(tx_id, position)`.
pub(super) async fn first_behind(
    pool: &PgPool,
    projections: &[String],
    partition: i64,
    (tx_id, position): (i64, i64),
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT n.name FROM unnest($1::text[]) AS n(name)
           LEFT JOIN projection_checkpoints c ON c.name = n.name AND c.organization_id = $4
          WHERE c.name IS NULL
             OR (c.last_tx_id, c.last_position) < ($2::text::xid8, $3)
          ORDER BY n.name LIMIT 1",
    )
    .bind(projections)
    .bind(tx_id.to_string())
    .bind(position)
    .bind(partition)
    .fetch_optional(pool)
    .await
}

/// When the newest event of `partition` was stored: the newest of each organization's,
/// one probe of its index each (on Citus, each on the one worker that holds it).
async fn newest_recorded(
    pool: &PgPool,
    partition: &Partition,
    organizations: &[i64],
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let probe = format!(
        "SELECT recorded_at FROM {} WHERE organization_id = $1
          ORDER BY tx_id DESC, position DESC LIMIT 1",
        quote(&partition.name)
    );
    let mut newest = None;
    for organization in organizations {
        let last: Option<DateTime<Utc>> = sqlx::query_scalar(&probe)
            .bind(organization)
            .fetch_optional(pool)
            .await?;
        newest = newest.max(last);
    }
    Ok(newest)
}

/// The newest event of each ingested aggregate type in `partition`, in each partition
/// of the log (organization): one probe of the table's index per organization.
async fn newest_by_type(
    pool: &PgPool,
    partition: &Partition,
    organizations: &[i64],
) -> Result<Positions, sqlx::Error> {
    let mut newest = Vec::new();
    for ingested in &INGESTED {
        let probe = format!(
            "SELECT tx_id::text::bigint, position FROM {} WHERE organization_id = $1 AND {}
              ORDER BY tx_id DESC, position DESC LIMIT 1",
            quote(&partition.name),
            ingested.rows
        );
        for organization in organizations {
            let last: Option<(i64, i64)> = sqlx::query_as(&probe)
                .bind(organization)
                .fetch_optional(pool)
                .await?;
            if let Some(last) = last {
                newest.push((ingested.aggregate_type, *organization, last));
            }
        }
    }
    Ok(newest)
}

/// The first folder whose checkpoint is not past the position given for a type it
/// reads.
async fn first_folder_behind(
    pool: &PgPool,
    folders: &[Folder],
    positions: &Positions,
) -> Result<Option<String>, sqlx::Error> {
    for (aggregate_type, partition, last) in positions {
        let names: Vec<String> = folders
            .iter()
            .filter(|folder| folder.reads.contains(aggregate_type))
            .map(|folder| folder.name.clone())
            .collect();
        if let Some(behind) = first_behind(pool, &names, *partition, *last).await? {
            return Ok(Some(behind));
        }
    }
    Ok(None)
}

/// Waits until every folder is past the partition's summaries of its types.
async fn summaries_applied(pool: &PgPool, folders: &[Folder], below: i64) -> anyhow::Result<bool> {
    let mut summaries = Vec::new();
    for ingested in &INGESTED {
        let last: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT DISTINCT ON (organization_id)
                    organization_id, tx_id::text::bigint, position
               FROM events
              WHERE aggregate_type = $1 AND event_type = $2
                AND (payload -> $2 ->> 'below')::bigint = $3
              ORDER BY organization_id, tx_id DESC, position DESC",
        )
        .bind(ingested.aggregate_type)
        .bind(ingested.summary)
        .bind(below)
        .fetch_all(pool)
        .await?;
        summaries.extend(last.into_iter().map(|(organization, tx_id, position)| {
            (ingested.aggregate_type, organization, (tx_id, position))
        }));
    }
    let deadline = Instant::now() + APPLIED_WITHIN;
    loop {
        if first_folder_behind(pool, folders, &summaries)
            .await?
            .is_none()
        {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
