//! `faultline-bench`: starts a real `faultline serve` on a fresh database and measures
//! ingestion (against a plain-Postgres baseline), queries and memory. See BENCHMARKS.md.

mod baseline;
mod checkins;
mod cli;
mod export;
mod floor;
mod ingest;
mod insert;
mod load;
mod machine;
mod payload;
mod progress;
mod queries;
mod rebuild;
mod report;
mod retention;
mod seed;
mod server;
mod sourcemapped;
mod table;
mod workflows;

use std::time::Instant;

use clap::Parser;

use cli::Args;
use progress::log;
use report::Report;
use server::{Api, Cluster, Server};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let sizes = args.sizes();
    let faultline = args.faultline()?;
    let started = Instant::now();

    log("starting Postgres");
    let cluster = Cluster::open(&faultline, args.database_url.as_deref())?;
    let database_url = cluster.fresh_database().await?;
    let pool = server::pool(&database_url, 4).await?;
    let machine = machine::describe(&pool, &cluster).await?;

    log("starting faultline serve");
    let mut srv = Server::spawn(&faultline, &database_url)?;
    let pid = srv.pid();
    let token = server::create_user(&faultline, &database_url)?;
    let api = Api::new(&srv.url, &token);
    api.create_org().await?;
    let p50 = api.create_project("ingest50").await?;
    let p1 = api.create_project("ingest1").await?;
    let p50w = api.create_project("ingest50w").await?;
    let p50b = api.create_project("ingest50b").await?;
    let p50js = api.create_project_on("ingest50js", "node").await?;
    let pcheck = api.create_project("checkins").await?;
    let bench = api.create_project("bench").await?;

    // (1) Ingestion, end to end.
    let peak_reset_1 = server::reset_peak(pid);
    let run50 = ingest::run(&args, &srv, &pool, &p50, 50, sizes.events).await?;
    // (1c) The same load as minified JavaScript whose frames the server resolves
    // through an uploaded source map, right after the plain run it is compared with.
    let run50js = sourcemapped::run(&args, &srv, &pool, &api, &p50js, sizes.events).await;
    // (1b) The same load into a project that alert workflows watch (a server without
    // them answers 404 to their creation: the row is left out).
    // It runs until the alerting reactor has caught up too, and is compared with the
    // plain runs on either side of it: the log grows run after run, so a plain run
    // before alone would flatter it.
    let run50w = match workflows::create(&api, &p50w).await {
        Ok(()) => {
            let watched = ingest::run_until(
                &args,
                &srv,
                &pool,
                &p50w,
                50,
                sizes.events,
                Some("alerting"),
            )
            .await?;
            let after = ingest::run(&args, &srv, &pool, &p50b, 50, sizes.events).await?;
            Some((watched, after))
        }
        Err(error) => {
            log(format!(
                "no workflows on this server, K=50 with workflows skipped: {error:#}"
            ));
            None
        }
    };
    let run1 = ingest::run(&args, &srv, &pool, &p1, 1, sizes.events).await?;
    let mem1 = server::memory_kib(pid);
    // (1d) Cron check-ins, after the event rows so they measure nothing of it.
    let checkins = checkins::run(&args, &srv, &api, &pcheck, sizes.events.min(10_000)).await?;

    // (2) Baseline: the same payloads, straight into a table. At least 10,000 rows:
    // fewer finish in well under a second and the figure is noise.
    let baseline_rows = sizes.events.max(10_000);
    let base = baseline::run(&database_url, baseline_rows).await?;

    // (2b) The floor: the least work per event any server needs, costed in machine CPU.
    // As many events as the baseline's rows: fewer are over in a fraction of a second,
    // a few ticks of /proc/stat.
    let floor = floor::run(&database_url, baseline_rows, args.concurrency).await?;

    // (3) Queries after seeding through the real write path.
    let peak_reset_3 = server::reset_peak(pid);
    let seed = seed::run(&args, &srv, &pool, &bench, &sizes).await?;
    let queries = queries::run(&api, &pool, &bench, &seed.0.sampled_ids, args.samples).await?;
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
    let export = match export::run(&faultline, &database_url, &pool).await {
        Ok(export) => {
            log(format!(
                "log export: {} events in {:.1} s",
                export.events, export.wall_s
            ));
            Some(export)
        }
        Err(error) => {
            log(format!("log export failed: {error:#}"));
            None
        }
    };

    // (4c) One retention pass dropping everything seeded so far.
    let retention = match retention::run(&faultline, &database_url, &pool).await {
        Ok(result) => result,
        Err(error) => {
            log(format!("retention pass failed: {error:#}"));
            None
        }
    };

    srv.stop();
    pool.close().await;
    drop(cluster);

    let report = Report {
        quick: args.quick,
        sizes,
        concurrency: args.concurrency,
        machine,
        run50,
        run50js,
        run50w,
        run1,
        checkins,
        base,
        floor,
        seed,
        queries,
        rebuild,
        mem1: mem1.map(|m| (m, peak_reset_1)),
        mem3: mem3.map(|m| (m, peak_reset_3)),
        export,
        retention,
        total_s: started.elapsed().as_secs_f64(),
    };
    print!("{}", report.table());
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_string_pretty(&report.json())?)?;
        log(format!("wrote {}", path.display()));
    }
    if let sourcemapped::Outcome::Failed(why) = &report.run50js {
        anyhow::bail!("the source-mapped JS phase failed: {why}");
    }
    Ok(())
}
