//! The `artifact_bundles` projection: uploaded source map bundles, the projects they
//! serve and their files indexed by debug id and URL, folded from the
//! `artifact_bundle` streams.
//!
//! - `apply`: the fold.
//! - `queries`: listing and the lookups that resolve frames, scoped by organization
//!   and project.

mod apply;
pub mod queries;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

/// Projects artifact bundle streams.
pub struct ArtifactBundlesProjection;

#[async_trait]
impl Projection for ArtifactBundlesProjection {
    fn name(&self) -> &'static str {
        "artifact_bundles"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["artifact_bundle"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "artifact_bundles",
            "artifact_bundle_projects",
            "artifact_bundle_files",
        ]
    }

    fn organization_column(&self) -> Option<&'static str> {
        Some("org_id")
    }

    fn body_sql(&self) -> &'static str {
        "NULL::bytea"
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        apply::bundle(conn, event).await
    }
}
