//! Source map bundles past retention: a bundle lives as long as the longest retention
//! of the projects it serves (Sentry keeps artifact bundles as it keeps events), then
//! is deleted through the log (`BundleDeleted`, reason `retention`, by the system actor
//! `retention`). Afterwards the blobs no bundle uses any more (chunks once assembled,
//! files of deleted bundles) are removed once a day old, so an upload in flight keeps
//! its chunks.

use chrono::{DateTime, Utc};
use faultline_commands::artifacts::blobs;
use faultline_commands::{CommandBus, CommandError};
use faultline_domain::artifact_bundle::{
    stream_id, ArtifactBundle, ArtifactBundleCommand, DeleteReason,
};
use faultline_domain::metadata::EventMetadata;
use faultline_projections::artifact_bundles::queries;
use sqlx::PgPool;

/// Bundles deleted per query.
const BATCH: i64 = 500;
/// How long a pass waits for the bundle index to apply its deletions.
const APPLIED_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);
/// Unused blobs younger than this stay: an upload may still be assembling them.
const BLOB_GRACE_HOURS: i32 = 24;

/// What the step did.
#[derive(Debug, Default)]
pub struct BundleReport {
    /// Bundles deleted (or, dry, due).
    pub expired: usize,
    /// Blobs removed.
    pub blobs: u64,
}

/// Deletes the bundles past retention, then the unused blobs.
pub async fn expire_bundles(
    pool: &PgPool,
    bus: &CommandBus,
    default_days: u32,
    dry_run: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<BundleReport> {
    let metadata = EventMetadata::system("retention", now);
    let mut report = BundleReport::default();
    loop {
        let due = queries::expired(pool, now, default_days as i32, BATCH).await?;
        if dry_run {
            report.expired += due.len();
            return Ok(report);
        }
        if due.is_empty() {
            break;
        }
        let mut deleted = 0;
        // The last deletion in each partition of the log (organization).
        let mut last = std::collections::BTreeMap::new();
        for (org_id, checksum) in &due {
            let command = ArtifactBundleCommand::Delete {
                reason: DeleteReason::Retention,
                at: now,
            };
            match bus
                .execute::<ArtifactBundle>(&stream_id(*org_id, checksum), command, &metadata)
                .await
            {
                Ok(committed) => {
                    deleted += 1;
                    if let Some(position) = committed.last_position {
                        last.insert(committed.partition, position);
                    }
                }
                // Deleted by a user meanwhile.
                Err(CommandError::Refused(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        report.expired += deleted;
        for (partition, last) in last {
            applied(pool, partition, (last.tx_id, last.position)).await?;
        }
        // The read model lags the log: stop rather than list the same bundles again.
        if deleted == 0 || (due.len() as i64) < BATCH {
            break;
        }
    }
    report.blobs = blobs::collect_garbage(pool, BLOB_GRACE_HOURS).await?;
    Ok(report)
}

/// Waits (bounded) until the bundle index no longer lists what was deleted, so this
/// pass already removes its files' blobs; a later pass removes them otherwise.
async fn applied(pool: &PgPool, partition: i64, last: (i64, i64)) -> anyhow::Result<()> {
    let projection = ["artifact_bundles".to_owned()];
    let deadline = tokio::time::Instant::now() + APPLIED_WITHIN;
    while super::drop::first_behind(pool, &projection, partition, last)
        .await?
        .is_some()
    {
        if tokio::time::Instant::now() > deadline {
            tracing::warn!("the bundle index lags: unused files are removed by a later pass");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}
