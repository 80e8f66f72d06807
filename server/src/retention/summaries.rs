//! What a partition's rows added, recorded in their permanent streams before the
//! partition is dropped (`super::drop`): each issue stream's occurrences
//! (`OccurrencesSummarized`), each monitor stream's state after its check-ins
//! (`CheckInsSummarized`). Both by the system actor `retention`; a stream already
//! summarized that far decides nothing, so a pass that stopped before the drop can run
//! again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use faultline_commands::{CommandBus, CommandError};
use faultline_domain::issue::{Issue, IssueCommand, IssueEvent, SummaryBuilder, SummaryPart};
use faultline_domain::metadata::EventMetadata;
use faultline_domain::monitor::{Monitor, MonitorCommand};
use futures::TryStreamExt;
use sqlx::PgPool;

use super::drop::{Partition, ISSUE_ROWS, MONITOR_ROWS};
use faultline_projections::sql::identifier as quote;

/// The streams with rows in `partition` that match `rows` (literal SQL), each with
/// its organization: the partition of the log its commands load from.
async fn streams_in(
    pool: &PgPool,
    partition: &Partition,
    rows: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT DISTINCT aggregate_id, organization_id FROM {} WHERE {rows}",
        quote(&partition.name)
    ))
    .fetch_all(pool)
    .await
}

/// Records, for every monitor stream with check-ins in `partition`, the state they
/// led to; returns how many streams were summarized.
pub(super) async fn summarize_monitors(
    pool: &PgPool,
    bus: &CommandBus,
    partition: &Partition,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let metadata = EventMetadata::system("retention", now);
    let streams = streams_in(pool, partition, MONITOR_ROWS).await?;
    let mut summarized = 0;
    for (stream, organization) in streams {
        let command = MonitorCommand::SummarizeCheckIns {
            from: partition.lower,
            below: partition.upper,
            at: now,
        };
        let committed = bus
            .execute_in::<Monitor>(Some(organization), &stream, command, &metadata)
            .await?;
        // Nothing new when an earlier pass summarized it and stopped before the drop.
        if !committed.events.is_empty() {
            summarized += 1;
        }
    }
    Ok(summarized)
}

/// Records, for every issue stream with occurrences in `partition`, what they added;
/// returns how many streams were summarized.
pub(super) async fn summarize_issues(
    pool: &PgPool,
    bus: &CommandBus,
    partition: &Partition,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let metadata = EventMetadata::system("retention", now);
    let streams = streams_in(pool, partition, ISSUE_ROWS).await?;
    let mut summarized = 0;
    for (stream, organization) in streams {
        let Some((project_id, parts)) = parts_of(pool, partition, &stream).await? else {
            continue;
        };
        let command = IssueCommand::SummarizeOccurrences {
            below: partition.upper,
            project_id,
            parts,
            at: now,
        };
        match bus
            .execute_in::<Issue>(Some(organization), &stream, command, &metadata)
            .await
        {
            // Nothing new when an earlier pass summarized it and stopped before the drop.
            Ok(committed) if committed.events.is_empty() => {}
            Ok(_) => summarized += 1,
            Err(CommandError::Refused(refusal)) => {
                tracing::debug!(stream, %refusal, "stream not summarized");
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(summarized)
}

/// The summaries of one stream's occurrences in `partition`, per issue they count in:
/// each occurrence belongs to the issue created last before it on the stream (a
/// deleted issue's fingerprint opens a new one there), and the stream's current issue
/// counts in the primary it was merged into, if it was.
async fn parts_of(
    pool: &PgPool,
    partition: &Partition,
    stream: &str,
) -> anyhow::Result<Option<(i64, Vec<SummaryPart>)>> {
    let created: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT sequence, (payload -> 'IssueCreated' ->> 'issue_id')::bigint,
                (payload -> 'IssueCreated' ->> 'project_id')::bigint
           FROM events
          WHERE aggregate_type = 'issue' AND aggregate_id = $1 AND event_type = 'IssueCreated'
          ORDER BY sequence",
    )
    .bind(stream)
    .fetch_all(pool)
    .await?;
    let Some(&(_, _, project_id)) = created.first() else {
        return Ok(None);
    };
    let mut builders: HashMap<usize, SummaryBuilder> = HashMap::new();
    let sql = format!(
        "SELECT sequence, event_version, payload #- '{{EventIngested,data}}'
           FROM {} WHERE aggregate_type = 'issue' AND aggregate_id = $1 ORDER BY sequence",
        quote(&partition.name)
    );
    let mut rows = sqlx::query_as::<_, (i64, String, serde_json::Value)>(&sql)
        .bind(stream)
        .fetch(pool);
    while let Some((sequence, version, payload)) = rows.try_next().await? {
        let current = faultline_domain::upcast::current_of_row(
            "issue",
            "EventIngested",
            &version,
            payload,
            None,
        );
        let IssueEvent::EventIngested(occurrence) = serde_json::from_value(current)? else {
            continue;
        };
        let incarnation = created
            .iter()
            .rposition(|(created_at, _, _)| *created_at < sequence)
            .unwrap_or(0);
        builders.entry(incarnation).or_default().add(&occurrence);
    }
    drop(rows);
    let primary = primary_of(pool, stream).await?;
    let latest = created.len() - 1;
    let mut parts: Vec<(usize, SummaryPart)> = Vec::new();
    for (incarnation, builder) in builders {
        let Some(summary) = builder.finish() else {
            continue;
        };
        let issue_id = match primary {
            Some(primary) if incarnation == latest => primary,
            _ => created[incarnation].1,
        };
        parts.push((incarnation, SummaryPart { issue_id, summary }));
    }
    parts.sort_by_key(|(incarnation, _)| *incarnation);
    Ok(Some((
        project_id,
        parts.into_iter().map(|(_, part)| part).collect(),
    )))
}

/// The issue a merged stream's events count in: the end of its chain of merges.
async fn primary_of(pool: &PgPool, stream: &str) -> Result<Option<i64>, sqlx::Error> {
    let mut primary = None;
    let mut current = stream.to_owned();
    for _ in 0..16 {
        let merged: Option<(i64, String)> = sqlx::query_as(
            "SELECT (payload -> 'IssueMerged' ->> 'into_issue_id')::bigint,
                    payload -> 'IssueMerged' ->> 'into_stream'
               FROM events
              WHERE aggregate_type = 'issue' AND aggregate_id = $1
                AND event_type = 'IssueMerged'
              ORDER BY sequence DESC LIMIT 1",
        )
        .bind(&current)
        .fetch_optional(pool)
        .await?;
        let Some((into_issue_id, into_stream)) = merged else {
            break;
        };
        primary = Some(into_issue_id);
        current = into_stream;
    }
    Ok(primary)
}
