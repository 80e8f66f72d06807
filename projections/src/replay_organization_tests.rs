//! Rebuilding, swapping in and comparing one organization's rows of a read model, on
//! a real Postgres.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};

use crate::checkpoint;
use crate::error::ProjectionError;
use crate::log::StoredEvent;
use crate::projection::Projection;
use crate::replay::{Purpose, ReplayError, Shadow, Until};
use crate::replay_tests::{append_in, project};

/// Counts each stream's events, in rows that name their organization.
struct Tally;

#[async_trait]
impl Projection for Tally {
    fn name(&self) -> &'static str {
        "tally"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["counter"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["tally"]
    }

    fn organization_column(&self) -> Option<&'static str> {
        Some("org_id")
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        sqlx::query(
            "INSERT INTO tally (stream, org_id, total) VALUES ($1, $2, 1)
             ON CONFLICT (stream, org_id) DO UPDATE SET total = tally.total + 1",
        )
        .bind(&event.aggregate_id)
        .bind(event.organization_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// Organization 7 with 200 events and organization 8 with 100, projected; then every
/// row's total is spoiled.
async fn prepare_spoiled(pool: &PgPool) {
    sqlx::query(
        "CREATE TABLE tally (stream text NOT NULL, org_id bigint NOT NULL,
                             total bigint NOT NULL, PRIMARY KEY (stream, org_id))",
    )
    .execute(pool)
    .await
    .unwrap();
    checkpoint::register(pool, "tally").await.unwrap();
    append_in(pool, 7, 1, 200).await;
    append_in(pool, 8, 1, 100).await;
    project(pool, Arc::new(Tally), &[7, 8]).await;
    sqlx::query("UPDATE tally SET total = 0")
        .execute(pool)
        .await
        .unwrap();
}

async fn totals(pool: &PgPool, org: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT total FROM tally WHERE org_id = $1 ORDER BY stream")
        .bind(org)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn checkpoints(pool: &PgPool) -> Vec<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT organization_id, last_position, events_applied FROM projection_checkpoints
          WHERE name = 'tally' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_comparison_of_one_organization_reports_only_its_rows(pool: PgPool) {
    prepare_spoiled(&pool).await;

    let (shadow, _) = Shadow::open_organization(&pool, Arc::new(Tally), Purpose::Verify, true, 7)
        .await
        .unwrap();
    let comparison = shadow.compare(50, 10).await.unwrap();
    shadow.discard().await.unwrap();

    let tally = &comparison.tables[0];
    assert_eq!(comparison.events_applied, 200);
    assert_eq!((tally.live_rows, tally.rebuilt_rows), (5, 5));
    assert_eq!((tally.missing_count, tally.unexpected_count), (5, 5));
    assert!(tally.missing.iter().all(|row| row.contains("\"org_id\":7")));
    assert!(tally
        .unexpected
        .iter()
        .all(|row| row.contains("\"total\":40")));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_of_one_organization_replaces_its_rows_and_leaves_the_others(pool: PgPool) {
    prepare_spoiled(&pool).await;
    let before = checkpoints(&pool).await;

    let (shadow, resumed) =
        Shadow::open_organization(&pool, Arc::new(Tally), Purpose::Replay, false, 7)
            .await
            .unwrap();
    while shadow.step(50, &Until::End).await.unwrap() > 0 {}
    let state = shadow.swap(50).await.unwrap();
    let after = checkpoints(&pool).await;
    let rebuilt = totals(&pool, 7).await;
    append_in(&pool, 7, 201, 250).await;
    project(&pool, Arc::new(Tally), &[7]).await;

    assert!(!resumed);
    assert_eq!(state.events_applied, 200);
    assert_eq!(rebuilt, [40, 40, 40, 40, 40]);
    assert_eq!(
        totals(&pool, 8).await,
        [0, 0, 0, 0, 0],
        "8's rows untouched"
    );
    assert_eq!(after, before, "the swap keeps each partition's checkpoint");
    assert_eq!(
        totals(&pool, 7).await,
        [50, 50, 50, 50, 50],
        "the live runner goes on from the swapped checkpoint, applying each event once"
    );
    let schemas: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'faultline_replay_%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(schemas, 0, "the shadow schema is gone");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_read_model_whose_rows_do_not_name_their_organization_is_rebuilt_only_whole(
    pool: PgPool,
) {
    let refused = Shadow::open_organization(
        &pool,
        Arc::new(crate::replay_tests::Ledger),
        Purpose::Replay,
        false,
        7,
    )
    .await;

    assert!(matches!(
        refused,
        Err(ReplayError::NotPerOrganization {
            projection: "ledger"
        })
    ));
}
