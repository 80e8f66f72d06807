//! The `alert_rules` projection: alert workflows (`workflows`) and service hooks
//! (`service_hooks`) as the API lists them, folded from the `workflow` and
//! `service_hook` streams. Dates are the events' metadata `time`; a workflow's
//! detector ids are its project ids (each project's one error detector).
//!
//! - `apply`: the fold.
//! - `queries`: the reads the API serves, scoped by organization (and project).
//!
//! Evaluating workflows is not this projection's job: the alerting reactor folds
//! the same events into tables of its own (docs/alerts.md).

mod apply;
pub mod queries;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

/// Projects workflow and service hook streams.
pub struct AlertRulesProjection;

#[async_trait]
impl Projection for AlertRulesProjection {
    fn name(&self) -> &'static str {
        "alert_rules"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["workflow", "service_hook"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["workflows", "service_hooks"]
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
        match event.aggregate_type.as_str() {
            "workflow" => apply::workflow(conn, event).await,
            "service_hook" => apply::service_hook(conn, event).await,
            _ => Ok(()),
        }
    }
}
