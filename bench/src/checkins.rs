//! (1d) Cron check-ins: sentry-cli's envelopes (`{}` header, one `check_in` item,
//! gzip as the SDKs send them) for `MONITORS` monitors, each check-in a new run that
//! reports `ok` or `error` with its duration. The monitors are created first by one
//! check-in each carrying `monitor_config` (Sentry's upsert). A check-in is answered
//! once it is committed on its monitor's stream. Figures: check-ins/s accepted,
//! accept latency, server CPU per check-in.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use crate::cli::Args;
use crate::load::{self, LoadOptions, LoadResult};
use crate::payload::{gzip, Rng};
use crate::progress::log;
use crate::server::{self, Api, Project, Server};

/// Monitors the check-ins are spread over.
pub const MONITORS: usize = 50;

/// The measured run.
pub struct CheckInRun {
    pub load: LoadResult,
    /// Server CPU seconds over the run.
    pub server_cpu_s: Option<f64>,
}

impl CheckInRun {
    /// Server CPU milliseconds per accepted check-in.
    pub fn server_cpu_ms(&self) -> Option<f64> {
        self.server_cpu_s
            .map(|s| s * 1e3 / self.load.accepted.max(1) as f64)
    }
}

fn slug(i: usize) -> String {
    format!("job-{:02}", i % MONITORS)
}

/// A gzip envelope of one check-in, as sentry-cli frames it.
fn envelope(check_in: &serde_json::Value) -> Bytes {
    let item = check_in.to_string();
    let header = json!({"type": "check_in", "length": item.len()});
    Bytes::from(gzip(format!("{{}}\n{header}\n{item}\n").as_bytes()))
}

/// Creates the monitors, then sends `n` check-ins; `None` when the server does not
/// keep check-ins (a build from before monitors: the first monitor is not found).
pub async fn run(
    args: &Args,
    srv: &Server,
    api: &Api,
    project: &Project,
    n: usize,
) -> anyhow::Result<Option<CheckInRun>> {
    let label = format!("ingest check-ins ({MONITORS} monitors)");
    let mut rng = Rng::new(0xC0FF_EE00_CE11_0001);
    let upserts: Vec<load::Body> = (0..MONITORS)
        .map(|i| load::Body {
            event_id: String::new(),
            bytes: envelope(&json!({
                "check_in_id": rng.hex128(),
                "monitor_slug": slug(i),
                "status": "ok",
                "duration": 1.5,
                "environment": "production",
                "monitor_config": {
                    "schedule": {"type": "crontab", "value": "*/5 * * * *"},
                    "checkin_margin": 5,
                    "max_runtime": 30,
                },
            })),
        })
        .collect();
    let options = LoadOptions {
        concurrency: args.concurrency,
        retry_overload: false,
        sample_every: usize::MAX,
        gzip: true,
        progress: None,
    };
    let upserts = Arc::new(upserts);
    let make: load::Maker = {
        let upserts = upserts.clone();
        Arc::new(move |i| load::Body {
            event_id: String::new(),
            bytes: upserts[i].bytes.clone(),
        })
    };
    let (created, _) = load::run(&srv.url, project, MONITORS, make, &options).await;
    // Answered once committed: the monitors read model shows them a moment later.
    let mut kept = false;
    for _ in 0..50 {
        let path = format!(
            "/api/0/organizations/bench/monitors/{}/",
            slug(MONITORS - 1)
        );
        if api.get_json(&path).await.is_ok() {
            kept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if created.accepted as usize != MONITORS || !kept {
        log(format!("{label}: this build keeps no check-ins; skipped"));
        return Ok(None);
    }
    log(format!("{label}: building {n} gzip envelopes"));
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        (0..n)
            .map(|i| {
                envelope(&json!({
                    "check_in_id": rng.hex128(),
                    "monitor_slug": slug(i),
                    "status": if i % 10 == 9 { "error" } else { "ok" },
                    "duration": 0.25 + (i % 7) as f64,
                    "environment": "production",
                }))
            })
            .collect(),
    );
    let make: load::Maker = {
        let bodies = bodies.clone();
        Arc::new(move |i| load::Body {
            event_id: String::new(),
            bytes: bodies[i].clone(),
        })
    };
    let server_pid = srv.pid().to_string();
    let cpu0 = server::cpu_seconds(&server_pid);
    log(format!(
        "{label}: sending {n} check-ins, {} concurrent",
        args.concurrency
    ));
    let (result, _) = load::run(&srv.url, project, n, make, &options).await;
    let server_cpu_s = cpu0
        .zip(server::cpu_seconds(&server_pid))
        .map(|(a, b)| b - a);
    log(format!("{label}: {}", result.summary(2)));
    Ok(Some(CheckInRun {
        load: result,
        server_cpu_s,
    }))
}
