//! The log, or a filtered part of it, as NDJSON: one object per event, partition by
//! partition of the log (`organization_id` ascending, 0 first: what belongs to no
//! organization, such as users), each in log order (`(tx_id, position)`): the order
//! projections apply events in. The log has no order across organizations.
//!
//! One line:
//!
//! ```json
//! {"position":12,"tx_id":803,"aggregate_type":"issue","aggregate_id":"6a1f…","sequence":3,
//!  "event_type":"IssueResolved","event_version":"1.0","payload":{"IssueResolved":{…}},
//!  "metadata":{"actor":"user:1","time":"…"},"recorded_at":"2026-11-25T10:59:34.264446Z"}
//! ```
//!
//! Payloads are exported as stored, in the shape of their `event_version`: an export
//! is evidence, and a reader can upcast it the way `faultline_domain::upcast` does.
//! A row with a `body` column (`EventIngested` 4.0) has one more key after `payload`,
//! `"body"`: the column's bytes in standard base64, the string a 3.0 payload holds in
//! its `data` (`faultline_domain::issue::body::rejoin`).
//! The query is one statement read through a sqlx `fetch` stream and written line by
//! line: Postgres sends rows as they are consumed, so memory stays flat however long
//! the log is. Payloads and metadata arrive as JSON text and are copied, not parsed.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use faultline_domain::issue::body;
use futures::TryStreamExt;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::HistoryError;

/// Which events to export; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only the streams of this organization (by numeric id): the organization, the
    /// projects created in it, the issues created in those projects, its alert
    /// workflows, service hooks and releases (deleted ones too: membership comes from the
    /// `*Created` events, not the read models), and the users ever added to it as
    /// members.
    pub org_id: Option<i64>,
    /// Only events recorded at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events recorded at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only these event types (`IssueResolved`) or aggregate types (`issue`); empty:
    /// all.
    pub types: Vec<String>,
}

/// One exported row, its JSON columns still text.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    position: i64,
    tx_id: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
    body: Option<Vec<u8>>,
    metadata: String,
    recorded_at: DateTime<Utc>,
}

impl Row {
    fn write_line(&self, out: &mut impl Write) -> std::io::Result<()> {
        let text = |value: &str| serde_json::Value::from(value).to_string();
        // Base64 needs no escaping.
        let body = match &self.body {
            Some(column) => format!(",\"body\":\"{}\"", body::stored_string(column)),
            None => String::new(),
        };
        writeln!(
            out,
            "{{\"position\":{},\"tx_id\":{},\"aggregate_type\":{},\"aggregate_id\":{},\"sequence\":{},\"event_type\":{},\"event_version\":{},\"payload\":{}{},\"metadata\":{},\"recorded_at\":\"{}\"}}",
            self.position,
            self.tx_id,
            text(&self.aggregate_type),
            text(&self.aggregate_id),
            self.sequence,
            text(&self.event_type),
            text(&self.event_version),
            self.payload,
            body,
            self.metadata,
            self.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        )
    }
}

/// Writes the events `filter` selects to `out`, one JSON object per line, partition
/// by partition, each in log order; returns how many.
pub async fn export(
    pool: &PgPool,
    filter: &ExportFilter,
    out: &mut impl Write,
) -> Result<u64, HistoryError> {
    let mut query = select(filter);
    let mut rows = query.build_query_as::<Row>().fetch(pool);
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        row.write_line(out)?;
        count += 1;
    }
    Ok(count)
}

fn select(filter: &ExportFilter) -> QueryBuilder<'_, Postgres> {
    let mut query = QueryBuilder::new(
        "SELECT position, tx_id::text::bigint AS tx_id, aggregate_type, aggregate_id, sequence,
                event_type, event_version, payload::text AS payload, body,
                metadata::text AS metadata, recorded_at
           FROM log_events AS log WHERE true",
    );
    if let Some(org_id) = filter.org_id {
        let org = org_id.to_string();
        query
            .push(" AND (aggregate_type, aggregate_id) IN (SELECT 'organization', ")
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'project', aggregate_id FROM events
                   WHERE aggregate_type = 'project' AND event_type = 'ProjectCreated'
                     AND payload -> 'ProjectCreated' ->> 'org_id' = ",
            )
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'issue', aggregate_id FROM events
                   WHERE aggregate_type = 'issue' AND event_type = 'IssueCreated'
                     AND payload -> 'IssueCreated' ->> 'org_id' = ",
            )
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'workflow', aggregate_id FROM events
                   WHERE aggregate_type = 'workflow' AND event_type = 'WorkflowCreated'
                     AND payload -> 'WorkflowCreated' ->> 'org_id' = ",
            )
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'release', aggregate_id FROM events
                   WHERE aggregate_type = 'release' AND event_type = 'ReleaseCreated'
                     AND payload -> 'ReleaseCreated' ->> 'org_id' = ",
            )
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'service_hook', aggregate_id FROM events
                   WHERE aggregate_type = 'service_hook' AND event_type = 'ServiceHookCreated'
                     AND payload -> 'ServiceHookCreated' ->> 'org_id' = ",
            )
            .push_bind(org.clone())
            .push(
                " UNION SELECT 'user', payload -> 'MemberAdded' ->> 'user_id' FROM events
                   WHERE aggregate_type = 'organization' AND event_type = 'MemberAdded'
                     AND aggregate_id = ",
            )
            .push_bind(org)
            .push(")");
    }
    if let Some(since) = filter.since {
        query.push(" AND recorded_at >= ").push_bind(since);
    }
    if let Some(until) = filter.until {
        query.push(" AND recorded_at <= ").push_bind(until);
    }
    if !filter.types.is_empty() {
        query
            .push(" AND (event_type = ANY(")
            .push_bind(filter.types.clone())
            .push(") OR aggregate_type = ANY(")
            .push_bind(filter.types.clone())
            .push("))");
    }
    // Qualified: a bare `tx_id` would name the bigint output column, which no index orders.
    query.push(" ORDER BY log.organization_id, log.tx_id, log.position");
    query
}
