//! The `alerting` reactor: folds the log into what workflows and service hooks ask
//! about issues, decides who to notify, and writes each decision to the
//! `notifications` outbox in the transaction that moves its checkpoint, so a crash
//! never loses a decision and a batch applied again never repeats one (rows are
//! keyed by their decision). `faultline-notify` sends them.
//!
//! A reactor, not a read model: it is run by the same runner as the projections
//! (checkpoint, batches, one process at a time) but listed in
//! [`crate::registry::reactors`], never in `durable()`, so replay and verify never
//! run it and a rebuild never notifies anyone again. Design: `docs/alerts.md`.

mod counts;
mod evaluate;
mod issues;
mod log_keys;
mod outbox;
mod rules;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::error::ProjectionError;
use crate::log::StoredEvent;
use crate::projection::Projection;

/// The reactor.
#[derive(Debug)]
pub struct AlertingReactor {
    /// Where users reach Faultline (the issues' links), without trailing slash.
    public_url: String,
}

impl AlertingReactor {
    /// A reactor whose notifications link to issues under `public_url`.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// Its name, under which its checkpoint is stored.
pub const NAME: &str = "alerting";

#[async_trait]
impl Projection for AlertingReactor {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["issue", rules::WORKFLOW, rules::SERVICE_HOOK]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "alert_workflows",
            "alert_service_hooks",
            "alert_issues",
            "alert_issue_minutes",
            "alert_issue_minute_users",
            "alert_fires",
        ]
    }

    /// An ingested event is read whole only when its project is watched (see
    /// `issues::heads`); a fire reads its body then.
    fn payload_sql(&self) -> &'static str {
        "CASE WHEN event_type = 'EventIngested' THEN 'null'::jsonb ELSE payload END"
    }

    fn body_sql(&self) -> &'static str {
        "NULL::bytea"
    }

    fn metadata_sql(&self) -> &'static str {
        "'null'::jsonb"
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(conn, std::slice::from_ref(event)).await
    }

    /// Issue events fold in runs; a workflow or hook change ends the run before it
    /// and applies on its own, so every event is judged by the rules of its moment.
    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Every statement names the batch's organization: on Citus its tables live on
        // the one worker that holds it.
        let org = crate::log::partition_of(events)?;
        let mut start = 0;
        for (index, event) in events.iter().enumerate() {
            if event.aggregate_type != "issue" {
                if start < index {
                    issues::apply_run(conn, org, &events[start..index], &self.public_url).await?;
                }
                rules::apply(conn, org, event).await?;
                start = index + 1;
            }
        }
        if start < events.len() {
            issues::apply_run(conn, org, &events[start..], &self.public_url).await?;
        }
        Ok(())
    }
}
