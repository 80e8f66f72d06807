//! Read models of issues: `issues`, `issue_events`, `issue_users`, `issue_tag_values`.
//!
//! Ingestion appends thousands of `EventIngested` per second, so the projection folds a
//! whole batch into a handful of set-based statements (arrays bound once, `unnest`ed
//! server-side) instead of several statements per event. The events themselves stay in
//! the log: `issue_events.position` points at each one.

mod accepted;
pub(crate) mod accounts;
mod counts;
pub mod due;
pub mod queries;
mod rebuilding;
mod release_counts;
pub mod search;
#[cfg(test)]
mod search_tests;
mod summaries;
#[cfg(test)]
mod summaries_tests;
#[cfg(test)]
mod tests;
mod workflow;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use faultline_domain::issue::{IssueEvent, Occurrence};
use sqlx::PgConnection;

use crate::projection::Rebuilding;
use crate::{Projection, ProjectionError, StoredEvent};

use accepted::AcceptedIds;
use rebuilding::RebuildIds;

/// Projects issue streams.
#[derive(Default)]
pub struct IssuesProjection {
    /// Set for a rebuild that fills `issue_events` without its primary key: the
    /// event ids already there, kept in memory instead.
    rebuild: Option<RebuildIds>,
}

impl IssuesProjection {
    /// The projection as the live runner applies it, every key in place.
    pub fn live() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Projection for IssuesProjection {
    fn name(&self) -> &'static str {
        "issues"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["issue"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "issues",
            "issue_events",
            "issue_users",
            "issue_tag_values",
            "issue_bookmarks",
            "issue_subscriptions",
            "issue_seen",
            "issue_comments",
            "issue_activity",
            "release_environments",
        ]
    }

    fn organization_column(&self) -> Option<&'static str> {
        Some("org_id")
    }

    /// Every column here comes from the occurrence's head; its `data` (the whole
    /// normalized event, most of the bytes) stays in the log. A row with a `body`
    /// column (`EventIngested` 4.0) has no body in its payload: no need to rewrite it.
    fn payload_sql(&self) -> &'static str {
        "CASE WHEN body IS NULL THEN payload #- '{EventIngested,data}' ELSE payload END"
    }

    /// Nor the body of a 4.0 row.
    fn body_sql(&self) -> &'static str {
        "NULL::bytea"
    }

    /// Nothing here reads an event's metadata: no need to ship and parse it.
    fn metadata_sql(&self) -> &'static str {
        "'null'::jsonb"
    }

    /// A rebuild of up to 3 M events fills `issue_events` without its primary key:
    /// [`RebuildIds`] tells resent event ids apart in memory
    /// (~100 MB at most), which leaves a plain append per row.
    fn rebuilding(&self) -> Option<Rebuilding> {
        Some(Rebuilding {
            projection: Arc::new(IssuesProjection {
                rebuild: Some(RebuildIds::default()),
            }),
            deferred_keys: &["issue_events_pkey"],
            max_events: 3_000_000,
        })
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(conn, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        match &self.rebuild {
            Some(ids) => ids.apply_in_order(conn, events).await,
            None => apply_in_order(conn, events, None).await,
        }
    }
}

/// Applies `events` in log order. Occurrences fold set-wise; a workflow event
/// (status, assignment, comment, deletion, merge) flushes the run before it and
/// applies on its own, so everything lands in log order. With `accepted`, resent
/// event ids are told apart by it instead of by `issue_events`' primary key.
async fn apply_in_order(
    conn: &mut PgConnection,
    events: &[StoredEvent],
    mut accepted: Option<&mut AcceptedIds>,
) -> Result<(), ProjectionError> {
    let mut start = 0;
    for (index, event) in events.iter().enumerate() {
        if !is_hot(&event.event_type) {
            if start < index {
                Batch::decode(&events[start..index])?
                    .write(conn, accepted.as_deref_mut())
                    .await?;
            }
            workflow::apply(conn, event, accepted.as_deref_mut()).await?;
            start = index + 1;
        }
    }
    if start < events.len() {
        Batch::decode(&events[start..])?
            .write(conn, accepted)
            .await?;
    }
    Ok(())
}

/// The event types of the ingestion path, folded in sets.
fn is_hot(event_type: &str) -> bool {
    matches!(
        event_type,
        "IssueCreated" | "EventIngested" | "IssueRegressed"
    )
}

/// An issue opened by the batch.
struct Created {
    stream_id: String,
    issue_id: i64,
    project_id: i64,
    org_id: i64,
    short_number: i64,
    hash: String,
    title: String,
    culprit: String,
    metadata: serde_json::Value,
    issue_type: String,
    level: String,
    platform: String,
    first_seen: DateTime<Utc>,
}

/// An occurrence with where it sits in the log.
struct Ingested {
    stream_id: String,
    position: i64,
    occurrence: Box<Occurrence>,
}

/// A batch's events, decoded and sorted by what they change.
#[derive(Default)]
struct Batch {
    /// The organization whose partition of the log the batch comes from: a runner
    /// applies one partition at a time, and every row written names it.
    org_id: i64,
    created: Vec<Created>,
    ingested: Vec<Ingested>,
    /// `(stream, status, substatus)` in log order: the last one per stream wins.
    statuses: Vec<(String, &'static str, Option<&'static str>)>,
    /// Regressions for the activity feed: `(stream, position, release, at)`.
    regressions: Vec<(String, i64, Option<String>, DateTime<Utc>)>,
}

impl Batch {
    fn decode(events: &[StoredEvent]) -> Result<Self, ProjectionError> {
        let mut batch = Batch {
            org_id: crate::log::partition_of(events)?,
            ..Batch::default()
        };
        for event in events {
            let stream_id = event.aggregate_id.clone();
            match event.decode::<IssueEvent>()? {
                IssueEvent::IssueCreated {
                    issue_id,
                    project_id,
                    org_id,
                    short_number,
                    hash,
                    title,
                    culprit,
                    metadata,
                    issue_type,
                    level,
                    platform,
                    first_seen,
                } => batch.created.push(Created {
                    stream_id,
                    issue_id,
                    project_id,
                    org_id,
                    short_number,
                    hash,
                    title,
                    culprit,
                    metadata,
                    issue_type,
                    level,
                    platform,
                    first_seen,
                }),
                IssueEvent::EventIngested(occurrence) => batch.ingested.push(Ingested {
                    stream_id,
                    position: event.position,
                    occurrence,
                }),
                IssueEvent::IssueRegressed { release, at, .. } => {
                    batch
                        .regressions
                        .push((stream_id.clone(), event.position, release, at));
                    batch
                        .statuses
                        .push((stream_id, "unresolved", Some("regressed")))
                }
                other => {
                    return Err(ProjectionError::Invalid(format!(
                        "{} is not an ingestion event",
                        cqrs_es::DomainEvent::event_type(&other)
                    )))
                }
            }
        }
        Ok(batch)
    }

    async fn write(
        self,
        conn: &mut PgConnection,
        accepted: Option<&mut AcceptedIds>,
    ) -> Result<(), ProjectionError> {
        self.insert_created(conn).await?;
        self.fold_occurrences(conn, accepted).await?;
        self.set_statuses(conn).await
    }

    async fn insert_created(&self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.created.is_empty() {
            return Ok(());
        }
        let c = &self.created;
        sqlx::query(
            "INSERT INTO issues (id, stream_id, project_id, org_id, short_number, hash, title, culprit,
                                 metadata, issue_type, level, platform, status, substatus,
                                 first_seen, last_seen, times_seen, user_count)
             SELECT id, stream_id, project_id, org_id, short_number, hash, title, culprit,
                    metadata, issue_type, level, platform, 'unresolved', NULL,
                    first_seen, first_seen, 0, 0
               FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],
                           $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[],
                           $11::text[], $12::text[], $13::timestamptz[])
                    AS c(id, stream_id, project_id, org_id, short_number, hash, title, culprit,
                         metadata, issue_type, level, platform, first_seen)
             ON CONFLICT (id, org_id) DO NOTHING",
        )
        .bind(c.iter().map(|c| c.issue_id).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.stream_id.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.project_id).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.org_id).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.short_number).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.hash.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.title.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.culprit.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.metadata.clone()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.issue_type.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.level.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.platform.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.first_seen).collect::<Vec<_>>())
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn fold_occurrences(
        &self,
        conn: &mut PgConnection,
        accepted: Option<&mut AcceptedIds>,
    ) -> Result<(), ProjectionError> {
        if self.ingested.is_empty() {
            return Ok(());
        }
        let mut streams: Vec<&str> = self.ingested.iter().map(|i| i.stream_id.as_str()).collect();
        streams.sort_unstable();
        streams.dedup();
        let ids: HashMap<String, (i64, i64)> = sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT stream_id, id, project_id FROM issues WHERE stream_id = ANY($1) AND org_id = $2",
        )
        .bind(&streams[..])
        .bind(self.org_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(stream, id, project)| (stream, (id, project)))
        .collect();
        let mut rows = Vec::with_capacity(self.ingested.len());
        for ingested in &self.ingested {
            let (issue_id, project_id) = *ids.get(&ingested.stream_id).ok_or_else(|| {
                ProjectionError::Invalid(format!(
                    "event at position {} belongs to issue stream {} that was never created",
                    ingested.position, ingested.stream_id
                ))
            })?;
            rows.push((issue_id, project_id, ingested));
        }
        if let Some(accepted) = accepted {
            // In log order, so the first of a batch's resends is the one kept.
            rows.retain(|r| accepted.insert(r.1, &r.2.occurrence.event_id));
        }

        // An event id seen before in the project is a resend: it changes nothing. Rows
        // go in in primary-key order (random event ids otherwise land on random index
        // pages: a third of a rebuild's insert time), the earlier position first among
        // resends within the batch, so that the first one is the one kept.
        let accepted: HashSet<i64> = sqlx::query_scalar(
            "INSERT INTO issue_events (event_id, project_id, issue_id, position, timestamp, received,
                                       org_id)
             SELECT *, $7::bigint FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
                                  $5::timestamptz[], $6::timestamptz[])
                           AS input(event_id, project_id, issue_id, position, timestamp, received)
              ORDER BY project_id, event_id, position
             ON CONFLICT DO NOTHING
             RETURNING position",
        )
        .bind(rows.iter().map(|r| r.2.occurrence.event_id.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.position).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.occurrence.timestamp).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2.occurrence.received).collect::<Vec<_>>())
        .bind(self.org_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        rows.retain(|r| accepted.contains(&r.2.position));
        if rows.is_empty() {
            return Ok(());
        }

        let mut user_pairs: Vec<(i64, &str)> = rows
            .iter()
            .filter_map(|r| r.2.occurrence.user_key.as_deref().map(|key| (r.0, key)))
            .collect();
        user_pairs.sort_unstable();
        user_pairs.dedup();
        let mut new_users: HashMap<i64, i64> = HashMap::new();
        if !user_pairs.is_empty() {
            let inserted: Vec<i64> = sqlx::query_scalar(
                "INSERT INTO issue_users (issue_id, user_key, org_id)
                 SELECT *, $3::bigint FROM unnest($1::bigint[], $2::text[])
                 ON CONFLICT DO NOTHING
                 RETURNING issue_id",
            )
            .bind(user_pairs.iter().map(|p| p.0).collect::<Vec<_>>())
            .bind(user_pairs.iter().map(|p| p.1).collect::<Vec<_>>())
            .bind(self.org_id)
            .fetch_all(&mut *conn)
            .await?;
            for issue_id in inserted {
                *new_users.entry(issue_id).or_default() += 1;
            }
        }

        let mut per_issue: HashMap<i64, IssueFold> = HashMap::new();
        let mut tags: HashMap<(i64, &str, &str), TagFold> = HashMap::new();
        for (issue_id, _, ingested) in &rows {
            let occurrence = &ingested.occurrence;
            per_issue
                .entry(*issue_id)
                .and_modify(|fold| fold.add(occurrence))
                .or_insert_with(|| IssueFold::new(occurrence));
            let mut seen_in_event = HashSet::new();
            for (key, value) in &occurrence.tags {
                if !seen_in_event.insert((key.as_str(), value.as_str())) {
                    continue;
                }
                tags.entry((*issue_id, key, value))
                    .and_modify(|fold| fold.add(occurrence.timestamp))
                    .or_insert_with(|| TagFold::new(occurrence.timestamp));
            }
        }

        let issues: Vec<(i64, IssueFold)> = per_issue.into_iter().collect();
        sqlx::query(
            "UPDATE issues AS i
                SET times_seen = i.times_seen + u.n,
                    first_seen = least(i.first_seen, u.first_seen),
                    last_seen = greatest(i.last_seen, u.last_seen),
                    user_count = i.user_count + u.new_users,
                    level = u.level
               FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[],
                           $5::bigint[], $6::text[])
                    AS u(id, n, first_seen, last_seen, new_users, level)
              WHERE i.id = u.id AND i.org_id = $7",
        )
        .bind(issues.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(issues.iter().map(|(_, f)| f.count).collect::<Vec<_>>())
        .bind(issues.iter().map(|(_, f)| f.first_seen).collect::<Vec<_>>())
        .bind(issues.iter().map(|(_, f)| f.last_seen).collect::<Vec<_>>())
        .bind(
            issues
                .iter()
                .map(|(id, _)| new_users.get(id).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        )
        .bind(
            issues
                .iter()
                .map(|(_, f)| f.level.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(self.org_id)
        .execute(&mut *conn)
        .await?;

        release_counts::add(
            &mut *conn,
            self.org_id,
            rows.iter()
                .map(|(_, project_id, ingested)| (*project_id, &*ingested.occurrence)),
        )
        .await?;
        if tags.is_empty() {
            return Ok(());
        }
        let tags: Vec<((i64, &str, &str), counts::Count)> = tags
            .into_iter()
            .map(|(key, fold)| (key, (fold.count, fold.first_seen, fold.last_seen)))
            .collect();
        counts::add_tag_values(conn, self.org_id, &tags).await
    }

    async fn set_statuses(&self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.statuses.is_empty() {
            return Ok(());
        }
        let mut last: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
        for (stream, status, substatus) in &self.statuses {
            last.insert(stream, (status, *substatus));
        }
        let last: Vec<(&str, (&str, Option<&str>))> = last.into_iter().collect();
        // A regression ends the resolution, and with it its details.
        sqlx::query(
            "UPDATE issues AS i SET status = u.status, substatus = u.substatus,
                    status_details = '{}'
               FROM unnest($1::text[], $2::text[], $3::text[]) AS u(stream_id, status, substatus)
              WHERE i.stream_id = u.stream_id AND i.org_id = $4",
        )
        .bind(last.iter().map(|(s, _)| *s).collect::<Vec<_>>())
        .bind(last.iter().map(|(_, (s, _))| *s).collect::<Vec<_>>())
        .bind(last.iter().map(|(_, (_, s))| *s).collect::<Vec<_>>())
        .bind(self.org_id)
        .execute(&mut *conn)
        .await?;
        let r = &self.regressions;
        sqlx::query(
            "INSERT INTO issue_activity (id, issue_id, type, data, user_id, date_created, org_id)
             SELECT r.position, i.id, 'set_regression',
                    CASE WHEN r.release IS NULL THEN '{}'::jsonb
                         ELSE jsonb_build_object('version', r.release) END,
                    NULL, r.at, i.org_id
               FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[])
                    AS r(stream_id, position, release, at)
               JOIN issues i ON i.stream_id = r.stream_id AND i.org_id = $5
             ON CONFLICT (id, org_id) DO NOTHING",
        )
        .bind(r.iter().map(|r| r.0.as_str()).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.2.as_deref()).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.3).collect::<Vec<_>>())
        .bind(self.org_id)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// What a batch adds to one issue. `level` is the level of its last event in log
/// order, so that one batch and the same events one by one agree.
struct IssueFold {
    count: i64,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    level: String,
}

impl IssueFold {
    fn new(occurrence: &Occurrence) -> Self {
        Self {
            count: 1,
            first_seen: occurrence.timestamp,
            last_seen: occurrence.timestamp,
            level: occurrence.level.clone(),
        }
    }

    fn add(&mut self, occurrence: &Occurrence) {
        self.count += 1;
        self.first_seen = self.first_seen.min(occurrence.timestamp);
        self.last_seen = self.last_seen.max(occurrence.timestamp);
        self.level.clone_from(&occurrence.level);
    }
}

/// What a batch adds to one tag value of one issue.
struct TagFold {
    count: i64,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

impl TagFold {
    fn new(at: DateTime<Utc>) -> Self {
        Self {
            count: 1,
            first_seen: at,
            last_seen: at,
        }
    }

    fn add(&mut self, at: DateTime<Utc>) {
        self.count += 1;
        self.first_seen = self.first_seen.min(at);
        self.last_seen = self.last_seen.max(at);
    }
}
