//! Releases created by ingestion: the first time an event of a project carries a
//! release, the release is created in that project (or the project added to it), as
//! Sentry does, without the event waiting for it.
//!
//! Each process remembers the `(project, release)` pairs it has handled, so the
//! ingest path pays one hash lookup per event; a pair another process handled, or
//! one seen again after a restart, runs the command again and it records nothing.

use std::hash::{Hash, Hasher};

use dashmap::DashSet;
use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::metadata::EventMetadata;
use faultline_domain::release::{stream_id, Release, ReleaseChanges, ReleaseCommand};

use crate::state::AppState;

/// The pairs this process has handled, as hashes of `(project, release)`.
#[derive(Debug, Default)]
pub struct ReleasesSeen {
    handled: DashSet<u64>,
}

fn key(project_id: i64, release: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (project_id, release).hash(&mut hasher);
    hasher.finish()
}

impl ReleasesSeen {
    /// Whether an event of `project_id` carrying `release` is the first this process
    /// sees; it is not the first again until [`ReleasesSeen::forget`].
    pub fn first_time(&self, project_id: i64, release: &str) -> bool {
        self.handled.insert(key(project_id, release))
    }

    /// Forgets the pair, so its next event creates the release again (its event was
    /// refused, or the creation failed).
    pub fn forget(&self, project_id: i64, release: &str) {
        self.handled.remove(&key(project_id, release));
    }

    /// Creates `release` in `project_id` in the background, attributed to `metadata`
    /// (the key that sent the event).
    pub fn create_in_background(
        &self,
        state: &AppState,
        org_id: i64,
        project_id: i64,
        release: String,
        metadata: EventMetadata,
    ) {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = create(&state, org_id, project_id, release.clone(), &metadata).await
            {
                state.releases_seen.forget(project_id, &release);
                tracing::warn!(%error, release, project_id, "could not create the release of an event");
            }
        });
    }
}

async fn create(
    state: &AppState,
    org_id: i64,
    project_id: i64,
    version: String,
    metadata: &EventMetadata,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let release_id = next_id(&state.pool, IdKind::Release).await?;
    let command = ReleaseCommand::CreateRelease {
        release_id,
        org_id,
        version: version.clone(),
        project_ids: vec![project_id],
        changes: ReleaseChanges::default(),
        at: metadata.time,
    };
    match state
        .bus
        .execute::<Release>(&stream_id(org_id, &version), command, metadata)
        .await
    {
        Ok(_) => Ok(()),
        // A version Sentry would not create (the normalizer drops most): nothing to do.
        Err(faultline_commands::CommandError::Refused(refusal)) => {
            tracing::debug!(%refusal, version, "release of an event not created");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
