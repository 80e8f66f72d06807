//! Queries over the issue read models. Every lookup from a request takes the
//! organization (and project) the issue or event must belong to. The issue lists are
//! searches: see [`super::search`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

pub use crate::accounts::queries::{Page, Paged};

use super::accounts::{team_slugs, users, with_projects};

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
    /// The project's slug (from the accounts, filled in after the issue is read).
    #[sqlx(default)]
    pub project_slug: String,
    /// The project's name.
    #[sqlx(default)]
    pub project_name: String,
    /// The project's platform.
    #[sqlx(default)]
    pub project_platform: Option<String>,
    /// The issue aggregate's stream id.
    pub stream_id: String,
    /// Sentry's `statusDetails`.
    pub status_details: Value,
    /// Shared publicly.
    pub is_public: bool,
    /// Comments.
    pub num_comments: i64,
    /// The assigned user, if any.
    pub assignee_user_id: Option<i64>,
    /// The assigned team, if any.
    pub assignee_team_id: Option<i64>,
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
            i.stream_id, i.status_details, i.is_public, i.num_comments,
            i.assignee_user_id, i.assignee_team_id
       FROM issues i"
);

/// The statement of [`get`] (`$1` the organization, `$2` the issue): shown for
/// `EXPLAIN` in the Citus tests.
pub fn issue_sql() -> String {
    format!("{SELECT_ISSUE} WHERE i.org_id = $1 AND i.id = $2")
}

/// Issue `id` of organization `org_id`.
pub async fn get(pool: &PgPool, org_id: i64, id: i64) -> Result<Option<IssueRow>, sqlx::Error> {
    let row = sqlx::query_as(&issue_sql())
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(with_projects(pool, Vec::from_iter(row)).await?.pop())
}

/// Issues `ids` of organization `org_id` (and of `project_id` when given); ids of
/// other organizations or projects are left out.
pub async fn by_ids(
    pool: &PgPool,
    org_id: i64,
    project_id: Option<i64>,
    ids: &[i64],
) -> Result<Vec<IssueRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT_ISSUE} WHERE i.org_id = $1 AND ($2::bigint IS NULL OR i.project_id = $2)
            AND i.id = ANY($3) ORDER BY i.id"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    with_projects(pool, rows).await
}

/// What one user sees of an issue's workflow: their bookmark, subscription and
/// whether they saw its latest event, and who it is assigned to.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ViewerState {
    /// Issue.
    pub issue_id: i64,
    /// Bookmarked by the viewer.
    pub is_bookmarked: bool,
    /// The viewer subscribed.
    pub is_subscribed: bool,
    /// The viewer saw the issue since its last event.
    pub has_seen: bool,
    /// The assigned user's email.
    #[sqlx(default)]
    pub assignee_email: Option<String>,
    /// The assigned user's name.
    #[sqlx(default)]
    pub assignee_name: Option<String>,
    /// The assigned team's slug.
    #[sqlx(default)]
    pub assignee_team_slug: Option<String>,
    /// The assigned user.
    #[sqlx(default)]
    assignee_user_id: Option<i64>,
    /// The assigned team.
    #[sqlx(default)]
    assignee_team_id: Option<i64>,
}

/// The workflow state of issues `ids` of organization `org_id` as `user_id` sees it.
pub async fn viewer_states(
    pool: &PgPool,
    org_id: i64,
    ids: &[i64],
    user_id: i64,
) -> Result<Vec<ViewerState>, sqlx::Error> {
    let mut states: Vec<ViewerState> = sqlx::query_as(
        "SELECT i.id AS issue_id,
                EXISTS (SELECT 1 FROM issue_bookmarks b
                         WHERE b.issue_id = i.id AND b.user_id = $2 AND b.org_id = $3)
                    AS is_bookmarked,
                coalesce((SELECT s.subscribed FROM issue_subscriptions s
                           WHERE s.issue_id = i.id AND s.user_id = $2 AND s.org_id = $3),
                         false) AS is_subscribed,
                coalesce((SELECT v.seen_at >= i.last_seen FROM issue_seen v
                           WHERE v.issue_id = i.id AND v.user_id = $2 AND v.org_id = $3),
                         false) AS has_seen,
                i.assignee_user_id, i.assignee_team_id
           FROM issues i
          WHERE i.id = ANY($1) AND i.org_id = $3",
    )
    .bind(ids)
    .bind(user_id)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let users = users(pool, states.iter().filter_map(|s| s.assignee_user_id)).await?;
    let teams = team_slugs(pool, states.iter().filter_map(|s| s.assignee_team_id)).await?;
    for state in &mut states {
        if let Some((email, name)) = state.assignee_user_id.and_then(|id| users.get(&id)) {
            state.assignee_email = Some(email.clone());
            state.assignee_name = Some(name.clone());
        }
        state.assignee_team_slug = state
            .assignee_team_id
            .and_then(|id| teams.get(&id).cloned());
    }
    Ok(states)
}

/// One entry of an issue's activity feed, with its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    /// Id (the event's log position).
    pub id: i64,
    /// Sentry's activity type (`set_resolved`, `note`, ...).
    pub kind: String,
    /// Type-specific data.
    pub data: Value,
    /// The acting user.
    pub user_id: Option<i64>,
    /// Their email.
    #[sqlx(default)]
    pub user_email: Option<String>,
    /// Their name.
    #[sqlx(default)]
    pub user_name: Option<String>,
    /// When.
    pub date_created: DateTime<Utc>,
}

/// The activity of issue `issue_id` of organization `org_id`, newest first.
pub async fn activity(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
) -> Result<Vec<ActivityRow>, sqlx::Error> {
    let mut rows: Vec<ActivityRow> = sqlx::query_as(
        "SELECT a.id, a.type AS kind, a.data, a.user_id, a.date_created
           FROM issue_activity a
          WHERE a.issue_id = $1 AND a.org_id = $2 ORDER BY a.date_created DESC, a.id DESC",
    )
    .bind(issue_id)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let users = users(pool, rows.iter().filter_map(|row| row.user_id)).await?;
    for row in &mut rows {
        if let Some((email, name)) = row.user_id.and_then(|id| users.get(&id)) {
            row.user_email = Some(email.clone());
            row.user_name = Some(name.clone());
        }
    }
    Ok(rows)
}

/// A comment with its author.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    /// Id.
    pub id: i64,
    /// Issue.
    pub issue_id: i64,
    /// Author.
    pub user_id: i64,
    /// Author's email.
    #[sqlx(default)]
    pub user_email: Option<String>,
    /// Author's name.
    #[sqlx(default)]
    pub user_name: Option<String>,
    /// Text.
    pub text: String,
    /// When written.
    pub date_created: DateTime<Utc>,
}

const SELECT_COMMENT: &str =
    "SELECT c.id, c.issue_id, c.user_id, c.text, c.date_created FROM issue_comments c";

/// `rows` with their authors' email and name.
async fn with_authors(
    pool: &PgPool,
    mut rows: Vec<CommentRow>,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let users = users(pool, rows.iter().map(|row| row.user_id)).await?;
    for row in &mut rows {
        if let Some((email, name)) = users.get(&row.user_id) {
            row.user_email = Some(email.clone());
            row.user_name = Some(name.clone());
        }
    }
    Ok(rows)
}

/// The comments of issue `issue_id` of organization `org_id`, newest first.
pub async fn comments(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT_COMMENT} WHERE c.issue_id = $1 AND c.org_id = $2
          ORDER BY c.date_created DESC, c.id DESC"
    ))
    .bind(issue_id)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    with_authors(pool, rows).await
}

/// Comment `id` of issue `issue_id` of organization `org_id`.
pub async fn comment(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
    id: i64,
) -> Result<Option<CommentRow>, sqlx::Error> {
    let row = sqlx::query_as(&format!(
        "{SELECT_COMMENT} WHERE c.issue_id = $1 AND c.id = $2 AND c.org_id = $3"
    ))
    .bind(issue_id)
    .bind(id)
    .bind(org_id)
    .fetch_optional(pool)
    .await?;
    Ok(with_authors(pool, Vec::from_iter(row)).await?.pop())
}

/// The user of organization `org_id` named by `name` (a user id, an email or a
/// username, which is the email), if they are a member.
pub async fn member_user(
    pool: &PgPool,
    org_id: i64,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT m.user_id FROM members m
          WHERE m.org_id = $1 AND (m.user_id::text = $2 OR lower(m.email) = lower($2))
          ORDER BY m.user_id LIMIT 1",
    )
    .bind(org_id)
    .bind(name)
    .fetch_optional(pool)
    .await
}

/// Whether team `team_id` belongs to organization `org_id`.
pub async fn team_in_org(pool: &PgPool, org_id: i64, team_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM teams WHERE org_id = $1 AND id = $2)")
        .bind(org_id)
        .bind(team_id)
        .fetch_one(pool)
        .await
}

/// The release most recently seen in project `project_id` of organization `org_id`,
/// if any.
pub async fn latest_release(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT v.value FROM issue_tag_values v
           JOIN issues i ON i.id = v.issue_id AND i.org_id = v.org_id
          WHERE i.project_id = $1 AND v.key = 'release' AND v.org_id = $2 AND i.org_id = $2
          ORDER BY v.last_seen DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(org_id)
    .fetch_optional(pool)
    .await
}

/// The organization issue `id` belongs to (for routes that name no organization; the
/// caller's access to it is checked next). It names no organization: on Citus it
/// asks every worker, so it serves only callers who may see every organization.
pub async fn org_of(pool: &PgPool, id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT org_id FROM issues WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Which of `candidates` issue `id` belongs to, asked one organization at a time:
/// on Citus each question goes to the one worker that holds that organization.
pub async fn org_among(
    pool: &PgPool,
    id: i64,
    candidates: &[i64],
) -> Result<Option<i64>, sqlx::Error> {
    for &org_id in candidates {
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM issues WHERE org_id = $1 AND id = $2)",
        )
        .bind(org_id)
        .bind(id)
        .fetch_one(pool)
        .await?;
        if found {
            return Ok(Some(org_id));
        }
    }
    Ok(None)
}

/// The stream and status of the issue event `event_id` of project `project_id` of
/// organization `org_id` is in.
pub async fn issue_of_event(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    event_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.stream_id, i.status FROM issue_events e
           JOIN issues i ON i.id = e.issue_id AND i.org_id = e.org_id
          WHERE e.project_id = $1 AND e.event_id = $2 AND e.org_id = $3 AND i.org_id = $3",
    )
    .bind(project_id)
    .bind(event_id)
    .bind(org_id)
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
    /// Organization.
    pub org_id: i64,
    /// Log position.
    pub position: i64,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// When it arrived.
    pub received: DateTime<Utc>,
    /// The stored `IssueEvent`, in the shape of `event_version`.
    pub payload: Value,
    /// Its stored version.
    pub event_version: String,
    /// The row's `body` column (see `faultline_domain::upcast::current_of_row`).
    pub body: Option<Vec<u8>>,
}

impl EventRow {
    /// The stored event in the current shape, its body put back.
    pub fn current_payload(&self) -> Value {
        faultline_domain::upcast::current_of_row(
            "issue",
            "EventIngested",
            &self.event_version,
            self.payload.clone(),
            self.body.as_deref(),
        )
    }
}

/// An issue's events joined with their rows of the log: `$1` is the organization,
/// which names the log's partition, so that on Citus the read goes to the one worker
/// that holds it (and answers while another worker is down).
const SELECT_EVENT: &str =
    "SELECT ie.event_id, ie.project_id, ie.issue_id, ie.org_id, ie.position, ie.timestamp, ie.received,
            e.payload, e.event_version, e.body
       FROM issue_events ie
       JOIN ingested_events e ON e.organization_id = $1
                             AND e.project_id = ie.project_id AND e.position = ie.position
                             AND (e.body IS NOT NULL OR e.event_version <> '4.0')
      WHERE ie.org_id = $1";

/// The events of issue `issue_id` of organization `org_id` (already scoped by the
/// caller), newest first.
pub async fn events_of_issue(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
    page: Page,
) -> Result<Paged<EventRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT_EVENT} AND ie.issue_id = $2
          ORDER BY ie.timestamp DESC, ie.position DESC LIMIT $3 OFFSET $4"
    ))
    .bind(org_id)
    .bind(issue_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The statement of [`latest_event`] (`$1` the organization, `$2` the issue): shown
/// for `EXPLAIN` in the Citus tests.
pub fn latest_event_sql() -> String {
    format!(
        "{SELECT_EVENT} AND ie.issue_id = $2 ORDER BY ie.timestamp DESC, ie.position DESC LIMIT 1"
    )
}

/// The newest event of issue `issue_id` of organization `org_id`.
pub async fn latest_event(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&latest_event_sql())
        .bind(org_id)
        .bind(issue_id)
        .fetch_optional(pool)
        .await
}

/// The oldest event of issue `issue_id` of organization `org_id`.
pub async fn oldest_event(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} AND ie.issue_id = $2 ORDER BY ie.timestamp, ie.position LIMIT 1"
    ))
    .bind(org_id)
    .bind(issue_id)
    .fetch_optional(pool)
    .await
}

/// Event `event_id` of issue `issue_id` of organization `org_id`.
pub async fn event_of_issue(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
    event_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} AND ie.issue_id = $2 AND ie.event_id = $3"
    ))
    .bind(org_id)
    .bind(issue_id)
    .bind(event_id)
    .fetch_optional(pool)
    .await
}

/// Event `event_id` of project `project_id` of organization `org_id` (already
/// scoped by the caller).
pub async fn event_in_project(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    event_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_EVENT} AND ie.project_id = $2 AND ie.event_id = $3"
    ))
    .bind(org_id)
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
          WHERE issue_id = $1 AND (timestamp, position) < ($2, $3) AND org_id = $4
          ORDER BY timestamp DESC, position DESC LIMIT 1",
    )
    .bind(event.issue_id)
    .bind(event.timestamp)
    .bind(event.position)
    .bind(event.org_id)
    .fetch_optional(pool);
    let next = sqlx::query_scalar(
        "SELECT event_id FROM issue_events
          WHERE issue_id = $1 AND (timestamp, position) > ($2, $3) AND org_id = $4
          ORDER BY timestamp, position LIMIT 1",
    )
    .bind(event.issue_id)
    .bind(event.timestamp)
    .bind(event.position)
    .bind(event.org_id)
    .fetch_optional(pool);
    // Two connections at once: an event read waits for one round trip here, not two.
    tokio::try_join!(previous, next)
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

/// The tag keys of issue `issue_id` of organization `org_id`, by key, each with its
/// `top` most frequent values; only `keys` when given.
pub async fn tag_keys(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
    keys: Option<&[String]>,
    top: i64,
) -> Result<Vec<TagKeyRow>, sqlx::Error> {
    let totals = sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT key, sum(times_seen)::bigint, count(*) FROM issue_tag_values
          WHERE issue_id = $1 AND ($2::text[] IS NULL OR key = ANY($2)) AND org_id = $3
          GROUP BY key ORDER BY key",
    )
    .bind(issue_id)
    .bind(keys)
    .bind(org_id)
    .fetch_all(pool);
    let values = sqlx::query_as::<_, TagValueRow>(
        "SELECT key, value, times_seen, first_seen, last_seen FROM (
             SELECT *, row_number() OVER (PARTITION BY key ORDER BY times_seen DESC, value) AS rank
               FROM issue_tag_values
              WHERE issue_id = $1 AND ($2::text[] IS NULL OR key = ANY($2))
                AND org_id = $4) AS ranked
          WHERE rank <= $3
          ORDER BY key, times_seen DESC, value",
    )
    .bind(issue_id)
    .bind(keys)
    .bind(top)
    .bind(org_id)
    .fetch_all(pool);
    // Two connections at once: a request waits for one round trip, not two.
    let (totals, values) = tokio::try_join!(totals, values)?;
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

/// The values of tag `key` on issue `issue_id` of organization `org_id`, most
/// frequent first.
pub async fn tag_values(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
    key: &str,
    page: Page,
) -> Result<Paged<TagValueRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tag_values
          WHERE issue_id = $1 AND key = $2 AND org_id = $5
          ORDER BY times_seen DESC, value LIMIT $3 OFFSET $4",
    )
    .bind(issue_id)
    .bind(key)
    .bind(page.limit + 1)
    .bind(page.offset)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The `release` tag values of issue `issue_id` of organization `org_id` seen first
/// and seen last: its first and last release.
pub async fn first_and_last_release(
    pool: &PgPool,
    org_id: i64,
    issue_id: i64,
) -> Result<(Option<TagValueRow>, Option<TagValueRow>), sqlx::Error> {
    let select = |order: &str| {
        format!(
            "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tag_values
              WHERE issue_id = $1 AND key = 'release' AND org_id = $2
              ORDER BY {order} LIMIT 1"
        )
    };
    let first = sqlx::query_as(&select("first_seen, value"))
        .bind(issue_id)
        .bind(org_id)
        .fetch_optional(pool)
        .await?;
    let last = sqlx::query_as(&select("last_seen DESC, value DESC"))
        .bind(issue_id)
        .bind(org_id)
        .fetch_optional(pool)
        .await?;
    Ok((first, last))
}
