//! The runner's exactly-once guarantees, on a real Postgres.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::StoredEvent;
use crate::notify::LogListener;
use crate::progress::Progress;
use crate::projection::Projection;
use crate::runner::{BatchOutcome, ProjectionRunner, RunnerConfig};

/// Records every event it applies in `tally_seen`, whose primary key makes a second
/// application of one event fail loudly.
struct Tally {
    /// Fail on the event at this sequence (a bug in the projection).
    fail_at_sequence: Option<i64>,
    failed: AtomicUsize,
    /// Per-event delay, to have a batch in flight when the task is killed.
    delay: Duration,
}

impl Tally {
    fn new() -> Self {
        Self {
            fail_at_sequence: None,
            failed: AtomicUsize::new(0),
            delay: Duration::ZERO,
        }
    }
}

#[async_trait]
impl Projection for Tally {
    fn name(&self) -> &'static str {
        "tally"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["counter"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["tally_seen"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        sqlx::query("INSERT INTO tally_seen (position) VALUES ($1)")
            .bind(event.position)
            .execute(&mut *conn)
            .await?;
        if Some(event.sequence) == self.fail_at_sequence {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(ProjectionError::Invalid("simulated crash".into()));
        }
        Ok(())
    }
}

async fn prepare(pool: &PgPool, events: i64) {
    sqlx::query("CREATE TABLE tally_seen (position bigint PRIMARY KEY)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'counter', 'c-' || (n % 7), n, 'Added', '1.0', '{}', '{}' FROM generate_series(1, $1) AS n",
    )
    .bind(events)
    .execute(pool)
    .await
    .unwrap();
    checkpoint::register(pool, "tally").await.unwrap();
}

fn runner(pool: &PgPool, projection: Arc<dyn Projection>, batch_size: i64) -> ProjectionRunner {
    let progress = Arc::new(Progress::new(pool.clone()));
    ProjectionRunner::new(
        pool.clone(),
        projection,
        LogListener::new(progress.clone()),
        progress,
        RunnerConfig {
            batch_size,
            idle_poll: Duration::from_millis(50),
            gather: Duration::from_millis(5),
            retry_after: Duration::from_millis(50),
        },
    )
}

async fn drain(runner: &ProjectionRunner) {
    while runner.run_batch(0).await.unwrap() != BatchOutcome::Applied(0) {}
}

async fn seen(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tally_seen")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The checkpoint once the projection recorded a failure (bounded wait).
async fn stopped_checkpoint(pool: &PgPool) -> checkpoint::Checkpoint {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let stored = checkpoint::get(pool, "tally").await.unwrap().unwrap();
        if stored.failed_position.is_some() || tokio::time::Instant::now() > deadline {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_event_stops_the_projection_there_and_is_applied_once_after_a_fix(pool: PgPool) {
    prepare(&pool, 250).await;
    let broken = Arc::new(Tally {
        fail_at_sequence: Some(120),
        ..Tally::new()
    });

    let shutdown = CancellationToken::new();
    let task = tokio::spawn(runner(&pool, broken.clone(), 100).run(shutdown.clone()));
    let stopped = stopped_checkpoint(&pool).await;
    shutdown.cancel();
    task.await.unwrap();
    let failing_position: i64 =
        sqlx::query_scalar("SELECT position FROM events WHERE sequence = 120")
            .fetch_one(&pool)
            .await
            .unwrap();

    assert_eq!(
        seen(&pool).await,
        119,
        "everything before the failing event is kept"
    );
    assert_eq!(stopped.events_applied, 119);
    assert_eq!(stopped.failed_position, Some(failing_position));

    drain(&runner(&pool, Arc::new(Tally::new()), 100)).await;
    let done = checkpoint::get(&pool, "tally").await.unwrap().unwrap();
    assert_eq!(seen(&pool).await, 250);
    assert_eq!(done.events_applied, 250);
    assert_eq!(done.failed_position, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_event_stops_its_partition_and_the_others_go_on(pool: PgPool) {
    prepare(&pool, 40).await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, organization_id)
         SELECT 'counter', 'other', n, 'Added', '1.0', '{}', '{}', 9
           FROM generate_series(1, 30) AS n",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO stream_heads (aggregate_type, aggregate_id, sequence, appended, organization_id)
         VALUES ('counter', 'other', 30, 30, 9), ('organization', '9', 0, 0, 9)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Only partition 0 has an event at sequence 35.
    let broken = Arc::new(Tally {
        fail_at_sequence: Some(35),
        ..Tally::new()
    });

    let shutdown = CancellationToken::new();
    let task = tokio::spawn(runner(&pool, broken, 100).run(shutdown.clone()));
    stopped_checkpoint(&pool).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen(&pool).await < 34 + 30 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    task.await.unwrap();
    let partitions: Vec<(i64, i64, bool)> = sqlx::query_as(
        "SELECT organization_id, events_applied, failed_position IS NOT NULL
           FROM projection_checkpoints
          WHERE name = 'tally' ORDER BY organization_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    assert_eq!(partitions, [(0, 34, true), (9, 30, false)]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_runner_killed_between_events_loses_and_repeats_nothing(pool: PgPool) {
    prepare(&pool, 400).await;
    let slow = Arc::new(Tally {
        delay: Duration::from_millis(2),
        ..Tally::new()
    });

    for _ in 0..3 {
        let task = tokio::spawn(runner(&pool, slow.clone(), 37).run(CancellationToken::new()));
        tokio::time::sleep(Duration::from_millis(150)).await;
        task.abort();
        let _ = task.await;
    }
    let partial = seen(&pool).await;
    drain(&runner(&pool, Arc::new(Tally::new()), 37)).await;

    let done = checkpoint::get(&pool, "tally").await.unwrap().unwrap();
    assert!(
        partial < 400,
        "the kills happened mid-stream ({partial} applied)"
    );
    assert_eq!(seen(&pool).await, 400);
    assert_eq!(done.events_applied, 400);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_runners_of_one_projection_apply_each_event_once(pool: PgPool) {
    prepare(&pool, 1000).await;
    let shutdown = CancellationToken::new();
    let first = tokio::spawn(runner(&pool, Arc::new(Tally::new()), 25).run(shutdown.clone()));
    let second = tokio::spawn(runner(&pool, Arc::new(Tally::new()), 25).run(shutdown.clone()));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while seen(&pool).await < 1000 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    first.await.unwrap();
    second.await.unwrap();

    let done = checkpoint::get(&pool, "tally").await.unwrap().unwrap();
    assert_eq!(seen(&pool).await, 1000);
    assert_eq!(done.events_applied, 1000);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_reader_waits_for_a_late_commit_with_a_lower_position(pool: PgPool) {
    let insert = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                  VALUES ('counter', $1, 1, 'Added', '1.0', '{}', '{}') RETURNING position";
    let mut slow = pool.begin().await.unwrap();
    let slow_position: i64 = sqlx::query_scalar(insert)
        .bind("slow")
        .fetch_one(&mut *slow)
        .await
        .unwrap();
    let fast_position: i64 = sqlx::query_scalar(insert)
        .bind("fast")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();

    let before = crate::log::read_after(&mut conn, &["counter"], Default::default(), 10)
        .await
        .unwrap();
    slow.commit().await.unwrap();
    // The horizon is cluster-wide: transactions of tests running beside this one
    // (other databases) may hold it back for a moment.
    let mut after = Vec::new();
    for _ in 0..500 {
        after = crate::log::read_after(&mut conn, &["counter"], Default::default(), 10)
            .await
            .unwrap();
        if after.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    assert!(slow_position < fast_position);
    assert!(
        before.is_empty(),
        "nothing past a running transaction is readable"
    );
    let order: Vec<&str> = after.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(order, vec!["slow", "fast"]);
}
