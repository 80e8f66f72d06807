//! A server killed (SIGKILL) again and again while its issue projection catches up
//! on a big backlog: each kill lands between two read-model commits or inside one,
//! and after the last restart no event has been applied twice or skipped.
//!
//! The backlog is the whole log again: with the server down, the issue read model is
//! emptied and its checkpoint moved back to the start, as when a new version of the
//! projection is deployed. The unit-level version of this is
//! `projections/src/runner_tests.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_projections::registry;
use nix::sys::signal::Signal;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{
    create_user, event_envelope, fresh_database, ingest_tally, project_with_key, Api, TestServer,
};

const CLIENTS: usize = 16;
const EVENTS: usize = 12_000;
const MAX_KILLS: usize = 6;

async fn events_applied(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT sum(events_applied)::bigint FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Each durable projection's `events_applied`, and the events of its types in the log.
async fn checkpoint_figures(pool: &PgPool) -> Vec<(&'static str, i64, i64)> {
    let mut figures = Vec::new();
    for projection in registry::durable() {
        let in_log: i64 =
            sqlx::query_scalar("SELECT count(*) FROM log_events WHERE aggregate_type = ANY($1)")
                .bind(projection.aggregate_types())
                .fetch_one(pool)
                .await
                .unwrap();
        let applied = events_applied(pool, projection.name()).await;
        figures.push((projection.name(), applied, in_log));
    }
    figures
}

async fn ingest(endpoint: &str, auth: &str) -> usize {
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (endpoint, auth, acknowledged) =
                (endpoint.to_owned(), auth.to_owned(), acknowledged.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                for n in (client..EVENTS).step_by(CLIENTS) {
                    let event = json!({
                        "event_id": format!("{n:032x}"),
                        "message": format!("backlog {}", n % 150),
                        "fingerprint": [format!("group-{}", n % 150)],
                        "level": "error",
                        "tags": {"shard": format!("s{}", n % 7)},
                    });
                    let answer = http
                        .post(&endpoint)
                        .header("x-sentry-auth", &auth)
                        .body(event_envelope(&event))
                        .send()
                        .await;
                    if answer.is_ok_and(|r| r.status() == 200) {
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    acknowledged.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_repeatedly_while_projections_catch_up_applies_every_event_once() {
    let (url, pool) = fresh_database().await;
    let mut server = TestServer::on_database(&url);
    let token = create_user(&url, "backlog@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "backlog", "kill").await;
    let endpoint = server.at(&format!("/api/{}/envelope/", project.project_id));
    let auth = format!("Sentry sentry_key={}", project.key);
    let acknowledged = ingest(&endpoint, &auth).await;
    server.stop_with(Signal::SIGKILL);

    let projections = registry::durable();
    let issues = projections
        .iter()
        .find(|p| p.name() == "issues")
        .expect("the issue projection")
        .clone();
    sqlx::query(&format!("TRUNCATE {}", issues.tables().join(", ")))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE projection_checkpoints SET last_tx_id = '0', last_position = 0, events_applied = 0
          WHERE name = 'issues'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let backlog: i64 =
        sqlx::query_scalar("SELECT count(*) FROM log_events WHERE aggregate_type = ANY($1)")
            .bind(issues.aggregate_types())
            .fetch_one(&pool)
            .await
            .unwrap();

    // Kill as soon as a restarted server has committed at least one more batch,
    // while the rest of the backlog is still to come.
    let mut kills = Vec::new();
    let catch_up_started = Instant::now();
    while kills.len() < MAX_KILLS {
        let before = events_applied(&pool, "issues").await;
        let mut restarted = TestServer::on_database(&url);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut now_applied = before;
        while now_applied == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
            now_applied = events_applied(&pool, "issues").await;
        }
        // Vary where in the next batch the kill lands (reading, applying, committing).
        tokio::time::sleep(Duration::from_millis(7 * kills.len() as u64)).await;
        restarted.stop_with(Signal::SIGKILL);
        let after_kill = events_applied(&pool, "issues").await;
        kills.push(after_kill);
        if after_kill >= backlog {
            break;
        }
    }

    let last = TestServer::on_database(&url);
    let mut checkpoints = Vec::new();
    for _ in 0..600 {
        checkpoints = checkpoint_figures(&pool).await;
        if checkpoints
            .iter()
            .all(|(_, applied, in_log)| applied == in_log)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caught_up_in = catch_up_started.elapsed();
    let applied = events_applied(&pool, "issues").await;
    let tally = ingest_tally(&pool, Duration::ZERO).await;
    let (counted, logged, projected) = (tally.counted, tally.logged(), tally.projected);
    let issue_count: i64 = sqlx::query_scalar("SELECT count(*) FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ready = Api::new(&last, &token).get_ok("/_ready").await;

    println!(
        "projection crash: {acknowledged} events acknowledged, backlog of {backlog} issue events; \
         killed {} times during catch-up, events_applied after each kill {kills:?}; \
         kills, restarts and catch-up took {caught_up_in:?}; {logged} EventIngested in the log, \
         {counted} counted in {issue_count} issues, {projected} projected",
        kills.len()
    );
    assert_eq!(acknowledged, EVENTS, "every event was acknowledged");
    assert!(
        kills.len() >= 2 && kills.iter().any(|&k| k > 0 && k < backlog),
        "the server was killed in the middle of the catch-up: {kills:?} of {backlog}"
    );
    assert_eq!(applied, backlog, "the checkpoint counts every event once");
    assert_eq!(logged, EVENTS as i64);
    assert_eq!(counted, logged, "no event was applied twice or skipped");
    assert_eq!(projected, logged);
    for (name, applied, in_log) in checkpoints {
        assert_eq!(applied, in_log, "events_applied of {name}");
    }
    assert_eq!(ready["status"], "ready");
}
