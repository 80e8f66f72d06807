//! `faultline serve`: HTTP server, projections and background jobs in one process.

use std::sync::Arc;
use std::time::Duration;

use faultline_api::ingest_limits::{Limits, ProjectLimiter};
use faultline_api::{AppState, Shared};
use faultline_commands::ingest::{Ingestor, IngestorConfig};
use faultline_commands::CommandBus;
use faultline_notify::Worker;
use faultline_projections::accounts::key_cache::KeyCache;
use faultline_projections::memory::{MemoryProjection, MemoryTail};
use faultline_projections::notify::LogListener;
use faultline_projections::progress::Progress;
use faultline_projections::runner::{ProjectionRunner, RunnerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::ServeArgs;
use crate::database::Database;

/// How long shutdown waits for background jobs to finish the batch in hand.
const JOBS_GRACE: Duration = Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM, then drains requests, stops the jobs and (when
/// it runs its own) stops PostgreSQL.
pub async fn run(args: ServeArgs, db: Database) -> anyhow::Result<()> {
    db.migrate().await?;
    let pool = db.pool.clone();
    let shutdown = CancellationToken::new();
    let metrics = faultline_api::metrics::install()?;
    let progress = Arc::new(Progress::new(pool.clone()));
    let listener = LogListener::new(progress.clone());
    let projections = Arc::new(faultline_projections::registry::durable());

    // Before anything listens: a bad --smtp-url stops the start.
    let notifier = Worker::new(pool.clone(), args.notifications.config())?;

    // Before ingestion: the log's next rows must have a partition to land in.
    crate::retention::partitions::ensure(&pool).await?;
    let keys = Arc::new(KeyCache::default());
    let mut jobs = JoinSet::new();
    jobs.spawn(listener.clone().run(pool.clone(), shutdown.clone()));
    jobs.spawn(
        MemoryTail::new(
            pool.clone(),
            keys.clone(),
            listener.clone(),
            progress.clone(),
        )
        .run(shutdown.clone()),
    );
    let tcp = TcpListener::bind(args.bind).await?;
    let bound = tcp.local_addr()?;
    let public_url = args.public_url(bound);
    let reactors = Arc::new(faultline_projections::registry::reactors(&public_url));
    for projection in projections.iter().chain(reactors.iter()) {
        let runner = ProjectionRunner::new(
            pool.clone(),
            projection.clone(),
            listener.clone(),
            progress.clone(),
            RunnerConfig::default(),
        );
        jobs.spawn(runner.run(shutdown.clone()));
    }

    jobs.spawn(metrics_upkeep(metrics.clone(), shutdown.clone()));

    let metrics_tcp = match args.metrics_bind {
        Some(address) => Some(TcpListener::bind(address).await?),
        None => None,
    };
    let bus = Arc::new(CommandBus::new(pool.clone()));
    let (ingestor, ingest_task) = Ingestor::start(pool.clone(), IngestorConfig::default());
    let (releases_seen, _releases_worker) =
        faultline_api::releases_seen::ReleasesSeen::start(pool.clone(), bus.clone());
    jobs.spawn(crate::scheduler::run(
        pool.clone(),
        bus.clone(),
        shutdown.clone(),
    ));
    jobs.spawn(crate::retention::pass::run_job(
        pool.clone(),
        bus.clone(),
        args.retention.event_retention_days,
        args.retention_interval,
        shutdown.clone(),
    ));
    jobs.spawn(crate::retention::partitions::run_job(
        pool.clone(),
        shutdown.clone(),
    ));
    jobs.spawn(notifier.run(shutdown.clone()));
    let state = AppState::new(Shared {
        pool: pool.clone(),
        bus,
        progress,
        projections,
        reactors,
        public_url: public_url.into(),
        caches: Arc::new(vec![(keys.name(), keys.aggregate_types())]),
        keys,
        ingestor,
        limits: Limits::default(),
        limiter: Arc::default(),
        project_limiter: Arc::new(ProjectLimiter::new(args.project_rate_limit)),
        metrics: Some(metrics),
        request_timeout: args.request_timeout,
        event_retention_days: args.retention.event_retention_days,
        releases_seen: Arc::new(releases_seen),
        grouper: Arc::new(faultline_api::grouping::Grouper::new(args.grouping_config)),
        source_maps: Arc::new(faultline_api::sourcemaps::SourceMaps::new(
            args.sourcemap_cache_mb * 1024 * 1024,
            faultline_api::sourcemaps::UploadLimits {
                bundle_size: args.max_bundle_mb * 1024 * 1024,
                ..Default::default()
            },
        )),
    });
    // Stopped when the requests are drained, so its handle on the ingestor goes with
    // the others'.
    let monitors_stop = CancellationToken::new();
    jobs.spawn(crate::monitors::run(state.clone(), monitors_stop.clone()));
    if crate::accounts::wanted(args.bootstrap.map(|flag| flag.0)) {
        crate::accounts::bootstrap_if_empty(&state).await?;
    }
    // Handlers first: whoever saw "listening" may send SIGTERM at once.
    let stop = stop_signal(shutdown.clone());
    let header_timeout = state.request_timeout;
    let (app, metrics_server) = match metrics_tcp {
        Some(metrics_tcp) => {
            let address = metrics_tcp.local_addr()?;
            tracing::info!(%address, "metrics listening");
            let metrics_app = faultline_api::metrics_router(state.clone());
            let stopped = shutdown.clone().cancelled_owned();
            let server = crate::http::serve(metrics_tcp, metrics_app, header_timeout, stopped);
            (
                faultline_api::router_without_metrics(state.clone()),
                Some(tokio::spawn(server)),
            )
        }
        None => (faultline_api::router(state.clone()), None),
    };
    tracing::info!(address = %bound, public_url = %state.public_url, "faultline listening");
    drop(state);
    crate::http::serve(tcp, app, header_timeout, stop).await;
    monitors_stop.cancel();
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }

    tracing::info!("requests drained, stopping background jobs");
    // Every handler is done, so the last ingestor handle went with the state: the
    // ingestor finishes the batch in hand and ends.
    if tokio::time::timeout(JOBS_GRACE, ingest_task).await.is_err() {
        tracing::warn!("ingestor did not finish in time");
    }
    shutdown.cancel();
    if tokio::time::timeout(JOBS_GRACE, async {
        while jobs.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("background jobs did not stop in time");
    }
    db.close().await?;
    tracing::info!("faultline stopped");
    Ok(())
}

/// Drains the recorder's histograms now and then, so memory stays bounded even when
/// nobody scrapes.
async fn metrics_upkeep(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => handle.run_upkeep(),
            () = shutdown.cancelled() => return,
        }
    }
}

/// Installs the SIGINT and SIGTERM handlers now; the future resolves on either signal
/// (or when `shutdown` is cancelled elsewhere).
fn stop_signal(shutdown: CancellationToken) -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("installing the SIGINT handler");
    async move {
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
            _ = int.recv() => tracing::info!(signal = "SIGINT", "shutting down"),
            _ = shutdown.cancelled() => {}
        }
        shutdown.cancel();
    }
}
