//! Releases created by ingestion: the first time an event of a project carries a
//! release, the release is created in that project (or the project added to it), as
//! Sentry does, without the event waiting for it.
//!
//! Each process remembers the `(project, release)` pairs it has handled, so the
//! ingest path pays one hash lookup per event; a pair another process handled, or
//! one seen again after a restart, runs the command again and it records nothing.
//! One worker runs the commands from a bounded queue: a stream of events each naming
//! a new release cannot flood the database pool the ingestor needs; what does not fit
//! is forgotten and tried again by the pair's next event.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use dashmap::DashSet;
use faultline_commands::ids::{next_id, IdKind};
use faultline_commands::{CommandBus, CommandError};
use faultline_domain::metadata::EventMetadata;
use faultline_domain::release::{stream_id, Release, ReleaseChanges, ReleaseCommand};
use sqlx::PgPool;
use tokio::sync::mpsc;

/// Releases waiting for the worker.
const QUEUE: usize = 1_000;
/// Pairs remembered before the memory starts over (each pair costs 8 bytes and a slot).
const REMEMBERED: usize = 1_000_000;

/// A release to create: organization, project, version, who sent its first event.
type Job = (i64, i64, String, EventMetadata);

/// The pairs this process has handled, as hashes of `(project, release)`, and the
/// worker's queue.
#[derive(Debug)]
pub struct ReleasesSeen {
    handled: Arc<DashSet<u64>>,
    queue: mpsc::Sender<Job>,
}

fn key(project_id: i64, release: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (project_id, release).hash(&mut hasher);
    hasher.finish()
}

impl ReleasesSeen {
    /// The memory and its worker, which runs until the returned handle is dropped
    /// with the runtime.
    pub fn start(pool: PgPool, bus: Arc<CommandBus>) -> (Self, tokio::task::JoinHandle<()>) {
        let handled = Arc::new(DashSet::new());
        let (queue, jobs) = mpsc::channel(QUEUE);
        let worker = tokio::spawn(work(pool, bus, handled.clone(), jobs));
        (ReleasesSeen { handled, queue }, worker)
    }

    /// Whether an event of `project_id` carrying `release` is the first this process
    /// sees; it is not the first again until [`ReleasesSeen::forget`].
    pub fn first_time(&self, project_id: i64, release: &str) -> bool {
        let key = key(project_id, release);
        if self.handled.contains(&key) {
            return false;
        }
        if self.handled.len() >= REMEMBERED {
            self.handled.clear();
        }
        self.handled.insert(key)
    }

    /// Forgets the pair, so its next event creates the release again (its event was
    /// refused, or the creation failed).
    pub fn forget(&self, project_id: i64, release: &str) {
        self.handled.remove(&key(project_id, release));
    }

    /// Queues the creation of `release` in `project_id`, attributed to `metadata`
    /// (the key that sent the event); forgets the pair when the queue is full.
    pub fn create_in_background(
        &self,
        org_id: i64,
        project_id: i64,
        release: String,
        metadata: EventMetadata,
    ) {
        if let Err(full) = self.queue.try_send((org_id, project_id, release, metadata)) {
            let (_, project_id, release, _) = full.into_inner();
            self.forget(project_id, &release);
        }
    }
}

async fn work(
    pool: PgPool,
    bus: Arc<CommandBus>,
    handled: Arc<DashSet<u64>>,
    mut jobs: mpsc::Receiver<Job>,
) {
    while let Some((org_id, project_id, release, metadata)) = jobs.recv().await {
        if let Err(error) = create(&pool, &bus, org_id, project_id, &release, &metadata).await {
            handled.remove(&key(project_id, &release));
            tracing::warn!(%error, release, project_id, "could not create the release of an event");
        }
    }
}

async fn create(
    pool: &PgPool,
    bus: &CommandBus,
    org_id: i64,
    project_id: i64,
    version: &str,
    metadata: &EventMetadata,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let release_id = next_id(pool, IdKind::Release).await?;
    let command = ReleaseCommand::CreateRelease {
        release_id,
        org_id,
        version: version.to_owned(),
        project_ids: vec![project_id],
        changes: ReleaseChanges::default(),
        at: metadata.time,
    };
    match bus
        .execute::<Release>(&stream_id(org_id, version), command, metadata)
        .await
    {
        Ok(_) => Ok(()),
        // A version Sentry would not create (the normalizer drops most): nothing to do.
        Err(CommandError::Refused(refusal)) => {
            tracing::debug!(%refusal, version, "release of an event not created");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
