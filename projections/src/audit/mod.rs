//! The organization audit log: `audit_log`, one row per change made to an
//! organization, its members, teams, projects, client keys, issues, alert rules,
//! service hooks or releases, named as in Sentry (`project.create`, `member.edit`,
//! `issue.resolve`, ...).
//!
//! - `accounts`: organization and project events (and the user bookkeeping).
//! - `issues`: issue workflow events.
//! - `alerts`: alert rule (workflow) and service hook events.
//! - `releases`: release and deploy events (with their own version lookup,
//!   `audit_releases`).
//! - `monitors`: cron monitor changes (with their own slug lookup, `audit_monitors`).
//! - `names`: the projection's own lookup tables (emails, slugs, an issue stream's
//!   organization and short id, workflow names, hook URLs), so rows can name what they are about without
//!   reading another projection's tables.
//! - `queries`: the list the API serves.
//!
//! What is not a row: ingestion (`IssueCreated`, `EventIngested`, `IssueRegressed`
//! and an ignore ending by itself, `IssueUnignored`); per-user view state (bookmarks,
//! subscriptions, seen); the secondary side of a merge (`IssueMerged`, recorded once
//! by the primary's `IssuesMergedIn`); and user events (`UserCreated`, `TokenIssued`,
//! `TokenRevoked`, `PasswordSet`), which belong to no organization and only feed the
//! lookups.
//!
//! Every column comes from the event and the lookups: the id is the log position,
//! the time is the metadata's `time`, so a rebuild gives identical rows.

mod accounts;
mod alerts;
mod issues;
mod monitors;
mod names;
pub mod queries;
mod releases;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

/// Every `event` name the audit log may hold (the endpoint's `options`).
pub const EVENT_NAMES: &[&str] = &[
    "org.create",
    "org.edit",
    "org.remove",
    "member.add",
    "member.edit",
    "member.remove",
    "member.join-team",
    "member.leave-team",
    "team.create",
    "team.edit",
    "team.remove",
    "project.create",
    "project.edit",
    "project.remove",
    "projectkey.create",
    "projectkey.edit",
    "projectkey.remove",
    "issue.resolve",
    "issue.unresolve",
    "issue.ignore",
    "issue.assign",
    "issue.unassign",
    "issue.edit",
    "issue.merge",
    "issue.delete",
    "comment.create",
    "comment.edit",
    "comment.remove",
    "alertrule.add",
    "alertrule.edit",
    "alertrule.remove",
    "servicehook.add",
    "servicehook.edit",
    "servicehook.remove",
    "monitor.add",
    "monitor.edit",
    "monitor.remove",
];

/// The event types no row comes from, which a rebuild does not read: the issues'
/// and the monitors' (the names are unique across aggregates).
const SKIPPED: &[&str] = &[
    "EventIngested",
    "IssueRegressed",
    "IssueUnignored",
    "IssueMerged",
    "BookmarkSet",
    "SubscriptionSet",
    "IssueSeen",
    "IssueUnseen",
    "CheckInRecorded",
    "CheckInCompleted",
    "IncidentOpened",
    "IncidentResolved",
    "CheckInsSummarized",
];

/// Projects organization, project, issue and user streams into `audit_log`.
pub struct AuditLogProjection;

/// One audit row, before the metadata (actor, address, time) is added.
#[derive(Debug)]
struct Entry {
    org_id: i64,
    event: &'static str,
    note: String,
    target_object: Option<i64>,
    target_user_id: Option<i64>,
    data: Value,
}

#[async_trait]
impl Projection for AuditLogProjection {
    fn name(&self) -> &'static str {
        "audit_log"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[
            "user",
            "organization",
            "project",
            "issue",
            "workflow",
            "service_hook",
            "release",
            "monitor",
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "audit_log",
            "audit_users",
            "audit_tokens",
            "audit_members",
            "audit_teams",
            "audit_projects",
            "audit_issues",
            "audit_workflows",
            "audit_service_hooks",
            "audit_releases",
            "audit_monitors",
        ]
    }

    /// An occurrence's payload (the whole normalized event) is never needed here.
    fn payload_sql(&self) -> &'static str {
        "CASE WHEN event_type = 'EventIngested' THEN 'null'::jsonb ELSE payload END"
    }

    /// The issue events `issues::entry` drops by type before decoding.
    fn replay_skips(&self) -> &'static [&'static str] {
        SKIPPED
    }

    /// No audit row holds an event body.
    fn body_sql(&self) -> &'static str {
        "NULL::bytea"
    }

    fn metadata_sql(&self) -> &'static str {
        "CASE WHEN event_type = 'EventIngested' THEN 'null'::jsonb ELSE metadata END"
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let entry = match event.aggregate_type.as_str() {
            "organization" => accounts::organization(conn, event).await?,
            "project" => accounts::project(conn, event).await?,
            "user" => accounts::user(conn, event).await?,
            "issue" => issues::entry(conn, event).await?,
            "workflow" => alerts::workflow(conn, event).await?,
            "service_hook" => alerts::service_hook(conn, event).await?,
            "release" => releases::release(conn, event).await?,
            "monitor" => monitors::monitor(conn, event).await?,
            _ => None,
        };
        match entry {
            Some(entry) => insert(conn, event, entry).await,
            None => Ok(()),
        }
    }
}

/// Writes `entry` as the row of `event`; applying an event twice changes nothing.
async fn insert(
    conn: &mut PgConnection,
    event: &StoredEvent,
    entry: Entry,
) -> Result<(), ProjectionError> {
    let actor = event.metadata_str(faultline_domain::metadata::ACTOR);
    let actor_user_id = match actor.and_then(|actor| actor.split_once(':')) {
        Some(("user", id)) => id.parse().ok(),
        Some(("token", id)) => match id.parse() {
            Ok(token_id) => names::token_user(conn, token_id).await?,
            Err(_) => None,
        },
        _ => None,
    };
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, event, actor, actor_user_id, ip_address, note,
                                target_object, target_user_id, data, date_created)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(event.position)
    .bind(entry.org_id)
    .bind(entry.event)
    .bind(actor.unwrap_or("system:unknown"))
    .bind(actor_user_id)
    .bind(event.metadata_str(faultline_domain::metadata::IP_ADDRESS))
    .bind(entry.note)
    .bind(entry.target_object)
    .bind(entry.target_user_id)
    .bind(entry.data)
    .bind(event.time())
    .execute(conn)
    .await?;
    Ok(())
}
