//! The `monitors` projection: cron monitors, their environments and check-ins, as the
//! API lists them and the missed-run and timeout scheduler reads them, folded from the
//! `monitor` streams.
//!
//! - `apply`: the fold.
//! - `queries`: the reads the API serves, scoped by organization (and project), and
//!   the due lists of the scheduler.

pub mod apply;
pub mod queries;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

/// Projects monitor streams.
pub struct MonitorsProjection;

#[async_trait]
impl Projection for MonitorsProjection {
    fn name(&self) -> &'static str {
        "monitors"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["monitor"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["monitors", "monitor_environments", "monitor_check_ins"]
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
        apply::monitor(conn, event).await
    }
}
