//! What the log stores, per project and per table: the figures behind
//! `faultline retention status`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// The ingested events one project has in the log, against its retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProjectStorage {
    /// The organization's slug.
    pub org: String,
    /// The project's slug.
    pub project: String,
    /// The days its events are kept (its own, else the server's).
    pub retention_days: i32,
    /// Whether `retention_days` is the project's own setting.
    pub own_retention: bool,
    /// The most events it keeps, if it set a limit.
    pub max_events: Option<i64>,
    /// Its ingested events stored whole (not evicted by `max_events`).
    pub events: i64,
    /// The stored size of its ingested data (occurrences and monitor check-ins) in
    /// bytes, rows as PostgreSQL keeps them, compressed.
    pub bytes: i64,
    /// When the oldest of that data was received.
    pub oldest: Option<DateTime<Utc>>,
    /// How many are older than the retention.
    pub expired: i64,
    /// How many exceed the maximum count (the oldest ones).
    pub over_max: i64,
}

/// One table of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TableStorage {
    /// The table's name.
    pub table: String,
    /// Its rows.
    pub rows: i64,
    /// Of which ingested events.
    pub ingested: i64,
    /// Its size on disk with indexes and TOAST, in bytes.
    pub bytes: i64,
}

/// Every live project, with what it stores, by organization and project slug. One
/// pass over the ingested events: for an operator's command, not a request path.
pub async fn by_project(
    pool: &PgPool,
    default_days: u32,
) -> Result<Vec<ProjectStorage>, sqlx::Error> {
    sqlx::query_as(
        "WITH settings AS (
             SELECT p.id, o.slug AS org, p.slug AS project,
                    coalesce(p.retention_days, $1) AS retention_days,
                    p.retention_days IS NOT NULL AS own_retention, p.max_events
               FROM projects p JOIN organizations o ON o.id = p.org_id),
         stored AS (
             SELECT e.project_id,
                    count(*) FILTER (WHERE e.event_type = 'EventIngested'
                                       AND (e.body IS NOT NULL OR e.event_version <> '4.0'))
                      AS events,
                    sum(pg_column_size(e.*))::bigint AS bytes,
                    min(e.recorded_at) AS oldest,
                    count(*) FILTER (
                        WHERE e.event_type = 'EventIngested'
                          AND e.recorded_at < now() - make_interval(days => s.retention_days)
                    ) AS expired
               FROM ingested_events e
               JOIN settings s ON s.id = e.project_id
              GROUP BY e.project_id)
         SELECT s.org, s.project, s.retention_days, s.own_retention, s.max_events,
                coalesce(d.events, 0) AS events, coalesce(d.bytes, 0) AS bytes, d.oldest,
                coalesce(d.expired, 0) AS expired,
                greatest(coalesce(d.events, 0) - coalesce(s.max_events, d.events, 0), 0) AS over_max
           FROM settings s LEFT JOIN stored d ON d.project_id = s.id
          ORDER BY s.org, s.project",
    )
    .bind(default_days as i32)
    .fetch_all(pool)
    .await
}

/// The log's tables with their rows and size on disk: `events`, then each partition
/// of `ingested_events` in log order (the default partition last). Each table is
/// counted in a statement of its own: on Citus a partition's rows are in shards on the
/// workers, whose `tableoid` is not the coordinator's, and its size comes from
/// `log_relation_size` (migration 0044).
pub async fn tables(pool: &PgPool) -> Result<Vec<TableStorage>, sqlx::Error> {
    let ingested: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.relname::text, log_relation_size(c.oid)
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           LEFT JOIN ingested_partitions p ON p.name = c.relname
          WHERE i.inhparent = 'ingested_events'::regclass
          ORDER BY p.lower NULLS LAST",
    )
    .fetch_all(pool)
    .await?;
    let events_bytes: i64 = sqlx::query_scalar("SELECT log_relation_size('events')")
        .fetch_one(pool)
        .await?;
    let mut tables = vec![TableStorage {
        table: "events".to_owned(),
        rows: count(pool, "events").await?,
        ingested: 0,
        bytes: events_bytes,
    }];
    for (table, bytes) in ingested {
        let rows = count(pool, &table).await?;
        tables.push(TableStorage {
            table,
            rows,
            ingested: rows,
            bytes,
        });
    }
    Ok(tables)
}

async fn count(pool: &PgPool, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {}",
        crate::sql::identifier(table)
    ))
    .fetch_one(pool)
    .await
}

/// A partition of ingested events retention dropped (`dropped_partitions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DroppedPartition {
    /// Its table's name.
    pub name: String,
    /// The log positions it held: from `lower` up to, not including, `upper`.
    pub lower: i64,
    /// See `lower`.
    pub upper: i64,
    /// Its ingested events.
    pub events: i64,
    /// Its size on disk when dropped.
    pub bytes: i64,
    /// When.
    pub dropped_at: DateTime<Utc>,
}

/// The latest `limit` partitions dropped, newest first.
pub async fn dropped_partitions(
    pool: &PgPool,
    limit: i64,
) -> Result<Vec<DroppedPartition>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, lower, upper, events, bytes, dropped_at FROM dropped_partitions
          ORDER BY upper DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One retention pass (`retention_runs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RetentionRun {
    /// The process that ran it (`host:pid`).
    pub process: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (`None` while running, or if its process died).
    pub finished_at: Option<DateTime<Utc>>,
    /// Issues it deleted.
    pub expired_issues: i64,
}

/// A retention pass that kept a partition although its time had come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct RetentionHold {
    /// The partition kept.
    pub partition: String,
    /// Why.
    pub reason: String,
    /// When the pass ended.
    pub at: DateTime<Utc>,
}

/// What held the latest finished retention pass back, if anything did.
pub async fn retention_hold(pool: &PgPool) -> Result<Option<RetentionHold>, sqlx::Error> {
    let latest: Option<(Option<String>, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT held_back_partition, held_back_reason, finished_at FROM retention_runs
          WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(match latest {
        Some((Some(partition), Some(reason), at)) => Some(RetentionHold {
            partition,
            reason,
            at,
        }),
        _ => None,
    })
}

/// The latest `limit` retention passes, newest first.
pub async fn retention_runs(pool: &PgPool, limit: i64) -> Result<Vec<RetentionRun>, sqlx::Error> {
    sqlx::query_as(
        "SELECT process, started_at, finished_at, expired_issues FROM retention_runs
          ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The log's tables with PostgreSQL's estimate of their rows (kept by ANALYZE) and
/// their size on disk: cheap enough for every metrics scrape. On Citus the estimate is
/// the coordinator's (its shells hold no rows); the size is the shards'.
pub async fn table_estimates(pool: &PgPool) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT relname::text, greatest(reltuples, 0)::bigint, log_relation_size(oid)
           FROM pg_class
          WHERE relname = 'events'
             OR oid IN (SELECT inhrelid FROM pg_inherits
                         WHERE inhparent = 'ingested_events'::regclass)",
    )
    .fetch_all(pool)
    .await
}
