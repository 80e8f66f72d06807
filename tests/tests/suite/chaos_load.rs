//! The load of the crash tests: clients sending numbered events (`chaos <n % 7>`,
//! event id `n` in hex) to ingest endpoints, counting every send and recording the ids
//! answered 200, until the events run out or a deadline passes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinHandle;

use crate::helpers::event_envelope;

/// Clients under way.
pub struct ChaosLoad {
    acknowledged: Arc<Mutex<Vec<String>>>,
    sent: Arc<AtomicUsize>,
    clients: Vec<JoinHandle<()>>,
}

impl ChaosLoad {
    /// Starts `clients` clients sending events `0..events` between them, client `c` to
    /// `targets[c % targets.len()]` (an envelope endpoint and its `x-sentry-auth`), each
    /// stopping after `seconds`.
    pub fn start(
        targets: &[(String, String)],
        clients: usize,
        events: usize,
        seconds: u64,
    ) -> ChaosLoad {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicUsize::new(0));
        let clients = (0..clients)
            .map(|client| {
                let (endpoint, auth) = targets[client % targets.len()].clone();
                let (acknowledged, sent) = (acknowledged.clone(), sent.clone());
                tokio::spawn(async move {
                    // Long enough for a server under a whole suite's load (the Citus
                    // crash test): a request cut short by the client is stored but not
                    // counted as acknowledged.
                    let http = reqwest::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .unwrap();
                    let deadline = Instant::now() + Duration::from_secs(seconds);
                    for n in (client..events).step_by(clients) {
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
        ChaosLoad {
            acknowledged,
            sent,
            clients,
        }
    }

    /// Waits until `count` events were sent. Clients that all gave up before (a
    /// machine too loaded) end the wait too: the caller's assertions then say so rather
    /// than the test hanging.
    pub async fn sent_at_least(&self, count: usize) {
        while self.sent() < count && !self.clients.iter().all(|c| c.is_finished()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Events sent so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Waits for every client to stop; the ids answered 200.
    pub async fn finish(self) -> Vec<String> {
        for client in self.clients {
            client.await.unwrap();
        }
        self.acknowledged.lock().unwrap().clone()
    }
}

/// The endpoint and auth header of `project`'s envelopes on `server`.
pub fn envelope_target(
    server: &crate::helpers::TestServer,
    project: &crate::helpers::ProjectKey,
) -> (String, String) {
    (
        server.at(&format!("/api/{}/envelope/", project.project_id)),
        format!("Sentry sentry_key={}", project.key),
    )
}
