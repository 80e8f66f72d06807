//! Rebuilds into shadow tables, swaps and comparisons, on a real Postgres.

use std::sync::Arc;

use async_trait::async_trait;
use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, PgPool};

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::StoredEvent;
use crate::projection::Projection;
use crate::replay::{Purpose, Shadow, Until};
use crate::runner::{BatchOutcome, ProjectionRunner, RunnerConfig};

/// Keeps one row per event and a running count per stream (an upsert, so it needs
/// its unique constraint in the shadow too).
pub(crate) struct Ledger;

#[async_trait]
impl Projection for Ledger {
    fn name(&self) -> &'static str {
        "ledger"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["counter"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ledger_rows", "ledger_totals"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        sqlx::query("INSERT INTO ledger_rows (position, stream, sequence) VALUES ($1, $2, $3)")
            .bind(event.position)
            .bind(&event.aggregate_id)
            .bind(event.sequence)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO ledger_totals (stream, total) VALUES ($1, 1)
             ON CONFLICT (stream) DO UPDATE SET total = ledger_totals.total + 1",
        )
        .bind(&event.aggregate_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

async fn prepare(pool: &PgPool, events: i64) {
    for statement in [
        "CREATE TABLE ledger_rows (position bigint PRIMARY KEY, stream text NOT NULL,
                                   sequence bigint NOT NULL CHECK (sequence > 0))",
        "CREATE INDEX ledger_rows_stream ON ledger_rows (stream, sequence DESC)",
        "CREATE TABLE ledger_totals (stream text NOT NULL, total bigint NOT NULL)",
        "CREATE UNIQUE INDEX ledger_totals_stream ON ledger_totals (stream)",
    ] {
        sqlx::query(statement).execute(pool).await.unwrap();
    }
    append(pool, 1, events).await;
    checkpoint::register(pool, "ledger").await.unwrap();
}

async fn append(pool: &PgPool, from: i64, to: i64) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'counter', 'c-' || (n % 7), n, 'Added', '1.0', '{}', '{}' FROM generate_series($1, $2) AS n",
    )
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .unwrap();
}

async fn project_live(pool: &PgPool) {
    project_partitions(pool, &[0]).await;
}

async fn project_partitions(pool: &PgPool, partitions: &[i64]) {
    project(pool, Arc::new(Ledger), partitions).await;
}

async fn table_rows(pool: &PgPool) -> (Vec<(i64, String, i64)>, Vec<(String, i64)>) {
    let rows = sqlx::query_as("SELECT position, stream, sequence FROM ledger_rows ORDER BY 1")
        .fetch_all(pool)
        .await
        .unwrap();
    let totals = sqlx::query_as("SELECT stream, total FROM ledger_totals ORDER BY 1")
        .fetch_all(pool)
        .await
        .unwrap();
    (rows, totals)
}

async fn index_names(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes
          WHERE schemaname = current_schema() AND tablename LIKE 'ledger%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_replay_swaps_in_identical_tables_with_the_live_index_names(pool: PgPool) {
    prepare(&pool, 1_000).await;
    project_live(&pool).await;
    let before = table_rows(&pool).await;
    let indexes_before = index_names(&pool).await;

    let (shadow, resumed) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Replay, false)
        .await
        .unwrap();
    shadow.step(300, &Until::End).await.unwrap();
    let state = shadow.swap(300).await.unwrap();

    assert!(!resumed);
    assert_eq!(table_rows(&pool).await, before);
    assert_eq!(index_names(&pool).await, indexes_before);
    assert_eq!(state.events_applied, 1_000);
    let live = checkpoint::get(&pool, "ledger").await.unwrap().unwrap();
    assert_eq!(live.position(), state.position);
    let schemas: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'faultline_replay_%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(schemas, 0, "the shadow schema is gone");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_swap_applies_what_the_log_gained_since_the_last_step(pool: PgPool) {
    prepare(&pool, 500).await;
    project_live(&pool).await;
    let (shadow, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Replay, false)
        .await
        .unwrap();
    while shadow.step(200, &Until::End).await.unwrap() > 0 {}

    append(&pool, 501, 800).await;
    let state = shadow.swap(200).await.unwrap();
    project_live(&pool).await;

    assert!(state.events_applied >= 500);
    let (rows, _) = table_rows(&pool).await;
    assert_eq!(rows.len(), 800, "nothing applied twice, nothing skipped");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_interrupted_rebuild_resumes_from_its_own_checkpoint(pool: PgPool) {
    prepare(&pool, 1_000).await;
    project_live(&pool).await;
    let before = table_rows(&pool).await;
    let (first, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Replay, false)
        .await
        .unwrap();
    first.step(400, &Until::End).await.unwrap();
    drop(first);

    let (second, resumed) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Replay, false)
        .await
        .unwrap();
    let halfway = second.state().await.unwrap();
    while second.step(400, &Until::End).await.unwrap() > 0 {}
    second.swap(400).await.unwrap();

    assert!(resumed);
    assert_eq!(halfway.events_applied, 400);
    assert_eq!(table_rows(&pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_comparison_brings_the_live_side_level_with_the_log_and_finds_no_difference(
    pool: PgPool,
) {
    prepare(&pool, 700).await;
    project_live(&pool).await;
    append(&pool, 701, 900).await;

    let (shadow, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Verify, true)
        .await
        .unwrap();
    let live = shadow.live_positions().await.unwrap();
    while shadow.step(250, &live).await.unwrap() > 0 {}
    let comparison = shadow.compare(250, 10).await.unwrap();
    shadow.discard().await.unwrap();

    assert!(comparison.is_identical(), "{comparison:?}");
    assert_eq!(
        comparison.events_applied, 900,
        "both sides stand at the end of the log"
    );
    assert_eq!(comparison.tables[0].live_rows, 900);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_comparison_names_the_rows_a_tampered_read_model_differs_in(pool: PgPool) {
    prepare(&pool, 300).await;
    project_live(&pool).await;
    sqlx::query("UPDATE ledger_totals SET total = 999 WHERE stream = 'c-3'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM ledger_rows WHERE position = 10")
        .execute(&pool)
        .await
        .unwrap();

    let (shadow, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Verify, true)
        .await
        .unwrap();
    let comparison = shadow.compare(1_000, 10).await.unwrap();

    assert!(!comparison.is_identical());
    let rows = &comparison.tables[0];
    assert_eq!((rows.missing_count, rows.unexpected_count), (0, 1));
    assert!(rows.unexpected[0].contains("\"position\":10"));
    let totals = &comparison.tables[1];
    assert_eq!((totals.missing_count, totals.unexpected_count), (1, 1));
    assert!(totals.missing[0].contains("999"));
}

/// Appends counter events `from..=to` to organization `org`'s partition of the log,
/// with their stream heads and the organization's own, which makes the partition
/// known.
pub(crate) async fn append_in(pool: &PgPool, org: i64, from: i64, to: i64) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, organization_id)
         SELECT 'counter', 'o' || $3 || '-' || (n % 5), n, 'Added', '1.0', '{}', '{}', $3
           FROM generate_series($1, $2) AS n",
    )
    .bind(from)
    .bind(to)
    .bind(org)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO stream_heads (aggregate_type, aggregate_id, sequence, organization_id)
         SELECT 'counter', 'o' || $2 || '-' || s, $1, $2 FROM generate_series(0, 4) AS s
         UNION ALL SELECT 'organization', $2::text, 0, $2
         ON CONFLICT (aggregate_type, aggregate_id, organization_id)
         DO UPDATE SET sequence = excluded.sequence",
    )
    .bind(to)
    .bind(org)
    .execute(pool)
    .await
    .unwrap();
}

/// Runs the live `projection` in `partitions` until each has applied its last event.
/// Tests in parallel hold the cluster-wide horizon back for a moment: it runs until
/// the last event is in, not until a batch comes back empty.
pub(crate) async fn project(pool: &PgPool, projection: Arc<dyn Projection>, partitions: &[i64]) {
    let name = projection.name();
    let runner = ProjectionRunner::new(
        pool.clone(),
        projection,
        crate::notify::LogListener::new(Arc::new(crate::progress::Progress::new(pool.clone()))),
        Arc::new(crate::progress::Progress::new(pool.clone())),
        RunnerConfig::default(),
    );
    for &partition in partitions {
        let last: (i64, i64) = sqlx::query_as(
            "SELECT tx_id::text::bigint, position FROM events WHERE organization_id = $1
              ORDER BY tx_id DESC, position DESC LIMIT 1",
        )
        .bind(partition)
        .fetch_one(pool)
        .await
        .unwrap();
        let last = LogPosition {
            tx_id: last.0,
            position: last.1,
        };
        while checkpoint::get_in(pool, name, partition)
            .await
            .unwrap()
            .unwrap_or(LogPosition::START)
            < last
        {
            if runner.run_batch(partition).await.unwrap() == BatchOutcome::Applied(0) {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_reads_each_partition_up_to_its_own_live_checkpoint_and_swaps_each_in(
    pool: PgPool,
) {
    prepare(&pool, 300).await;
    append_in(&pool, 7, 1, 200).await;
    project_partitions(&pool, &[0, 7]).await;
    // Partition 7's checkpoint lies past its last event, as a checkpoint kept from
    // before the log had partitions does (migration 0040 copied it to each).
    append(&pool, 301, 400).await;
    project_partitions(&pool, &[0]).await;
    sqlx::query(
        "UPDATE projection_checkpoints AS c
            SET last_tx_id = z.last_tx_id, last_position = z.last_position
           FROM projection_checkpoints z
          WHERE c.name = 'ledger' AND c.organization_id = 7
            AND z.name = 'ledger' AND z.organization_id = 0",
    )
    .execute(&pool)
    .await
    .unwrap();
    let before = table_rows(&pool).await;
    let live = checkpoint::positions_in(&mut pool.acquire().await.unwrap(), "ledger")
        .await
        .unwrap();

    let (verify, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Verify, true)
        .await
        .unwrap();
    let comparison = verify.compare(150, 10).await.unwrap();
    verify.discard().await.unwrap();
    let (replay, _) = Shadow::open(&pool, Arc::new(Ledger), Purpose::Replay, false)
        .await
        .unwrap();
    while replay.step(150, &Until::End).await.unwrap() > 0 {}
    let state = replay.swap(150).await.unwrap();
    let rebuilt = table_rows(&pool).await;
    let swapped = checkpoint::positions_in(&mut pool.acquire().await.unwrap(), "ledger")
        .await
        .unwrap();
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT organization_id, events_applied FROM projection_checkpoints
          WHERE name = 'ledger' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    append_in(&pool, 7, 201, 250).await;
    project_partitions(&pool, &[0, 7]).await;

    assert!(comparison.is_identical(), "{comparison:?}");
    assert_eq!(comparison.events_applied, 600);
    assert_eq!(state.events_applied, 600);
    assert_eq!(rebuilt, before);
    assert_eq!(
        table_rows(&pool).await.0.len(),
        650,
        "each event applied once"
    );
    assert_eq!(swapped, live, "no partition's checkpoint moved back");
    assert_eq!(counts, [(0, 400), (7, 200)]);
}
