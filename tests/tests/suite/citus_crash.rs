//! The crash guarantee on Citus: two `serve` processes ingest two organizations (on
//! two workers) at once, one is killed with SIGKILL mid-load, and after a restart every
//! event that got a 200 is in its organization's log exactly once and counted exactly
//! once, and the read models equal a rebuild.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;

use crate::citus_cluster::CitusCluster;
use crate::helpers::{
    create_user, event_envelope, ingest_tally, project_with_key, run_faultline, Api, IngestTally,
    TestServer,
};

const CLIENTS: usize = 16;
const EVENTS: usize = 6_000;
const KILL_AFTER: usize = 1_500;

#[tokio::test]
async fn two_servers_ingesting_two_organizations_one_killed_keep_every_acknowledged_event_once() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let mut killed = TestServer::on_database(&cluster.url);
    let survivor = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "chaos@example.test", false);
    let api = Api::new(&survivor, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    // Each client sends to one organization through one server.
    let targets: Vec<(String, String)> = [&killed, &survivor]
        .iter()
        .flat_map(|server| {
            [&alpha, &beta].map(|project| {
                (
                    server.at(&format!("/api/{}/envelope/", project.project_id)),
                    format!("Sentry sentry_key={}", project.key),
                )
            })
        })
        .collect();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (endpoint, auth) = targets[client % targets.len()].clone();
            let (acknowledged, sent) = (acknowledged.clone(), sent.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let deadline = Instant::now() + Duration::from_secs(90);
                for n in (client..EVENTS).step_by(CLIENTS) {
                    if Instant::now() > deadline {
                        break;
                    }
                    let id = format!("{n:032x}");
                    let event = json!({"event_id": id, "message": format!("chaos {}", n % 7), "level": "error"});
                    sent.fetch_add(1, Ordering::Relaxed);
                    let answer = http
                        .post(&endpoint)
                        .header("x-sentry-auth", &auth)
                        .body(event_envelope(&event))
                        .send()
                        .await;
                    if answer.is_ok_and(|r| r.status() == 200) {
                        acknowledged.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    while sent.load(Ordering::Relaxed) < KILL_AFTER && !clients.iter().all(|c| c.is_finished()) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    killed.stop_with(Signal::SIGKILL);
    for client in clients {
        client.await.unwrap();
    }
    let restarted = TestServer::on_database(&cluster.url);
    let acknowledged: Vec<String> = acknowledged.lock().unwrap().clone();
    let IngestTally {
        logged_ids,
        counted,
        projected,
    } = ingest_tally(&pool, Duration::from_secs(90)).await;
    let per_organization: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT organization_id, count(*) FROM log_events
          WHERE event_type = 'EventIngested' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);
    drop(restarted);

    let unique_logged: HashSet<&String> = logged_ids.iter().collect();
    println!(
        "citus crash: sent {} events, acknowledged {}, killed after {KILL_AFTER} sent; after \
         the restart {} in the log ({} unique, per organization {per_organization:?}), \
         {counted} counted, {projected} projected",
        sent.load(Ordering::Relaxed),
        acknowledged.len(),
        logged_ids.len(),
        unique_logged.len(),
    );
    assert!(
        acknowledged.len() >= KILL_AFTER / 2,
        "{} acknowledged",
        acknowledged.len()
    );
    assert_eq!(
        unique_logged.len(),
        logged_ids.len(),
        "no event is in the log twice"
    );
    assert!(
        acknowledged.iter().all(|id| unique_logged.contains(id)),
        "every acknowledged event is in the log"
    );
    assert_eq!(per_organization.len(), 2, "{per_organization:?}");
    assert_eq!(
        counted,
        logged_ids.len() as i64,
        "every logged event is counted once"
    );
    assert_eq!(projected, logged_ids.len() as i64);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}
