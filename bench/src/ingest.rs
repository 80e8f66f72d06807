//! (1) Ingestion, end to end: prebuilt gzip envelopes sent to the real server, timed
//! until the read model counts them, with the CPU every process spent meanwhile.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::cli::Args;
use crate::load::{self, LoadOptions, LoadResult, Visible};
use crate::machine;
use crate::payload::{Size, Templates};
use crate::progress::log;
use crate::server::{self, Project, Server};

pub struct IngestRun {
    pub k: usize,
    pub json_bytes_avg: f64,
    pub request_bytes_avg: f64,
    pub load: LoadResult,
    pub visible: Visible,
    /// CPU seconds used from the first request until visible: (server, generator).
    pub cpu_s: (Option<f64>, Option<f64>),
    /// Busy CPU seconds of the whole machine over the same time (PostgreSQL too).
    pub machine_busy_s: Option<f64>,
}

impl IngestRun {
    pub fn visible_per_s(&self) -> Option<f64> {
        self.visible
            .after_s
            .map(|s| self.load.accepted as f64 / s.max(1e-9))
    }

    /// Server CPU milliseconds per accepted event, from the first request until visible.
    pub fn server_cpu_ms(&self) -> Option<f64> {
        self.cpu_s
            .0
            .map(|s| s * 1e3 / self.load.accepted.max(1) as f64)
    }

    /// Machine CPU milliseconds per accepted event, from the first request until visible.
    pub fn machine_cpu_ms(&self) -> Option<f64> {
        self.machine_busy_s
            .map(|s| s * 1e3 / self.load.accepted.max(1) as f64)
    }
}

/// Sends `n` events of `k` issues to `project` and waits until they are visible.
pub async fn run(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    k: usize,
    n: usize,
) -> anyhow::Result<IngestRun> {
    run_until(args, srv, pool, project, k, n, None).await
}

/// As [`run`], and the run ends only once the projection or reactor `caught_up`
/// has applied every event the log held when the issues read model showed them: a
/// reactor's work (the alerting one's) then counts in the run's time and CPU.
pub async fn run_until(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    k: usize,
    n: usize,
    caught_up: Option<&str>,
) -> anyhow::Result<IngestRun> {
    let phase = Phase {
        label: format!("ingest K={k}"),
        templates: Templates::build(k, 4, Size::Realistic),
        n,
        caught_up,
    };
    run_phase(args, srv, pool, project, &phase).await
}

/// One measured ingestion run: which events, how many, and until when.
pub struct Phase<'a> {
    /// Names the run in the progress log.
    pub label: String,
    /// Event `i` is `templates.render(i)`, of group `i % templates.k()`.
    pub templates: Templates,
    pub n: usize,
    /// See [`run_until`].
    pub caught_up: Option<&'a str>,
}

/// Sends `phase.n` events of `phase.templates` to `project`, each in its own gzip
/// envelope built before the clock starts, and waits until they are visible.
pub async fn run_phase(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    phase: &Phase<'_>,
) -> anyhow::Result<IngestRun> {
    let Phase {
        label,
        templates,
        n,
        caught_up,
    } = phase;
    let (k, n, caught_up) = (templates.k(), *n, *caught_up);
    log(format!("{label}: building {n} gzip envelopes"));
    let json_bytes_avg = (0..k.min(3))
        .map(|i| templates.render(i).1.len() as f64)
        .sum::<f64>()
        / k.min(3) as f64;
    let bodies = Arc::new(load::prebuild(templates, &project.public_key, n));
    let request_bytes_avg =
        bodies.iter().map(|b| b.bytes.len() as f64).sum::<f64>() / n.max(1) as f64;
    let marks = load::marks(pool, project.id).await?;
    log(format!(
        "{label}: sending {n} events, {} concurrent",
        args.concurrency
    ));
    let make: load::Maker = {
        let bodies = bodies.clone();
        Arc::new(move |i| load::Body {
            event_id: bodies[i].event_id.clone(),
            bytes: bodies[i].bytes.clone(),
        })
    };
    let options = LoadOptions {
        concurrency: args.concurrency,
        retry_overload: false,
        sample_every: usize::MAX,
        gzip: true,
        progress: None,
    };
    let server_pid = srv.pid().to_string();
    let cpu0 = (
        server::cpu_seconds(&server_pid),
        server::cpu_seconds("self"),
    );
    let busy0 = machine::busy_seconds();
    let (result, start) = load::run(&srv.url, project, n, make, &options).await;
    log(format!(
        "{label}: {}; waiting for the read model",
        result.summary(2)
    ));
    let timeout = Duration::from_secs(args.visible_timeout);
    let mut visible = load::wait_visible(pool, &marks, &result, start, timeout).await?;
    if let (Some(name), Some(_)) = (caught_up, visible.after_s) {
        visible.after_s = load::wait_checkpoint(pool, name, start, timeout).await?;
    }
    let delta = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| b - a);
    let cpu_s = (
        delta(cpu0.0, server::cpu_seconds(&server_pid)),
        delta(cpu0.1, server::cpu_seconds("self")),
    );
    let machine_busy_s = delta(busy0, machine::busy_seconds());
    let run = IngestRun {
        k,
        json_bytes_avg,
        request_bytes_avg,
        load: result,
        visible,
        cpu_s,
        machine_busy_s,
    };
    log(format!(
        "{label}: visible ({:?}) after {:?} s: {:?}/s",
        run.visible.counter,
        run.visible.after_s,
        run.visible_per_s()
    ));
    Ok(run)
}
