//! The `releases` projection: releases, the projects they ship in and their deploys,
//! as the API lists them, folded from the `release` streams.
//!
//! - `apply`: the fold.
//! - `queries`: the reads the API serves, scoped by organization (and project).

mod apply;
pub mod queries;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

/// Projects release streams.
pub struct ReleasesProjection;

#[async_trait]
impl Projection for ReleasesProjection {
    fn name(&self) -> &'static str {
        "releases"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["release"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "releases",
            "release_projects",
            "release_deploys",
            "release_commits",
            "release_repositories",
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
        apply::release(conn, event).await
    }
}
