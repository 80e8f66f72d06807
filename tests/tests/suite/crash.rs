//! SIGKILL under load: every event that got a 200 is in the log exactly once and
//! counted exactly once after a restart; nothing is half-applied.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;

use crate::helpers::{
    create_user, event_envelope, fresh_database, ingest_tally, project_with_key, Api, IngestTally,
    TestServer,
};

const CLIENTS: usize = 16;
const EVENTS: usize = 20_000;
const KILL_AFTER: usize = 8_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_under_load_keeps_every_acknowledged_event_exactly_once() {
    let (url, pool) = fresh_database().await;
    let mut server = TestServer::on_database(&url);
    let token = create_user(&url, "chaos@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "chaos", "monkey").await;
    let endpoint = server.at(&format!("/api/{}/envelope/", project.project_id));
    let auth = format!("Sentry sentry_key={}", project.key);
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (endpoint, auth, acknowledged, sent) =
                (endpoint.clone(), auth.clone(), acknowledged.clone(), sent.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                let deadline = Instant::now() + Duration::from_secs(120);
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
    // Clients that all gave up before (a machine too loaded) end the wait too: the
    // assertions below then say so rather than the test hanging.
    while sent.load(Ordering::Relaxed) < KILL_AFTER && !clients.iter().all(|c| c.is_finished()) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.stop_with(Signal::SIGKILL);
    for client in clients {
        client.await.unwrap();
    }
    let restarted = TestServer::on_database(&url);
    let api = Api::new(&restarted, &token);
    let acknowledged: Vec<String> = acknowledged.lock().unwrap().clone();
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
    assert_eq!(
        counted,
        logged_ids.len() as i64,
        "every logged event is counted once"
    );
    assert_eq!(projected, logged_ids.len() as i64);
    assert_eq!(ready["status"], "ready");
}
