//! Issues whose time-based state is due (read by the scheduler).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Streams of ignored issues (of `organization`, or of every organization) whose
/// ignore duration ended by `now`, at most `limit`.
pub async fn expired_ignores(
    pool: &PgPool,
    organization: Option<i64>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    // A separate statement for one organization, naming it as a value: on Citus that
    // is what keeps the read on its worker.
    let scope = match organization {
        Some(_) => "org_id = $3 AND",
        None => "",
    };
    let query = format!(
        "SELECT stream_id, org_id FROM issues
          WHERE {scope} status = 'ignored'
            AND status_details ? 'ignoreUntil'
            AND jsonb_typeof(status_details->'ignoreUntil') = 'string'
            AND (status_details->>'ignoreUntil')::timestamptz <= $1
          ORDER BY id
          LIMIT $2"
    );
    let mut query = sqlx::query_as(&query).bind(now).bind(limit);
    if let Some(organization) = organization {
        query = query.bind(organization);
    }
    query.fetch_all(pool).await
}

/// An issue whose last event is older than its project's retention.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExpiredIssue {
    /// Its numeric id.
    pub id: i64,
    /// Its stream (the aggregate id).
    pub stream_id: String,
    /// Its organization's id: the partition of its stream.
    pub org_id: i64,
    /// Its organization's slug.
    pub org: String,
    /// Its project's slug.
    pub project: String,
    /// Its number in the project (`short_id`).
    pub short_number: i64,
    /// When its last event happened.
    pub last_seen: DateTime<Utc>,
    /// The retention it is past, in days.
    pub retention_days: i32,
}

/// Issues whose last event is older than their project's retention at `now` (the
/// project's own days, else `default_days`), oldest first, after `after` (the
/// `(last_seen, id)` of the last one a caller handled), at most `limit`.
///
/// The projects (accounts, on the coordinator under Citus) are read in a statement of
/// their own, their retentions bound to the read of the issues as a JSON map.
pub async fn expired_issues(
    pool: &PgPool,
    now: DateTime<Utc>,
    default_days: u32,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<ExpiredIssue>, sqlx::Error> {
    let projects: Vec<(i64, String, String, i32)> = sqlx::query_as(
        "SELECT p.id, o.slug, p.slug, coalesce(p.retention_days, $1)
           FROM projects p JOIN organizations o ON o.id = p.org_id",
    )
    .bind(default_days as i32)
    .fetch_all(pool)
    .await?;
    let retention_days: serde_json::Map<String, serde_json::Value> = projects
        .iter()
        .map(|(id, _, _, days)| (id.to_string(), (*days).into()))
        .collect();
    let projects: HashMap<i64, (String, String, i32)> = projects
        .into_iter()
        .map(|(id, org, project, days)| (id, (org, project, days)))
        .collect();
    let issues: Vec<(i64, String, i64, i64, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT i.id, i.stream_id, i.org_id, i.project_id, i.short_number, i.last_seen
           FROM issues i
          WHERE $2::jsonb ? i.project_id::text
            AND i.last_seen < $1 - make_interval(days => ($2::jsonb ->> i.project_id::text)::int)
            AND ($3::timestamptz IS NULL OR (i.last_seen, i.id) > ($3, $4))
          ORDER BY i.last_seen, i.id
          LIMIT $5",
    )
    .bind(now)
    .bind(serde_json::Value::Object(retention_days))
    .bind(after.map(|(at, _)| at))
    .bind(after.map_or(0, |(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(issues
        .into_iter()
        .filter_map(
            |(id, stream_id, org_id, project_id, short_number, last_seen)| {
                let (org, project, retention_days) = projects.get(&project_id)?.clone();
                Some(ExpiredIssue {
                    id,
                    stream_id,
                    org_id,
                    org,
                    project,
                    short_number,
                    last_seen,
                    retention_days,
                })
            },
        )
        .collect())
}
