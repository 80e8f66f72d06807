//! Queries over the issue read models. Every lookup from a request takes the
//! organization (and project) the issue or event must belong to. The issue lists are
//! searches: see [`super::search`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

pub use crate::accounts::queries::{Page, Paged};

/// An issue with its project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssueRow {
    /// Numeric id.
    pub id: i64,
    /// Project.
    pub project_id: i64,
    /// Organization.
    pub org_id: i64,
    /// Number within the project.
    pub short_number: i64,
    /// Grouping hash.
    pub hash: String,
    /// Title.
    pub title: String,
    /// Culprit.
    pub culprit: String,
    /// Metadata.
    pub metadata: Value,
    /// `error` or `default`.
    pub issue_type: String,
    /// Level of the latest event.
    pub level: String,
    /// Platform.
    pub platform: String,
    /// `unresolved`, `resolved` or `ignored`.
    pub status: String,
    /// `new`, `ongoing`, `regressed`, ... (`new` turns `ongoing` 7 days after first seen).
    pub substatus: Option<String>,
    /// First event.
    pub first_seen: DateTime<Utc>,
    /// Last event.
    pub last_seen: DateTime<Utc>,
    /// Event count.
    pub times_seen: i64,
    /// Distinct users.
    pub user_count: i64,
    /// The project's slug.
    pub project_slug: String,
    /// The project's name.
    pub project_name: String,
    /// The project's platform.
    pub project_platform: Option<String>,
}

/// The rule for a stored NULL substatus: an unresolved issue is `new` while this holds
/// and `ongoing` after. Shared by the read queries and the search filters so that
/// `is:new` lists exactly the issues shown as `new`.
macro_rules! first_seen_is_new {
    () => {
        "i.first_seen > now() - interval '7 days'"
    };
}
pub(crate) use first_seen_is_new;

pub(crate) const SELECT_ISSUE: &str = concat!(
    "SELECT i.id, i.project_id, i.org_id, i.short_number, i.hash, i.title, i.culprit,
            i.metadata, i.issue_type, i.level, i.platform, i.status,
            coalesce(i.substatus, CASE WHEN i.status = 'unresolved' THEN
                CASE WHEN ",
    first_seen_is_new!(),
    " THEN 'new' ELSE 'ongoing' END
            END) AS substatus,
            i.first_seen, i.last_seen, i.times_seen, i.user_count,
            p.slug AS project_slug, p.name AS project_name, p.platform AS project_platform
       FROM issues i JOIN projects p ON p.id = i.project_id"
);

/// Issue `id` of organization `org_id`.
pub async fn get(pool: &PgPool, org_id: i64, id: i64) -> Result<Option<IssueRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_ISSUE} WHERE i.org_id = $1 AND i.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The organization issue `id` belongs to (for routes that name no organization; the
/// caller's access to it is checked next).
pub async fn org_of(pool: &PgPool, id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT org_id FROM issues WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// One accepted event, with its log payload (`{"EventIngested": {...}}`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// 32 lowercase hex.
    pub event_id: String,
    /// Project.
    pub project_id: i64,
    /// Issue.
    pub issue_id: i64,
    /// Log position.
    pub position: i64,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// When it arrived.
    pub received: DateTime<Utc>,
    /// The stored `IssueEvent`.
    pub payload: Value,
}

const SELECT_EVENT: &str =
    "SELECT ie.event_id, ie.project_id, ie.issue_id, ie.position, ie.timestamp, ie.received,
            e.payload
       FROM issue_events ie JOIN events e ON e.position = ie.position";

/// The events of issue `issue_id` (already scoped by the caller), newest first.
pub async fn events_of_issue(
    pool: &PgPool,
    issue_id: i64,
    page: Page,
) -> Result<Paged<EventRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT_EVENT} WHERE ie.issue_id = $1
          ORDER BY ie.timestamp DESC, ie.position DESC LIMIT $2 OFFSET $3"
    ))
    .bind(issue_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The newest event of issue `issue_id`.
pub async fn latest_event(pool: &PgPool, issue_id: i64) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} WHERE ie.issue_id = $1 ORDER BY ie.timestamp DESC, ie.position DESC LIMIT 1"
    ))
    .bind(issue_id)
    .fetch_optional(pool)
    .await
}

/// The oldest event of issue `issue_id`.
pub async fn oldest_event(pool: &PgPool, issue_id: i64) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} WHERE ie.issue_id = $1 ORDER BY ie.timestamp, ie.position LIMIT 1"
    ))
    .bind(issue_id)
    .fetch_optional(pool)
    .await
}

/// Event `event_id` of issue `issue_id`.
pub async fn event_of_issue(
    pool: &PgPool,
    issue_id: i64,
    event_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} WHERE ie.issue_id = $1 AND ie.event_id = $2"
    ))
    .bind(issue_id)
    .bind(event_id)
    .fetch_optional(pool)
    .await
}

/// Event `event_id` of project `project_id` (already scoped to the organization).
pub async fn event_in_project(
    pool: &PgPool,
    project_id: i64,
    event_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} WHERE ie.project_id = $1 AND ie.event_id = $2"
    ))
    .bind(project_id)
    .bind(event_id)
    .fetch_optional(pool)
    .await
}

/// The ids of the events just before (older) and after (newer) `event` in its issue.
pub async fn neighbours(
    pool: &PgPool,
    event: &EventRow,
) -> Result<(Option<String>, Option<String>), sqlx::Error> {
    let previous = sqlx::query_scalar(
        "SELECT event_id FROM issue_events
          WHERE issue_id = $1 AND (timestamp, position) < ($2, $3)
          ORDER BY timestamp DESC, position DESC LIMIT 1",
    )
    .bind(event.issue_id)
    .bind(event.timestamp)
    .bind(event.position)
    .fetch_optional(pool)
    .await?;
    let next = sqlx::query_scalar(
        "SELECT event_id FROM issue_events
          WHERE issue_id = $1 AND (timestamp, position) > ($2, $3)
          ORDER BY timestamp, position LIMIT 1",
    )
    .bind(event.issue_id)
    .bind(event.timestamp)
    .bind(event.position)
    .fetch_optional(pool)
    .await?;
    Ok((previous, next))
}

/// How often one tag value was seen on an issue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagValueRow {
    /// Tag key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Events with this value.
    pub times_seen: i64,
    /// First event with it.
    pub first_seen: DateTime<Utc>,
    /// Last event with it.
    pub last_seen: DateTime<Utc>,
}

/// A tag key of an issue with its most frequent values.
#[derive(Debug, Clone)]
pub struct TagKeyRow {
    /// Tag key.
    pub key: String,
    /// Events carrying the key.
    pub total_values: i64,
    /// Distinct values.
    pub unique_values: i64,
    /// The most frequent values, most frequent first.
    pub top_values: Vec<TagValueRow>,
}

/// The tag keys of issue `issue_id` (already scoped), by key, each with its `top`
/// most frequent values; only `keys` when given.
pub async fn tag_keys(
    pool: &PgPool,
    issue_id: i64,
    keys: Option<&[String]>,
    top: i64,
) -> Result<Vec<TagKeyRow>, sqlx::Error> {
    let totals: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT key, sum(times_seen)::bigint, count(*) FROM issue_tag_values
          WHERE issue_id = $1 AND ($2::text[] IS NULL OR key = ANY($2))
          GROUP BY key ORDER BY key",
    )
    .bind(issue_id)
    .bind(keys)
    .fetch_all(pool)
    .await?;
    let values: Vec<TagValueRow> = sqlx::query_as(
        "SELECT key, value, times_seen, first_seen, last_seen FROM (
             SELECT *, row_number() OVER (PARTITION BY key ORDER BY times_seen DESC, value) AS rank
               FROM issue_tag_values
              WHERE issue_id = $1 AND ($2::text[] IS NULL OR key = ANY($2))) AS ranked
          WHERE rank <= $3
          ORDER BY key, times_seen DESC, value",
    )
    .bind(issue_id)
    .bind(keys)
    .bind(top)
    .fetch_all(pool)
    .await?;
    let mut values = values.into_iter().peekable();
    Ok(totals
        .into_iter()
        .map(|(key, total_values, unique_values)| {
            let mut top_values = Vec::new();
            while let Some(value) = values.next_if(|v| v.key == key) {
                top_values.push(value);
            }
            TagKeyRow {
                key,
                total_values,
                unique_values,
                top_values,
            }
        })
        .collect())
}

/// The values of tag `key` on issue `issue_id` (already scoped), most frequent first.
pub async fn tag_values(
    pool: &PgPool,
    issue_id: i64,
    key: &str,
    page: Page,
) -> Result<Paged<TagValueRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tag_values
          WHERE issue_id = $1 AND key = $2
          ORDER BY times_seen DESC, value LIMIT $3 OFFSET $4",
    )
    .bind(issue_id)
    .bind(key)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
