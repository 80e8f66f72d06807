//! Health of each projection, as `/_ready` reports it.

use serde::Serialize;
use sqlx::PgPool;

use crate::checkpoint;
use crate::log::count_pending;
use crate::projection::Projection;

/// Lag is counted up to this many events; beyond it `/_ready` says "at least".
const LAG_CAP: i64 = 1_000_000;

/// One projection's state.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionStatus {
    /// The projection's name.
    pub name: String,
    /// Events not yet applied (capped at one million).
    pub lag: i64,
    /// Position of the latest event applied (in any partition).
    pub position: i64,
    /// Whether it stopped on an event it could not apply.
    pub failed: bool,
    /// The position it stopped on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_position: Option<i64>,
    /// Why it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The status of every projection in `projections`.
pub async fn statuses(
    pool: &PgPool,
    projections: &[std::sync::Arc<dyn Projection>],
) -> Result<Vec<ProjectionStatus>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut out = Vec::with_capacity(projections.len());
    for projection in projections {
        let stored = checkpoint::get(pool, projection.name()).await?;
        let position = stored.as_ref().map(|c| c.position()).unwrap_or_default();
        let lag = count_pending(
            &mut conn,
            projection.name(),
            projection.aggregate_types(),
            LAG_CAP,
        )
        .await?;
        out.push(ProjectionStatus {
            name: projection.name().to_owned(),
            lag,
            position: position.position,
            failed: stored.as_ref().is_some_and(|c| c.failed_position.is_some()),
            failed_position: stored.as_ref().and_then(|c| c.failed_position),
            error: stored.and_then(|c| c.failed_error),
        });
    }
    Ok(out)
}
