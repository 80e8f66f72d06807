//! SIGKILL under load: every event that got a 200 is in the log exactly once and
//! counted exactly once after a restart; nothing is half-applied.

use std::collections::HashSet;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::chaos_load::{envelope_target, ChaosLoad};
use crate::helpers::{
    create_user, fresh_database, ingest_tally, project_with_key, Api, IngestTally, TestServer,
};

const CLIENTS: usize = 16;
const EVENTS: usize = 20_000;
// Low enough to be reached under the whole suite's load (the Citus tests run beside it).
const KILL_AFTER: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_under_load_keeps_every_acknowledged_event_exactly_once() {
    let (url, pool) = fresh_database().await;
    let mut server = TestServer::on_database(&url);
    let token = create_user(&url, "chaos@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "chaos", "monkey").await;
    let load = ChaosLoad::start(&[envelope_target(&server, &project)], CLIENTS, EVENTS, 120);
    load.sent_at_least(KILL_AFTER).await;
    server.stop_with(Signal::SIGKILL);
    let sent = load.sent();
    let acknowledged = load.finish().await;
    let restarted = TestServer::on_database(&url);
    let api = Api::new(&restarted, &token);
    let IngestTally {
        logged_ids,
        counted,
        projected,
    } = ingest_tally(&pool, Duration::from_secs(60)).await;
    let ready = api.get_ok("/_ready").await;

    let unique_logged: HashSet<&String> = logged_ids.iter().collect();
    println!(
        "crash: sent {} events, acknowledged {}, killed after {KILL_AFTER} sent; after the restart \
         {} in the log ({} unique), {counted} counted, {projected} projected",
        sent,
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
    assert_eq!(
        counted,
        logged_ids.len() as i64,
        "every logged event is counted once"
    );
    assert_eq!(projected, logged_ids.len() as i64);
    assert_eq!(ready["status"], "ready");
}
