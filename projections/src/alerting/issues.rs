//! A run of issue events: what each means for the issue's facts, which triggers it
//! carries, and the evaluation of the project's workflows at each step.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use faultline_domain::alert::definition::Trigger;
use faultline_domain::issue::{Assignee, IssueEvent, Occurrence, UnignoreReason};
use sqlx::PgConnection;

use super::counts::Windows;
use super::evaluate::{Rules, Step};
use super::{log_keys, outbox};
use crate::error::ProjectionError;
use crate::log::StoredEvent;

/// What filters ask about an issue, as `alert_issues` holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct IssueFacts {
    pub stream_id: String,
    pub issue_id: i64,
    pub project_id: i64,
    pub org_id: i64,
    pub short_number: i64,
    pub title: String,
    pub culprit: String,
    pub level: String,
    pub first_seen: DateTime<Utc>,
    pub times_seen: i64,
    /// `user:<id>` or `team:<id>`.
    pub assignee: Option<String>,
}

/// One issue event, as the reactor reads it.
enum Change {
    Created(IssueFacts),
    /// An ingested event; its head is read only when a rule of its project may look
    /// at it (see [`heads`]).
    Ingested,
    /// A trigger carried by the next ingested event of the stream.
    Pending(Trigger),
    /// A trigger with no event of its own.
    Alone(Trigger, DateTime<Utc>),
    Assigned(Option<String>),
    Deleted,
}

/// The event types this reactor reads; the rest of an issue's life is skipped
/// without decoding.
fn read(event: &StoredEvent) -> Result<Option<Change>, ProjectionError> {
    if !matches!(
        event.event_type.as_str(),
        "IssueCreated"
            | "EventIngested"
            | "IssueRegressed"
            | "IssueUnignored"
            | "IssueResolved"
            | "IssueAssigned"
            | "IssueUnassigned"
            | "IssueDeleted"
    ) {
        return Ok(None);
    }
    if event.event_type == "EventIngested" {
        return Ok(Some(Change::Ingested));
    }
    Ok(Some(match event.decode::<IssueEvent>()? {
        IssueEvent::IssueCreated {
            issue_id,
            project_id,
            org_id,
            short_number,
            title,
            culprit,
            level,
            first_seen,
            ..
        } => Change::Created(IssueFacts {
            stream_id: event.aggregate_id.clone(),
            issue_id,
            project_id,
            org_id,
            short_number,
            title,
            culprit,
            level,
            first_seen,
            times_seen: 0,
            assignee: None,
        }),
        IssueEvent::IssueRegressed { .. } => Change::Pending(Trigger::RegressionEvent),
        IssueEvent::IssueUnignored {
            reason: UnignoreReason::Escalating,
            ..
        } => Change::Pending(Trigger::ReappearedEvent),
        IssueEvent::IssueUnignored { at, .. } => Change::Alone(Trigger::ReappearedEvent, at),
        IssueEvent::IssueResolved { at, .. } => Change::Alone(Trigger::IssueResolvedTrigger, at),
        IssueEvent::IssueAssigned { assignee, .. } => Change::Assigned(Some(match assignee {
            Assignee::User(id) => format!("user:{id}"),
            Assignee::Team(id) => format!("team:{id}"),
        })),
        IssueEvent::IssueUnassigned { .. } => Change::Assigned(None),
        IssueEvent::IssueDeleted { .. } => Change::Deleted,
        _ => return Ok(None),
    }))
}

/// Applies a run of issue events of organization `org` in log order.
pub(super) async fn apply_run(
    conn: &mut PgConnection,
    org: i64,
    events: &[StoredEvent],
    public_url: &str,
) -> Result<(), ProjectionError> {
    let mut changes = Vec::with_capacity(events.len());
    for event in events {
        if let Some(change) = read(event)? {
            changes.push((event, change));
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let streams: Vec<String> = changes
        .iter()
        .map(|(event, _)| event.aggregate_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut facts: HashMap<String, IssueFacts> = sqlx::query_as(
        "SELECT stream_id, issue_id, project_id, org_id, short_number, title, culprit, level,
                first_seen, times_seen, assignee
           FROM alert_issues WHERE org_id = $2 AND stream_id = ANY($1)",
    )
    .bind(&streams)
    .bind(org)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row: IssueFacts| (row.stream_id.clone(), row))
    .collect();
    let mut projects: HashSet<i64> = facts.values().map(|f| f.project_id).collect();
    for (_, change) in &changes {
        if let Change::Created(created) = change {
            projects.insert(created.project_id);
        }
    }
    let rules = Rules::load(conn, org, &projects.into_iter().collect::<Vec<_>>()).await?;
    let mut heads = heads(conn, &rules, &facts, &changes).await?;
    let first_received = heads.values().map(|o| o.received).min();
    let mut windows = match first_received {
        Some(reference) => {
            let counted: Vec<String> = facts
                .values()
                .map(|f| (f.stream_id.clone(), f.project_id))
                .chain(changes.iter().filter_map(|(_, c)| match c {
                    Change::Created(f) => Some((f.stream_id.clone(), f.project_id)),
                    _ => None,
                }))
                .filter(|(_, project)| rules.counts_events(*project))
                .map(|(stream, _)| stream)
                .collect();
            Windows::load(conn, org, &rules, &counted, reference).await?
        }
        None => Windows::default(),
    };

    let mut decisions = outbox::Decisions::load(conn, org, &rules, &streams).await?;
    let mut pending: HashMap<String, Waiting> = HashMap::new();
    let mut deleted = HashSet::new();
    for (event, change) in changes {
        let stream = &event.aggregate_id;
        match change {
            Change::Created(created) => {
                deleted.remove(stream);
                facts.insert(stream.clone(), created);
                wait(&mut pending, event, Trigger::FirstSeenEvent);
            }
            Change::Pending(trigger) => wait(&mut pending, event, trigger),
            Change::Alone(trigger, at) => {
                if let Some(issue) = facts.get(stream) {
                    let step = Step {
                        issue,
                        occurrence: None,
                        triggers: &[trigger],
                        position: event.position,
                        at,
                    };
                    rules.evaluate(&step, &windows, &mut decisions);
                }
            }
            Change::Ingested => {
                let Some(issue) = facts.get_mut(stream) else {
                    continue;
                };
                issue.times_seen += 1;
                let project = issue.project_id;
                let Some(occurrence) = heads.remove(&event.position) else {
                    // No rule of its project looks at it: its triggers have no one to
                    // fire.
                    pending.remove(stream);
                    continue;
                };
                if rules.counts_events(project) {
                    windows.add(stream, &occurrence, rules.counts_users(project));
                }
                let triggers = pending
                    .remove(stream)
                    .map(|w| w.triggers)
                    .unwrap_or_default();
                let step = Step {
                    issue: &facts[stream],
                    occurrence: Some(&occurrence),
                    triggers: &triggers,
                    position: event.position,
                    at: occurrence.received,
                };
                rules.evaluate(&step, &windows, &mut decisions);
                rules.hooks_for_event(&step, &mut decisions);
            }
            Change::Assigned(assignee) => {
                if let Some(issue) = facts.get_mut(stream) {
                    issue.assignee = assignee;
                }
            }
            Change::Deleted => {
                facts.remove(stream);
                deleted.insert(stream.clone());
            }
        }
    }
    // A trigger whose event falls into the next batch is judged without it.
    for (stream, waiting) in pending {
        if let Some(issue) = facts.get(&stream) {
            let step = Step {
                issue,
                occurrence: None,
                triggers: &waiting.triggers,
                position: waiting.position,
                at: waiting.at,
            };
            rules.evaluate(&step, &windows, &mut decisions);
        }
    }

    write_facts(conn, org, facts.values(), &deleted).await?;
    windows.write(conn, org).await?;
    decisions.write(conn, org, public_url).await?;
    let last_recorded = events.last().map(|event| event.recorded_at);
    super::counts::prune(conn, org, last_recorded).await
}

/// The heads (the event without its body) of the run's ingested events whose
/// project a workflow or hook watches, by position. The run itself reads no
/// ingested event's payload: most projects are watched by nothing, and decoding every
/// event a second time (the issues read model already does) would cost ingestion
/// what alerting is worth.
async fn heads(
    conn: &mut PgConnection,
    rules: &Rules,
    facts: &HashMap<String, IssueFacts>,
    changes: &[(&StoredEvent, Change)],
) -> Result<HashMap<i64, Box<Occurrence>>, ProjectionError> {
    if rules.is_empty() {
        return Ok(HashMap::new());
    }
    let mut place_of: HashMap<&str, (i64, i64)> = facts
        .iter()
        .map(|(stream, f)| (stream.as_str(), (f.org_id, f.project_id)))
        .collect();
    let mut watched = Vec::new();
    for (event, change) in changes {
        match change {
            Change::Created(created) => {
                place_of.insert(
                    event.aggregate_id.as_str(),
                    (created.org_id, created.project_id),
                );
            }
            Change::Ingested => {
                if let Some((organization, project)) = place_of
                    .get(event.aggregate_id.as_str())
                    .filter(|(_, project)| rules.watches(*project))
                {
                    watched.push((*organization, *project, event.position));
                }
            }
            _ => {}
        }
    }
    let rows: Vec<StoredEvent> = log_keys::read(
        conn,
        "position, tx_id::text::bigint AS tx_id, aggregate_type, aggregate_id, sequence,
         event_type, event_version,
         CASE WHEN body IS NULL THEN payload #- '{EventIngested,data}' ELSE payload END
           AS payload,
         NULL::bytea AS body, 'null'::jsonb AS metadata, recorded_at, organization_id",
        watched,
    )
    .await?;
    let mut heads = HashMap::with_capacity(rows.len());
    for row in rows {
        if let IssueEvent::EventIngested(occurrence) = row.decode::<IssueEvent>()? {
            heads.insert(row.position, occurrence);
        }
    }
    Ok(heads)
}

/// Triggers waiting for their stream's next ingested event, and where the last of
/// them sits in the log.
struct Waiting {
    triggers: Vec<Trigger>,
    position: i64,
    at: DateTime<Utc>,
}

fn wait(pending: &mut HashMap<String, Waiting>, event: &StoredEvent, trigger: Trigger) {
    let waiting = pending
        .entry(event.aggregate_id.clone())
        .or_insert_with(|| Waiting {
            triggers: Vec::new(),
            position: event.position,
            at: event.recorded_at,
        });
    waiting.triggers.push(trigger);
    waiting.position = event.position;
    waiting.at = event.recorded_at;
}

/// Upserts the run's issues and forgets the deleted ones.
async fn write_facts(
    conn: &mut PgConnection,
    org: i64,
    facts: impl Iterator<Item = &IssueFacts>,
    deleted: &HashSet<String>,
) -> Result<(), ProjectionError> {
    let rows: Vec<&IssueFacts> = facts.collect();
    sqlx::query(
        "INSERT INTO alert_issues (stream_id, issue_id, project_id, org_id, short_number,
                                   title, culprit, level, first_seen, times_seen, assignee)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
                              $5::bigint[], $6::text[], $7::text[], $8::text[],
                              $9::timestamptz[], $10::bigint[], $11::text[])
         ON CONFLICT (stream_id, org_id) DO UPDATE
            SET times_seen = EXCLUDED.times_seen, assignee = EXCLUDED.assignee",
    )
    .bind(
        rows.iter()
            .map(|f| f.stream_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|f| f.issue_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.project_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.org_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.short_number).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.title.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.culprit.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.level.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.first_seen).collect::<Vec<_>>())
    .bind(rows.iter().map(|f| f.times_seen).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|f| f.assignee.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    if !deleted.is_empty() {
        let deleted: Vec<&str> = deleted.iter().map(String::as_str).collect();
        sqlx::query(
            "WITH gone AS (DELETE FROM alert_issues WHERE org_id = $2 AND stream_id = ANY($1))
             DELETE FROM alert_issue_minutes WHERE org_id = $2 AND stream_id = ANY($1)",
        )
        .bind(&deleted)
        .bind(org)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
