//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use faultline_commands::ingest::Ingestor;
use faultline_commands::unique::UniqueKeys;
use faultline_commands::{CommandBus, Committed};
use faultline_domain::log_position::LogPosition;
use faultline_domain::metadata::EventMetadata;
use faultline_projections::accounts::key_cache::KeyCache;
use faultline_projections::progress::Progress;
use faultline_projections::Projection;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::error::{ApiError, Refusal};
use crate::ingest_limits::{Limits, ProjectLimiter, RateLimiter};

/// How long a write waits for its read models before answering anyway.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Shared state of the HTTP handlers: one `Arc`, because axum clones the state for
/// every request (the router's service and each `State` extractor), and a clone of
/// every field was a dozen reference counts and an allocation each time.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state of a server.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// The database.
    pub pool: PgPool,
    /// Executes commands.
    pub bus: Arc<CommandBus>,
    /// Where each projection has got.
    pub progress: Arc<Progress>,
    /// Every durable projection this server runs.
    pub projections: Arc<Vec<Arc<dyn Projection>>>,
    /// The reactors this server runs (never waited on by writes).
    pub reactors: Arc<Vec<Arc<dyn Projection>>>,
    /// In-memory read models of this process: (name, aggregate types read).
    pub caches: Arc<Vec<(&'static str, &'static [&'static str])>>,
    /// The URL users reach Faultline at (DSNs, permalinks), without trailing slash.
    pub public_url: Arc<str>,
    /// Client keys by public key, kept current from the log in every process.
    pub keys: Arc<KeyCache>,
    /// Appends accepted events.
    pub ingestor: Ingestor,
    /// Ingestion body limits.
    pub limits: Limits,
    /// Per-key rate limits.
    pub limiter: Arc<RateLimiter>,
    /// The global per-project rate limit, leased from the database.
    pub project_limiter: Arc<ProjectLimiter>,
    /// Renders this process's metrics (`/metrics`); `None` when they are served on
    /// an address of their own, or not recorded at all.
    pub metrics: Option<PrometheusHandle>,
    /// How long one request may take, body included ([`crate::timeout`]).
    pub request_timeout: Duration,
    /// Days ingested events are kept in projects without a retention of their own.
    pub event_retention_days: u32,
    /// The releases ingestion has created in this process.
    pub releases_seen: Arc<crate::releases_seen::ReleasesSeen>,
    /// Source map upload limits and the parsed map cache.
    pub source_maps: Arc<crate::sourcemaps::SourceMaps>,
    /// The grouping configuration and its fallback decisions.
    pub grouper: Arc<crate::grouping::Grouper>,
}

impl AppState {
    /// A state for running one of the background jobs' passes outside `serve`
    /// against a database a server is running on (tests drive the monitors' clock
    /// with it): it runs no projections, so a write does not wait for the read
    /// models (the server's runners fold it), and it ingests through an ingestor of
    /// its own, whose task is returned.
    pub fn detached(pool: PgPool, public_url: &str) -> (AppState, tokio::task::JoinHandle<()>) {
        let bus = Arc::new(CommandBus::new(pool.clone()));
        let (ingestor, ingest_task) = Ingestor::start(
            pool.clone(),
            faultline_commands::ingest::IngestorConfig::default(),
        );
        let (releases_seen, _worker) =
            crate::releases_seen::ReleasesSeen::start(pool.clone(), bus.clone());
        let state = AppState::new(Shared {
            pool: pool.clone(),
            bus,
            progress: Arc::new(Progress::new(pool)),
            projections: Arc::new(Vec::new()),
            reactors: Arc::new(Vec::new()),
            caches: Arc::new(Vec::new()),
            public_url: public_url.into(),
            keys: Arc::new(KeyCache::default()),
            ingestor,
            limits: Limits::default(),
            limiter: Arc::default(),
            project_limiter: Arc::new(ProjectLimiter::new(None)),
            metrics: None,
            request_timeout: Duration::from_secs(30),
            event_retention_days: 90,
            releases_seen: Arc::new(releases_seen),
            grouper: Arc::new(crate::grouping::Grouper::new(
                faultline_domain::event::grouping::Config::Current,
            )),
            source_maps: Arc::new(crate::sourcemaps::SourceMaps::new(
                0,
                crate::sourcemaps::UploadLimits::default(),
            )),
        });
        (state, ingest_task)
    }

    /// The projections and the reactors, for status reports.
    pub fn runners(&self) -> Vec<Arc<dyn Projection>> {
        self.projections
            .iter()
            .chain(self.reactors.iter())
            .cloned()
            .collect()
    }

    /// Executes `command` on aggregate `aggregate_id` and waits (bounded) until the
    /// read models show its events, so the caller can read them back at once.
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, ApiError>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: Refusal,
    {
        let organization =
            <A as faultline_commands::placement::Placement>::organization_of_id(aggregate_id);
        self.execute_and_settle(organization, aggregate_id, command, metadata)
            .await
    }

    /// [`AppState::execute`] on an aggregate of `organization` (the one the request is
    /// scoped to): its stream is read from that organization's partition alone
    /// ([`faultline_commands::CommandBus::execute_in`]).
    pub async fn execute_in<A>(
        &self,
        organization: i64,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, ApiError>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: Refusal,
    {
        self.execute_and_settle(Some(organization), aggregate_id, command, metadata)
            .await
    }

    async fn execute_and_settle<A>(
        &self,
        organization: Option<i64>,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Committed<A>, ApiError>
    where
        A: UniqueKeys<Services = ()>,
        A::Command: Clone,
        A::Error: Refusal,
    {
        let committed = self
            .bus
            .execute_in::<A>(organization, aggregate_id, command, metadata)
            .await?;
        self.settle(A::TYPE, committed.partition, committed.last_position)
            .await;
        Ok(committed)
    }

    /// Waits until every projection that reads `aggregate_type` shows the event at
    /// `position` of log partition `partition` (the organization written; 0 for
    /// none), so a GET right after a write sees it. Bounded by
    /// [`SETTLE_TIMEOUT`]: a stopped projection must not hang writes.
    pub async fn settle(
        &self,
        aggregate_type: &str,
        partition: i64,
        position: Option<LogPosition>,
    ) {
        let Some(position) = position else { return };
        let durable = self
            .projections
            .iter()
            .filter(|p| p.aggregate_types().contains(&aggregate_type))
            .map(|p| p.name());
        // This process's caches too: the next request may be served from them.
        let caches = self
            .caches
            .iter()
            .filter(|(_, types)| types.contains(&aggregate_type))
            .map(|(name, _)| *name);
        let names: Vec<&str> = durable.chain(caches).collect();
        if !self
            .progress
            .wait_for(&names, partition, position, SETTLE_TIMEOUT)
            .await
        {
            tracing::warn!(
                aggregate_type,
                partition,
                position = position.position,
                "read models lag behind a write"
            );
        }
    }
}
