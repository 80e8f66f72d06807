//! `faultline-bench`: starts a real `faultline serve` on a fresh database and measures
//! ingestion (against a plain-Postgres baseline), queries and memory. See BENCHMARKS.md.

mod baseline;
mod export;
mod floor;
mod insert;
mod load;
mod machine;
mod payload;
mod queries;
mod rebuild;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Parser;
use serde_json::{json, Value};
use sqlx::PgPool;

use load::{Counter, LoadOptions, LoadResult, Visible};
use payload::{Size, Templates};
use server::{Api, Cluster, Project, Server};

/// Benchmarks a real faultline server (ingestion, baseline, queries, memory).
#[derive(Parser, Debug)]
#[command(name = "faultline-bench")]
struct Args {
    /// Small sizes (under 2 minutes) instead of the full run (under 20 minutes).
    #[arg(long)]
    quick: bool,
    /// The faultline binary [default: `faultline` next to this executable].
    #[arg(long)]
    faultline: Option<PathBuf>,
    /// Also write every figure as JSON to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Events per ingestion run [default: 3000 quick, 50000 full].
    #[arg(long)]
    events: Option<usize>,
    /// Concurrent requests of the load generator.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Issues seeded before the query benchmark [default: 500 quick, 10000 full].
    #[arg(long)]
    seed_issues: Option<usize>,
    /// Events seeded before the query benchmark [default: 20000 quick, 1000000 full].
    #[arg(long)]
    seed_events: Option<usize>,
    /// Requests per query figure.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Give up waiting for the read model after this many seconds.
    #[arg(long, default_value_t = 900)]
    visible_timeout: u64,
}

struct Sizes {
    events: usize,
    seed_issues: usize,
    seed_events: usize,
}

impl Args {
    fn sizes(&self) -> Sizes {
        let (events, seed_issues, seed_events) = if self.quick {
            (3_000, 500, 20_000)
        } else {
            (50_000, 10_000, 1_000_000)
        };
        Sizes {
            events: self.events.unwrap_or(events),
            seed_issues: self.seed_issues.unwrap_or(seed_issues),
            seed_events: self.seed_events.unwrap_or(seed_events),
        }
    }

    fn faultline(&self) -> anyhow::Result<PathBuf> {
        let path = match &self.faultline {
            Some(path) => path.clone(),
            None => std::env::current_exe()?
                .parent()
                .context("executable directory")?
                .join("faultline"),
        };
        if !path.is_file() {
            bail!(
                "{} not found: build it first (cargo build --release --bin faultline -p faultline-bench) or pass --faultline",
                path.display()
            );
        }
        Ok(path)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

fn log(message: impl AsRef<str>) {
    eprintln!("bench: {}", message.as_ref());
}

async fn run(args: Args) -> anyhow::Result<()> {
    let sizes = args.sizes();
    let faultline = args.faultline()?;
    let started = Instant::now();

    log("starting Postgres");
    let cluster = Cluster::open(&faultline)?;
    let database_url = cluster.fresh_database().await?;
    let pool = server::pool(&database_url, 4).await?;
    let machine = machine(&pool, &cluster).await?;

    log("starting faultline serve");
    let mut srv = Server::spawn(&faultline, &database_url)?;
    let pid = srv.pid();
    let token = server::create_user(&faultline, &database_url)?;
    let api = Api::new(&srv.url, &token);
    api.create_org().await?;
    let p50 = api.create_project("ingest50").await?;
    let p1 = api.create_project("ingest1").await?;
    let bench = api.create_project("bench").await?;

    // (1) Ingestion, end to end.
    let peak_reset_1 = server::reset_peak(pid);
    let run50 = ingest(&args, &srv, &pool, &p50, 50, sizes.events).await?;
    let run1 = ingest(&args, &srv, &pool, &p1, 1, sizes.events).await?;
    let mem1 = server::memory_kib(pid);

    // (2) Baseline: the same payloads, straight into a table. At least 10,000 rows:
    // fewer finish in well under a second and the figure is noise.
    let baseline_rows = sizes.events.max(10_000);
    log(format!(
        "baseline: {baseline_rows} rows, multi-row INSERT of {} from {} connections",
        insert::BATCH,
        insert::CONNECTIONS
    ));
    let jsons = {
        let templates = Templates::build(50, 4, Size::Realistic);
        (0..baseline_rows)
            .map(|i| templates.render(i).1)
            .collect::<Vec<_>>()
    };
    let base = baseline::run(&database_url, jsons).await?;
    log(format!("baseline: {:.0} rows/s", base.rows_per_s()));

    // (2b) The floor: the least work per event any server needs, costed in machine CPU.
    // As many events as the baseline's rows: fewer are over in a fraction of a second,
    // a few ticks of /proc/stat.
    log(format!(
        "floor: {baseline_rows} K=50 envelopes to a bare hyper server, then into a bytea table"
    ));
    let floor = {
        let templates = Templates::build(50, 4, Size::Realistic);
        let bodies = Arc::new(load::prebuild(&templates, "floor", baseline_rows));
        floor::run(&database_url, bodies, args.concurrency).await?
    };
    log(format!(
        "floor: requests {:.0}/s ({:?} ms CPU each), storage {:.0} rows/s ({:?} ms CPU each), both {:?}/s",
        floor.requests.per_s(),
        floor.requests.cpu_ms(),
        floor.storage.per_s(),
        floor.storage.cpu_ms(),
        floor.per_s()
    ));

    // (3) Queries after seeding through the real write path.
    let peak_reset_3 = server::reset_peak(pid);
    let seed = seed(&args, &srv, &pool, &bench, &sizes).await?;
    let query_results = query_bench(&api, &pool, &bench, &seed.0.sampled_ids, args.samples).await?;
    let mem3 = server::memory_kib(pid);

    // (4) Rebuild every read model from the seeded log, the server still running.
    let rebuild = match rebuild::run(&faultline, &database_url, &pool).await {
        Ok(result) => Some(result),
        Err(error) => {
            log(format!("rebuild failed: {error:#}"));
            None
        }
    };

    // (4b) The audit export of everything written so far.
    log("faultline log export of the whole log");
    let export = export::run(&faultline, &database_url, &pool).await?;
    log(format!(
        "log export: {} events in {:.1} s",
        export.events, export.wall_s
    ));

    srv.stop();
    pool.close().await;
    drop(cluster);

    let report = Report {
        quick: args.quick,
        sizes,
        concurrency: args.concurrency,
        machine,
        run50,
        run1,
        base,
        floor,
        seed,
        queries: query_results,
        rebuild,
        mem1: mem1.map(|m| (m, peak_reset_1)),
        mem3: mem3.map(|m| (m, peak_reset_3)),
        export,
        total_s: started.elapsed().as_secs_f64(),
    };
    print!("{}", report.table());
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())?)?;
        log(format!("wrote {}", path.display()));
    }
    Ok(())
}

struct IngestRun {
    k: usize,
    json_bytes_avg: f64,
    request_bytes_avg: f64,
    load: LoadResult,
    visible: Visible,
    /// CPU seconds used from the first request until visible: (server, generator).
    cpu_s: (Option<f64>, Option<f64>),
    /// Busy CPU seconds of the whole machine over the same time (PostgreSQL too).
    machine_busy_s: Option<f64>,
}

impl IngestRun {
    fn visible_per_s(&self) -> Option<f64> {
        self.visible
            .after_s
            .map(|s| self.load.accepted as f64 / s.max(1e-9))
    }

    /// Machine CPU milliseconds per accepted event, from the first request until visible.
    fn machine_cpu_ms(&self) -> Option<f64> {
        self.machine_busy_s
            .map(|s| s * 1e3 / self.load.accepted.max(1) as f64)
    }
}

async fn ingest(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    k: usize,
    n: usize,
) -> anyhow::Result<IngestRun> {
    log(format!("ingest K={k}: building {n} gzip envelopes"));
    let templates = Templates::build(k, 4, Size::Realistic);
    let json_bytes_avg = (0..k.min(3))
        .map(|i| templates.render(i).1.len() as f64)
        .sum::<f64>()
        / k.min(3) as f64;
    let bodies = Arc::new(load::prebuild(&templates, &project.public_key, n));
    let request_bytes_avg =
        bodies.iter().map(|b| b.bytes.len() as f64).sum::<f64>() / n.max(1) as f64;
    let marks = load::marks(pool, project.id).await?;
    log(format!(
        "ingest K={k}: sending {n} events, {} concurrent",
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
        "ingest K={k}: {} accepted in {:.2} s ({:.0}/s), statuses {:?}; waiting for the read model",
        result.accepted,
        result.wall_s,
        result.accepted_per_s(),
        result.status
    ));
    let visible = load::wait_visible(
        pool,
        project.id,
        &marks,
        result.accepted,
        start,
        Duration::from_secs(args.visible_timeout),
    )
    .await?;
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
        "ingest K={k}: visible ({:?}) after {:?} s: {:?}/s",
        run.visible.counter,
        run.visible.after_s,
        run.visible_per_s()
    ));
    Ok(run)
}

async fn seed(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    sizes: &Sizes,
) -> anyhow::Result<(LoadResult, Visible)> {
    log(format!(
        "seed: {} events into {} issues through the envelope endpoint",
        sizes.seed_events, sizes.seed_issues
    ));
    let templates = Arc::new(Templates::build(sizes.seed_issues, 4, Size::Small));
    let marks = load::marks(pool, project.id).await?;
    let make: load::Maker = {
        let key = project.public_key.clone();
        Arc::new(move |i| {
            let (event_id, json) = templates.render(i);
            let bytes = Bytes::from(payload::envelope(&event_id, &json, &key));
            load::Body { event_id, bytes }
        })
    };
    let options = LoadOptions {
        concurrency: args.concurrency,
        retry_overload: true,
        sample_every: (sizes.seed_events / 1000).max(1),
        gzip: false,
        progress: Some(Duration::from_secs(15)),
    };
    let (result, start) = load::run(&srv.url, project, sizes.seed_events, make, &options).await;
    log(format!(
        "seed: {} accepted in {:.1} s ({:.0}/s), statuses {:?}; waiting for the read model",
        result.accepted,
        result.wall_s,
        result.accepted_per_s(),
        result.status
    ));
    let visible = load::wait_visible(
        pool,
        project.id,
        &marks,
        result.accepted,
        start,
        Duration::from_secs(args.visible_timeout),
    )
    .await?;
    Ok((result, visible))
}

async fn query_bench(
    api: &Api,
    pool: &PgPool,
    project: &Project,
    event_ids: &[String],
    samples: usize,
) -> anyhow::Result<Vec<queries::QueryResult>> {
    log(format!("queries: {samples} requests per endpoint"));
    let mut issue_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM issues WHERE project_id = $1 ORDER BY random() LIMIT 200",
    )
    .bind(project.id)
    .fetch_all(pool)
    .await
    .unwrap_or_default();
    if issue_ids.is_empty() {
        // No read-model rows to pick from: take the ids the list endpoint shows.
        if let Ok(r) = api
            .get(&format!("/api/0/projects/bench/{}/issues/", project.slug))
            .send()
            .await
        {
            if let Ok(Value::Array(items)) = r.json::<Value>().await {
                issue_ids = items
                    .iter()
                    .filter_map(|i| i["id"].as_str().and_then(|s| s.parse().ok()))
                    .collect();
            }
        }
    }
    let list = vec![format!("/api/0/projects/bench/{}/issues/", project.slug)];
    // The search of the issue-search target: status, level, a counter and free text.
    let search = vec![format!(
        "/api/0/projects/bench/{}/issues/?query=is:unresolved%20level:error%20times_seen:%3E10%20error",
        project.slug
    )];
    let details: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/api/0/organizations/bench/issues/{id}/"))
        .collect();
    let latest: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/api/0/organizations/bench/issues/{id}/events/latest/"))
        .collect();
    let by_id: Vec<String> = event_ids
        .iter()
        .take(200)
        .map(|id| format!("/api/0/projects/bench/{}/events/{id}/", project.slug))
        .collect();
    Ok(vec![
        queries::measure(
            api,
            "issue list (default)",
            "GET /api/0/projects/{org}/{project}/issues/",
            &list,
            samples,
        )
        .await,
        queries::measure(
            api,
            "issue search (is:unresolved level:error times_seen:>10 error)",
            "GET /api/0/projects/{org}/{project}/issues/?query=...",
            &search,
            samples,
        )
        .await,
        queries::measure(
            api,
            "issue details",
            "GET /api/0/organizations/{org}/issues/{id}/",
            &details,
            samples,
        )
        .await,
        queries::measure(
            api,
            "latest event of an issue",
            "GET /api/0/organizations/{org}/issues/{id}/events/latest/",
            &latest,
            samples,
        )
        .await,
        queries::measure(
            api,
            "event by id",
            "GET /api/0/projects/{org}/{project}/events/{event_id}/",
            &by_id,
            samples,
        )
        .await,
    ])
}

async fn machine(pool: &PgPool, cluster: &Cluster) -> anyhow::Result<Value> {
    let cpus = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await?;
    let mut settings = serde_json::Map::new();
    for name in [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "shared_buffers",
        "max_wal_size",
    ] {
        let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(pool)
            .await?;
        settings.insert(name.into(), json!(value));
    }
    Ok(json!({
        "cpus": cpus, "cpu_model": model, "memory_gib": (mem_gib * 10.0).round() / 10.0,
        "postgres": version, "postgres_settings": settings, "database": cluster.describe(),
    }))
}

struct Report {
    quick: bool,
    sizes: Sizes,
    concurrency: usize,
    machine: Value,
    run50: IngestRun,
    run1: IngestRun,
    base: baseline::BaselineResult,
    floor: floor::FloorResult,
    seed: (LoadResult, Visible),
    queries: Vec<queries::QueryResult>,
    rebuild: Option<rebuild::RebuildResult>,
    /// (VmHWM KiB, VmRSS KiB), and whether the peak was reset at the phase's start.
    mem1: Option<((u64, u64), bool)>,
    mem3: Option<((u64, u64), bool)>,
    export: export::ExportResult,
    total_s: f64,
}

fn ms(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.1}"))
}

fn ms2(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.2}"))
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

impl Report {
    fn table(&self) -> String {
        let mut rows: Vec<[String; 4]> = Vec::new();
        let base = self.base.rows_per_s();
        for run in [&self.run50, &self.run1] {
            let label = if run.k == 1 {
                "K=1 (hot issue)"
            } else {
                "K=50"
            };
            let visible = run.visible_per_s();
            rows.push([
                format!("ingest {label}: events/s accepted+visible"),
                visible.map_or("n/a (timed out)".into(), |v| format!("{v:.0}/s")),
                format!("{base:.0} rows/s"),
                visible.map_or("n/a".into(), |v| format!("{:.3}", v / base)),
            ]);
            rows.push([
                format!("ingest {label}: accepted/s (send phase)"),
                format!("{:.0}/s", run.load.accepted_per_s()),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: CPU s server / generator"),
                format!("{} / {} s", ms(run.cpu_s.0), ms(run.cpu_s.1)),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: machine CPU per event (every process)"),
                format!("{} ms", ms2(run.machine_cpu_ms())),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: accept latency p50 / p99"),
                format!(
                    "{} / {} ms",
                    ms(load::pct(&run.load.latencies_ms, 50.0)),
                    ms(load::pct(&run.load.latencies_ms, 99.0))
                ),
                String::new(),
                String::new(),
            ]);
        }
        let floor = &self.floor;
        for (figure, part) in [
            (
                "floor: bare hyper, gunzip + JSON check, nothing stored: events/s, CPU",
                &floor.requests,
            ),
            (
                "floor: PostgreSQL stores the gzip bodies (bytea): rows/s, CPU",
                &floor.storage,
            ),
        ] {
            rows.push([
                figure.into(),
                format!("{:.0}/s, {} ms", part.per_s(), ms2(part.cpu_ms())),
                String::new(),
                String::new(),
            ]);
        }
        let floor_per_s = floor.per_s();
        rows.push([
            format!(
                "floor: both, all {} cpus busy: events/s (ratio: K=50 / floor)",
                floor.cpus
            ),
            floor_per_s.map_or("n/a".into(), |f| format!("{f:.0}/s")),
            String::new(),
            floor_per_s
                .zip(self.run50.visible_per_s())
                .map_or("n/a".into(), |(f, v)| format!("{:.3}", v / f)),
        ]);
        let (seed, seed_visible) = &self.seed;
        rows.push([
            format!(
                "seed: {} events / {} issues, events/s visible",
                self.sizes.seed_events, self.sizes.seed_issues
            ),
            seed_visible.after_s.map_or("n/a (timed out)".into(), |s| {
                format!("{:.0}/s", seed.accepted as f64 / s)
            }),
            String::new(),
            String::new(),
        ]);
        for q in &self.queries {
            rows.push([
                format!("query: {} p50 / p99", q.name),
                match (&q.note, q.p50_ms) {
                    (Some(note), None) => note.clone(),
                    _ => format!("{} / {} ms", ms(q.p50_ms), ms(q.p99_ms)),
                },
                String::new(),
                String::new(),
            ]);
        }
        rows.push(match &self.rebuild {
            Some(r) => [
                format!("rebuild: replay --all of {} events, events/s", r.events),
                format!("{:.0}/s", r.replay_per_s()),
                format!("{:.0} rows/s scan", r.scan_per_s()),
                format!("{:.3}", r.replay_per_s() / r.scan_per_s()),
            ],
            None => [
                "rebuild: replay --all".into(),
                "n/a (failed, see log)".into(),
                String::new(),
                String::new(),
            ],
        });
        for [figure, value] in self.export.rows() {
            rows.push([figure, value, String::new(), String::new()]);
        }
        for (label, mem) in [
            ("ingestion (1)", self.mem1),
            ("seeding + queries (3)", self.mem3),
        ] {
            rows.push([
                format!("memory: server peak RSS during {label}"),
                match mem {
                    Some(((hwm, _), true)) => mib(hwm),
                    Some(((hwm, _), false)) => format!("{} (process lifetime peak)", mib(hwm)),
                    None => "n/a".into(),
                },
                String::new(),
                String::new(),
            ]);
        }

        let widths: Vec<usize> = (0..4)
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].len())
                    .chain([["figure", "value", "baseline", "ratio"][c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |r: [&str; 4]| {
            format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
            .trim_end()
            .to_owned()
                + "\n"
        };
        let mut out = String::new();
        let m = &self.machine;
        out.push_str(&format!(
            "\nfaultline-bench ({}), {} cpus ({}), {} GiB, PostgreSQL {} [{}], fsync={} synchronous_commit={} shared_buffers={} max_wal_size={}\n",
            if self.quick { "--quick" } else { "full" },
            m["cpus"],
            m["cpu_model"].as_str().unwrap_or(""),
            m["memory_gib"],
            m["postgres"].as_str().unwrap_or(""),
            m["database"].as_str().unwrap_or(""),
            m["postgres_settings"]["fsync"].as_str().unwrap_or(""),
            m["postgres_settings"]["synchronous_commit"].as_str().unwrap_or(""),
            m["postgres_settings"]["shared_buffers"].as_str().unwrap_or(""),
            m["postgres_settings"]["max_wal_size"].as_str().unwrap_or(""),
        ));
        out.push_str(&format!(
            "ingestion: {} realistic events per run (~{:.0} B JSON, ~{:.0} B gzip envelope), {} concurrent keep-alive connections\n\n",
            self.sizes.events, self.run50.json_bytes_avg, self.run50.request_bytes_avg, self.concurrency
        ));
        out.push_str(&line(["figure", "value", "baseline", "ratio"]));
        out.push_str(&line([
            &"-".repeat(widths[0]),
            &"-".repeat(widths[1]),
            &"-".repeat(widths[2]),
            "-----",
        ]));
        for r in &rows {
            out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
        }
        out.push('\n');
        for note in self.notes() {
            out.push_str(&format!("note: {note}\n"));
        }
        out.push_str(&format!("total time {:.0} s\n", self.total_s));
        out
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let visibles = [&self.run50.visible, &self.run1.visible, &self.seed.1];
        if visibles.iter().any(|v| v.counter == Counter::EventLog) {
            notes.push(
                "the issues read model did not count these events on this build: \"visible\" was measured on the event log (EventIngested rows committed), not on the issue read model".into(),
            );
        }
        for (name, r) in [
            ("K=50", &self.run50.load),
            ("K=1", &self.run1.load),
            ("seed", &self.seed.0),
        ] {
            if r.accepted != r.sent {
                notes.push(format!(
                    "{name}: {} of {} requests not accepted, statuses {:?}",
                    r.sent - r.accepted,
                    r.sent,
                    r.status
                ));
            }
        }
        for v in visibles {
            if v.after_s.is_none() {
                notes.push(format!(
                    "visibility timed out; the counter reached {}",
                    v.reached
                ));
            }
        }
        notes.push(format!(
            "baseline: the K=50 payloads (uncompressed event JSON) into bench_baseline(id bigserial, payload jsonb), INSERTs of {} rows from {} connections, one transaction each; {} rows in {:.2} s",
            insert::BATCH, insert::CONNECTIONS, self.base.rows, self.base.wall_s
        ));
        notes.push(format!(
            "floor: the K=50 envelopes against a bare hyper server inside the bench (gunzip, envelope split, JSON well-formedness check, nothing stored; {} requests in {:.2} s), then the same gzip bodies into bench_floor(id bigserial, body bytea) by INSERTs of 100 from 8 connections ({} rows in {:.2} s); each part costed in busy CPU seconds of the whole machine (/proc/stat) per event, floor = cpus / (sum of both)",
            self.floor.requests.items, self.floor.requests.wall_s, self.floor.storage.items, self.floor.storage.wall_s
        ));
        notes
    }

    fn json(&self) -> Value {
        let run = |r: &IngestRun| {
            json!({
                "k": r.k,
                "events": r.load.sent,
                "accepted": r.load.accepted,
                "status": r.load.status,
                "event_json_bytes_avg": r.json_bytes_avg,
                "request_bytes_avg": r.request_bytes_avg,
                "send_wall_s": r.load.wall_s,
                "accepted_per_s": r.load.accepted_per_s(),
                "visible_counter": format!("{:?}", r.visible.counter),
                "visible_after_s": r.visible.after_s,
                "visible_per_s": r.visible_per_s(),
                "server_cpu_s": r.cpu_s.0,
                "generator_cpu_s": r.cpu_s.1,
                "machine_busy_s": r.machine_busy_s,
                "machine_cpu_ms_per_event": r.machine_cpu_ms(),
                "ratio_to_baseline": r.visible_per_s().map(|v| v / self.base.rows_per_s()),
                "latency_ms": {
                    "p50": load::pct(&r.load.latencies_ms, 50.0),
                    "p99": load::pct(&r.load.latencies_ms, 99.0),
                    "max": r.load.latencies_ms.last(),
                },
            })
        };
        let mem = |m: Option<((u64, u64), bool)>| {
            m.map(|((hwm, rss), reset)| {
                json!({"peak_rss_kib": hwm, "rss_kib_at_end": rss, "peak_reset_at_phase_start": reset})
            })
        };
        let (seed, seed_visible) = &self.seed;
        json!({
            "mode": if self.quick { "quick" } else { "full" },
            "machine": self.machine,
            "concurrency": self.concurrency,
            "ingest_k50": run(&self.run50),
            "ingest_k1": run(&self.run1),
            "baseline": {
                "rows": self.base.rows, "wall_s": self.base.wall_s, "rows_per_s": self.base.rows_per_s(),
                "batch": insert::BATCH, "connections": insert::CONNECTIONS,
            },
            "floor": {
                "requests": {
                    "events": self.floor.requests.items, "wall_s": self.floor.requests.wall_s,
                    "per_s": self.floor.requests.per_s(), "machine_busy_s": self.floor.requests.busy_s,
                    "cpu_ms_per_event": self.floor.requests.cpu_ms(),
                },
                "storage": {
                    "rows": self.floor.storage.items, "wall_s": self.floor.storage.wall_s,
                    "per_s": self.floor.storage.per_s(), "machine_busy_s": self.floor.storage.busy_s,
                    "cpu_ms_per_row": self.floor.storage.cpu_ms(),
                },
                "cpus": self.floor.cpus,
                "per_s": self.floor.per_s(),
                "k50_ratio_to_floor": self.floor.per_s().zip(self.run50.visible_per_s()).map(|(f, v)| v / f),
            },
            "seed": {
                "issues": self.sizes.seed_issues, "events": self.sizes.seed_events,
                "accepted": seed.accepted, "status": seed.status, "send_wall_s": seed.wall_s,
                "visible_counter": format!("{:?}", seed_visible.counter),
                "visible_after_s": seed_visible.after_s,
            },
            "queries": self.queries.iter().map(queries::QueryResult::to_json).collect::<Vec<_>>(),
            "rebuild": self.rebuild.as_ref().map(|r| json!({
                "events": r.events,
                "replay_s": r.replay_s,
                "replay_per_s": r.replay_per_s(),
                "scan_s": r.scan_s,
                "scan_bytes": r.scan_bytes,
                "scan_per_s": r.scan_per_s(),
                "ratio_to_scan": r.replay_per_s() / r.scan_per_s(),
                "report": r.replay_report,
            })),
            "memory": {"ingestion": mem(self.mem1), "seed_and_queries": mem(self.mem3)},
            "log_export": self.export.to_json(),
            "notes": self.notes(),
            "total_s": self.total_s,
        })
    }
}
