//! Outages: PostgreSQL stopped (or hanging) and back again under a running server.
//! Every event that got a 200 is in the log exactly once and counted exactly once,
//! every request is answered 200 or 503 within the request deadline, and the same
//! server process recovers. (A server killed while projections catch up:
//! `projection_crash.rs`.)

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::helpers::{
    create_user, event_envelope, faultline_bin, ingest_tally, project_with_key, Api, TestServer,
};

const INGEST_CLIENTS: usize = 8;
const API_CLIENTS: usize = 2;
/// The server's request deadline in these tests (`FAULTLINE_REQUEST_TIMEOUT`).
const REQUEST_TIMEOUT_SECS: u64 = 3;
/// What an answer may take at most: the deadline plus scheduling slack.
const SLOWEST_ALLOWED: Duration = Duration::from_secs(REQUEST_TIMEOUT_SECS + 2);
/// Longer than anything the server may take: a client timeout shows as a failure.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// How the database goes away.
#[derive(Debug, Clone, Copy)]
enum Outage {
    /// `pg_ctl stop -m fast`, then start: sessions are cut, connecting fails at once.
    Stopped(Duration),
    /// Every Postgres process SIGSTOPped, then SIGCONTed: a hung host or a network
    /// partition, where queries and connection attempts get no answer at all.
    Frozen(Duration),
}

impl Outage {
    fn length(self) -> Duration {
        match self {
            Outage::Stopped(length) | Outage::Frozen(length) => length,
        }
    }
}

/// A throwaway cluster of this test's own, so stopping it breaks no other test.
struct OwnCluster {
    dir: PathBuf,
}

impl OwnCluster {
    fn start() -> (OwnCluster, String) {
        let dir = std::env::temp_dir().join(format!(
            "fl-outage-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        let cluster = OwnCluster { dir };
        let url = cluster.up();
        (cluster, url)
    }

    fn up(&self) -> String {
        start_cluster(&self.dir)
    }
}

/// Starts the cluster in `dir` (again) and returns its URL.
fn start_cluster(dir: &Path) -> String {
    let output = Command::new(faultline_bin())
        .args(["postgres", "start", "--throwaway", "--dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run faultline postgres start");
    assert!(
        output.status.success(),
        "postgres start: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Stops the cluster in `dir` (fast shutdown: sessions are cut, as when the database
/// host goes down or fails over).
fn stop_cluster(dir: &Path) {
    let output = Command::new(faultline_bin())
        .args(["postgres", "stop", "--dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run faultline postgres stop");
    assert!(
        output.status.success(),
        "postgres stop: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The cluster's processes: the postmaster first, so it forks no new backend while
/// the others are being stopped.
fn cluster_pids(dir: &Path) -> Vec<Pid> {
    let pid_file = std::fs::read_to_string(dir.join("postgres/postmaster.pid")).unwrap();
    let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    let mut pids = vec![Pid::from_raw(postmaster)];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name: state, ppid, ...
        let after_name = stat.rsplit(')').next().unwrap_or("");
        let ppid = after_name.split_whitespace().nth(1);
        if ppid == Some(postmaster.to_string().as_str()) {
            pids.push(Pid::from_raw(pid));
        }
    }
    pids
}

fn signal_all(pids: &[Pid], signal: Signal) {
    for pid in pids {
        let _ = kill(*pid, signal);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new(faultline_bin())
            .args(["postgres", "stop", "--dir"])
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the clients saw, by phase.
#[derive(Default)]
struct Seen {
    sent: usize,
    acknowledged: Vec<(String, Instant)>,
    refused_503: usize,
    refused_without_retry_after: usize,
    other_statuses: Vec<u16>,
    transport_errors: Vec<String>,
    api_ok: usize,
    api_503: usize,
    api_503_without_detail: usize,
    slowest: Duration,
}

async fn pool_on(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .expect("connect to the test cluster")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outage_postgres_restarted_under_load_loses_nothing_acknowledged_and_recovers_without_a_restart(
) {
    outage_under_load(Outage::Stopped(Duration::from_secs(4))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outage_postgres_hanging_under_load_gets_answers_within_the_deadline_and_recovers() {
    outage_under_load(Outage::Frozen(Duration::from_secs(6))).await;
}

/// Clients send events and list issues; the database goes away for a while and
/// comes back; the same server must answer promptly throughout and then recover.
async fn outage_under_load(outage: Outage) {
    let (cluster, url) = OwnCluster::start();
    let server = TestServer::spawn(&[
        ("DATABASE_URL", url.as_str()),
        (
            "FAULTLINE_REQUEST_TIMEOUT",
            &REQUEST_TIMEOUT_SECS.to_string(),
        ),
    ]);
    let token = create_user(&url, "outage@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "outage", "db").await;
    let endpoint = server.at(&format!("/api/{}/envelope/", project.project_id));
    let auth = format!("Sentry sentry_key={}", project.key);
    let issues_path = server.at("/api/0/projects/outage/db/issues/");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let running = Arc::new(AtomicBool::new(true));

    let mut clients = Vec::new();
    for client in 0..INGEST_CLIENTS {
        let (endpoint, auth, seen, running) = (
            endpoint.clone(),
            auth.clone(),
            seen.clone(),
            running.clone(),
        );
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build().unwrap();
            let mut n = 0;
            while running.load(Ordering::Relaxed) {
                let id = format!("{client:08x}{n:024x}");
                n += 1;
                let event = json!({"event_id": id, "message": format!("outage {}", n % 5), "level": "error"});
                let started = Instant::now();
                let answer = http
                    .post(&endpoint)
                    .header("x-sentry-auth", &auth)
                    .body(event_envelope(&event))
                    .send()
                    .await;
                let took = started.elapsed();
                {
                    let mut seen = seen.lock().unwrap();
                    seen.sent += 1;
                    seen.slowest = seen.slowest.max(took);
                    match answer {
                        Ok(response) if response.status() == 200 => {
                            seen.acknowledged.push((id, Instant::now()))
                        }
                        Ok(response) if response.status() == 503 => {
                            seen.refused_503 += 1;
                            if !response.headers().contains_key("retry-after") {
                                seen.refused_without_retry_after += 1;
                            }
                        }
                        Ok(response) => seen.other_statuses.push(response.status().as_u16()),
                        Err(error) => seen.transport_errors.push(error.to_string()),
                    }
                }
                if took > Duration::from_millis(200) {
                    // A refused SDK backs off; keep some pressure on anyway.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    for _ in 0..API_CLIENTS {
        let (issues_path, token, seen, running) = (
            issues_path.clone(),
            token.clone(),
            seen.clone(),
            running.clone(),
        );
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(CLIENT_TIMEOUT)
                .build()
                .unwrap();
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = http.get(&issues_path).bearer_auth(&token).send().await;
                let took = started.elapsed();
                let (status, body) = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body: serde_json::Value = response.json().await.unwrap_or_default();
                        (Some(status), body)
                    }
                    Err(error) => {
                        seen.lock()
                            .unwrap()
                            .transport_errors
                            .push(error.to_string());
                        (None, serde_json::Value::Null)
                    }
                };
                {
                    let mut seen = seen.lock().unwrap();
                    seen.slowest = seen.slowest.max(took);
                    match status {
                        Some(200) => seen.api_ok += 1,
                        Some(503) => {
                            seen.api_503 += 1;
                            if !body["detail"].is_string() {
                                seen.api_503_without_detail += 1;
                            }
                        }
                        Some(other) => seen.other_statuses.push(other),
                        None => {}
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let dir = cluster.dir.clone();
    let frozen = tokio::task::spawn_blocking(move || match outage {
        Outage::Stopped(_) => {
            stop_cluster(&dir);
            Vec::new()
        }
        Outage::Frozen(_) => {
            let pids = cluster_pids(&dir);
            signal_all(&pids, Signal::SIGSTOP);
            pids
        }
    })
    .await
    .unwrap();
    let down_at = Instant::now();
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let health_during = probe
        .get(server.at("/_health"))
        .send()
        .await
        .map_or(0, |response| response.status().as_u16());
    let ready_during = probe
        .get(server.at("/_ready"))
        .send()
        .await
        .map_or(0, |response| response.status().as_u16());
    tokio::time::sleep(outage.length().saturating_sub(down_at.elapsed())).await;
    let start_dir = cluster.dir.clone();
    let starting_at = Instant::now();
    let url_after = tokio::task::spawn_blocking(move || match outage {
        Outage::Stopped(_) => start_cluster(&start_dir),
        Outage::Frozen(_) => {
            signal_all(&frozen, Signal::SIGCONT);
            start_cluster(&start_dir)
        }
    })
    .await
    .unwrap();
    let started_in = starting_at.elapsed();
    // Recovered when an event is acknowledged again after the restart.
    while !seen
        .lock()
        .unwrap()
        .acknowledged
        .iter()
        .any(|(_, at)| *at > starting_at)
        && starting_at.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    let pool = pool_on(&url_after).await;
    let tally = ingest_tally(&pool, Duration::from_secs(30)).await;
    let (counted, logged, projected) = (tally.counted, tally.logged(), tally.projected);
    let logged_ids = tally.logged_ids;
    let mut ready_after = serde_json::Value::Null;
    for _ in 0..100 {
        let (status, body) = api.call("GET", "/_ready", None).await;
        ready_after = body;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (list_status, _) = api
        .call("GET", "/api/0/projects/outage/db/issues/", None)
        .await;

    let seen = seen.lock().unwrap();
    let unique_logged: HashSet<&String> = logged_ids.iter().collect();
    let acknowledged_found = seen
        .acknowledged
        .iter()
        .filter(|(id, _)| unique_logged.contains(id))
        .count();
    let during_outage = seen
        .acknowledged
        .iter()
        .filter(|(_, at)| *at > down_at && *at < starting_at)
        .count();
    let recovered_after = seen
        .acknowledged
        .iter()
        .filter(|(_, at)| *at > starting_at)
        .map(|(_, at)| *at - starting_at)
        .min();
    println!(
        "outage ({outage:?}): sent {} events, acknowledged {} ({} while postgres was away), \
         refused with 503 {}, found after recovery {} of the acknowledged ({} in the log, {} counted); \
         API: {} ok, {} 503; slowest answer {:?}; first 200 again {:?} after starting postgres \
         (postgres up again in {:?})",
        seen.sent,
        seen.acknowledged.len(),
        during_outage,
        seen.refused_503,
        acknowledged_found,
        logged,
        counted,
        seen.api_ok,
        seen.api_503,
        seen.slowest,
        recovered_after,
        started_in,
    );
    assert!(
        seen.acknowledged.iter().any(|(_, at)| *at < down_at),
        "events were acknowledged before the outage"
    );
    assert!(
        seen.refused_503 > 0,
        "ingestion refused events during the outage"
    );
    assert_eq!(
        seen.refused_without_retry_after, 0,
        "every 503 says Retry-After"
    );
    assert!(
        seen.api_503 > 0,
        "API queries answered 503 during the outage"
    );
    assert_eq!(seen.api_503_without_detail, 0, "every API 503 has a detail");
    assert_eq!(seen.other_statuses, Vec::<u16>::new(), "only 200 or 503");
    assert!(
        seen.slowest < SLOWEST_ALLOWED,
        "every answer within the request deadline"
    );
    assert_eq!(
        seen.transport_errors,
        Vec::<String>::new(),
        "no hang, no dropped connection"
    );
    assert_eq!(
        health_during, 200,
        "/_health answers while the database is down"
    );
    assert_eq!(
        ready_during, 503,
        "/_ready reports not ready while the database is down"
    );
    assert!(
        recovered_after.is_some(),
        "ingestion resumed without a restart"
    );
    assert_eq!(
        unique_logged.len(),
        logged_ids.len(),
        "no event is in the log twice"
    );
    assert_eq!(
        acknowledged_found,
        seen.acknowledged.len(),
        "every acknowledged event is in the log"
    );
    assert_eq!(counted, logged, "every logged event is counted once");
    assert_eq!(projected, logged);
    assert_eq!(ready_after["status"], "ready", "{ready_after}");
    assert_eq!(list_status, 200, "the API answers again");
}
