//! Reads of the monitors read model: the API's lists and details, scoped by
//! organization (and project), and what the scheduler finds due.

use chrono::{DateTime, Utc};
use faultline_domain::monitor::MonitorConfig;
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::accounts::queries::{Page, Paged};

/// A monitor as the API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MonitorRow {
    /// Its id.
    pub monitor_id: Uuid,
    /// The organization.
    pub org_id: i64,
    /// The project its check-ins come to.
    pub project_id: i64,
    /// The stream the aggregate lives in.
    pub stream_id: String,
    /// The slug.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Whether failures open issues.
    pub is_muted: bool,
    /// `user:<id>` or `team:<id>`.
    pub owner: Option<String>,
    /// Schedule, margins and thresholds.
    pub config: Json<MonitorConfig>,
    /// When it was created.
    pub date_created: DateTime<Utc>,
}

/// One environment of a monitor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnvironmentRow {
    /// The monitor.
    pub monitor_id: Uuid,
    /// The environment's name.
    pub name: String,
    /// `active`, `ok` or `error`.
    pub status: String,
    /// Its first check-in.
    pub date_created: DateTime<Utc>,
    /// Its last check-in that was not a missed one.
    pub last_check_in: Option<DateTime<Utc>>,
    /// When the next check-in is expected.
    pub next_check_in: Option<DateTime<Utc>>,
    /// When the next check-in counts as missed.
    pub next_check_in_latest: Option<DateTime<Utc>>,
    /// The open incident's number.
    pub incident: Option<i32>,
    /// When the open incident started.
    pub incident_started: Option<DateTime<Utc>>,
}

/// One check-in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckInRow {
    /// Its id.
    pub check_in_id: Uuid,
    /// The environment.
    pub environment: String,
    /// `in_progress`, `ok`, `error`, `missed` or `timeout`.
    pub status: String,
    /// How long the run took, in milliseconds.
    pub duration_ms: Option<i64>,
    /// When the run started (or, for a missed one, was expected).
    pub date_added: DateTime<Utc>,
    /// When the check-in last changed.
    pub date_updated: DateTime<Utc>,
    /// When it was reported in progress.
    pub date_in_progress: Option<DateTime<Utc>>,
    /// When the run was expected.
    pub expected_time: Option<DateTime<Utc>>,
    /// The monitor's config at the time.
    pub config: Json<MonitorConfig>,
}

const MONITOR: &str = "SELECT monitor_id, org_id, project_id, stream_id, slug, name, status,
                              is_muted, owner, config, date_created
                         FROM monitors";

/// The organization's monitors in `project_ids` (every project when empty), with a
/// check-in from one of `environments` (any when empty), by name.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    project_ids: &[i64],
    environments: &[String],
    page: Page,
) -> Result<Paged<MonitorRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{MONITOR} m
          WHERE m.org_id = $1
            AND (cardinality($2::bigint[]) = 0 OR m.project_id = ANY($2))
            AND (cardinality($3::text[]) = 0 OR EXISTS (
                   SELECT 1 FROM monitor_environments e
                    WHERE e.org_id = m.org_id AND e.monitor_id = m.monitor_id
                      AND e.name = ANY($3)))
          ORDER BY m.name, m.monitor_id
          LIMIT $4 OFFSET $5"
    ))
    .bind(org_id)
    .bind(project_ids)
    .bind(environments)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The organization's monitor with this slug or id.
pub async fn by_slug_or_id(
    pool: &PgPool,
    org_id: i64,
    slug_or_id: &str,
) -> Result<Option<MonitorRow>, sqlx::Error> {
    let id = Uuid::try_parse(slug_or_id).ok();
    sqlx::query_as(&format!(
        "{MONITOR} WHERE org_id = $1 AND (slug = $2 OR monitor_id = $3)
          ORDER BY slug = $2 DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(slug_or_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The environments of the organization's `monitor_ids`, by name.
pub async fn environments(
    pool: &PgPool,
    org_id: i64,
    monitor_ids: &[Uuid],
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT monitor_id, name, status, date_created, last_check_in, next_check_in,
                next_check_in_latest, incident, incident_started
           FROM monitor_environments
          WHERE org_id = $1 AND monitor_id = ANY($2)
          ORDER BY monitor_id, name",
    )
    .bind(org_id)
    .bind(monitor_ids)
    .fetch_all(pool)
    .await
}

/// The statement of [`check_ins`]: `$1` the monitor, `$2` the environments, `$3` and
/// `$4` limit and offset, `$5` the organization. Public for the tests of its plan.
pub const CHECK_INS_SQL: &str =
    "SELECT check_in_id, environment, status, duration_ms, date_added, date_updated,
            date_in_progress, expected_time, config
       FROM monitor_check_ins
      WHERE org_id = $5 AND monitor_id = $1
        AND (cardinality($2::text[]) = 0 OR environment = ANY($2))
      ORDER BY position DESC, check_in_id
      LIMIT $3 OFFSET $4";

/// The organization's monitor's check-ins in `environments` (all when empty), newest
/// first.
pub async fn check_ins(
    pool: &PgPool,
    org_id: i64,
    monitor_id: Uuid,
    environments: &[String],
    page: Page,
) -> Result<Paged<CheckInRow>, sqlx::Error> {
    let rows = sqlx::query_as(CHECK_INS_SQL)
        .bind(monitor_id)
        .bind(environments)
        .bind(page.limit + 1)
        .bind(page.offset)
        .bind(org_id)
        .fetch_all(pool)
        .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The condition that narrows the clock's reads to one organization: each of
/// `columns` equal to `$n` when `organization` names one, nothing otherwise (every
/// organization in one read). Every table of a read is narrowed, those of its
/// subqueries too: Citus routes a read to one worker only when each of its
/// distributed tables names the organization.
fn in_organization(organization: Option<i64>, columns: &[&str], n: usize) -> String {
    match organization {
        Some(_) => columns
            .iter()
            .map(|column| format!(" AND {column} = ${n}"))
            .collect(),
        None => String::new(),
    }
}

/// `query` with the organization bound last, when the read names one (its condition
/// from [`in_organization`]).
fn with_organization<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    organization: Option<i64>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    match organization {
        Some(organization) => query.bind(organization),
        None => query,
    }
}

/// A monitor environment whose next check-in is overdue at the clock's time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueMiss {
    /// The monitor's stream.
    pub stream_id: String,
    /// The environment.
    pub environment: String,
    /// The run that did not check in.
    pub next_check_in: DateTime<Utc>,
}

/// Active monitors' environments (of `organization`, or of all) whose next check-in
/// is missing past its margin at `now`, oldest first.
pub async fn due_misses(
    pool: &PgPool,
    organization: Option<i64>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueMiss>, sqlx::Error> {
    let sql = format!(
        "SELECT m.stream_id, e.name AS environment, e.next_check_in
           FROM monitor_environments e
           JOIN monitors m ON m.org_id = e.org_id AND m.monitor_id = e.monitor_id
          WHERE e.next_check_in_latest <= $1 AND m.status = 'active'
            AND e.next_check_in IS NOT NULL {}
          ORDER BY e.next_check_in_latest
          LIMIT $2",
        in_organization(organization, &["e.org_id", "m.org_id"], 3)
    );
    let query = sqlx::query_as(&sql).bind(now).bind(limit);
    with_organization(query, organization).fetch_all(pool).await
}

/// An `in_progress` check-in past its longest runtime.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueTimeout {
    /// The monitor's stream.
    pub stream_id: String,
    /// The environment.
    pub environment: String,
    /// The check-in.
    pub check_in_id: Uuid,
}

/// `in_progress` check-ins (of `organization`, or of all) whose runtime ran out at
/// `now`, oldest first.
pub async fn due_timeouts(
    pool: &PgPool,
    organization: Option<i64>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueTimeout>, sqlx::Error> {
    let sql = format!(
        "SELECT m.stream_id, c.environment, c.check_in_id
           FROM monitor_check_ins c
           JOIN monitors m ON m.org_id = c.org_id AND m.monitor_id = c.monitor_id
          WHERE c.timeout_at <= $1 {}
          ORDER BY c.timeout_at
          LIMIT $2",
        in_organization(organization, &["c.org_id", "m.org_id"], 3)
    );
    let query = sqlx::query_as(&sql).bind(now).bind(limit);
    with_organization(query, organization).fetch_all(pool).await
}

/// An open incident whose failure issue has not been opened yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UndeliveredIncident {
    /// The monitor.
    pub monitor_id: Uuid,
    /// Its organization.
    pub org_id: i64,
    /// Its project.
    pub project_id: i64,
    /// Its slug.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Its config.
    pub config: Json<MonitorConfig>,
    /// The environment.
    pub environment: String,
    /// The incident's number.
    pub incident: i32,
    /// When it opened.
    pub incident_started: DateTime<Utc>,
    /// The environment's last check-in that was not a missed one.
    pub last_check_in: Option<DateTime<Utc>>,
    /// The status of the environment's latest finished check-in.
    pub reason: Option<String>,
}

/// Open incidents (of `organization`, or of all) with no failure issue yet
/// (`monitor_incident_issues` holds the delivered ones), oldest first.
pub async fn undelivered_incidents(
    pool: &PgPool,
    organization: Option<i64>,
    limit: i64,
) -> Result<Vec<UndeliveredIncident>, sqlx::Error> {
    let sql = format!(
        // Joined on the organization throughout, and the latest check-in read by a
        // lateral join rather than a subquery in the target list: Citus runs that on
        // each worker's shards (docs/citus.md).
        "SELECT m.monitor_id, m.org_id, m.project_id, m.slug, m.name, m.config,
                e.name AS environment, e.incident, e.incident_started, e.last_check_in,
                latest.status AS reason
           FROM monitor_environments e
           JOIN monitors m ON m.org_id = e.org_id AND m.monitor_id = e.monitor_id
           LEFT JOIN LATERAL (
                SELECT c.status FROM monitor_check_ins c
                 WHERE c.org_id = e.org_id AND c.monitor_id = e.monitor_id
                   AND c.environment = e.name AND c.status <> 'in_progress' {}
                 ORDER BY c.position DESC LIMIT 1) AS latest ON true
          WHERE e.incident IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM monitor_incident_issues d
                             WHERE d.org_id = e.org_id AND d.monitor_id = e.monitor_id
                               AND d.environment = e.name AND d.incident = e.incident {})
            {}
          ORDER BY e.incident_started
          LIMIT $1",
        in_organization(organization, &["c.org_id"], 2),
        in_organization(organization, &["d.org_id"], 2),
        in_organization(organization, &["e.org_id", "m.org_id"], 2)
    );
    let query = sqlx::query_as(&sql).bind(limit);
    with_organization(query, organization).fetch_all(pool).await
}

/// A delivered incident that is over (resolved, superseded, or its monitor gone)
/// while its issue was not resolved yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndedIncident {
    /// The monitor.
    pub monitor_id: Uuid,
    /// The environment.
    pub environment: String,
    /// The incident's number.
    pub incident: i32,
    /// The project of its issue.
    pub project_id: i64,
    /// The monitor's organization: the partition of the stream.
    pub org_id: i64,
    /// Whether that project still exists (a project that is gone took its issues
    /// with it).
    pub project_exists: bool,
    /// The failure event that opened it.
    pub event_id: String,
    /// Whether the monitor still exists (a deleted monitor's issue stays as it is).
    pub monitor_exists: bool,
}

/// Incidents (of `organization`, or of all) whose failure issue was opened and that
/// have ended since.
pub async fn ended_incidents(
    pool: &PgPool,
    organization: Option<i64>,
    limit: i64,
) -> Result<Vec<EndedIncident>, sqlx::Error> {
    // The monitor's tables are joined on the organization (co-located on Citus); the
    // projects, which stay on the coordinator, are read in a statement of their own.
    let sql = format!(
        "SELECT d.monitor_id, d.environment, d.incident, d.project_id, d.org_id, d.event_id,
                m.monitor_id IS NOT NULL AS monitor_exists,
                false AS project_exists
           FROM monitor_incident_issues d
           LEFT JOIN monitors m
                  ON m.org_id = d.org_id AND m.monitor_id = d.monitor_id {}
           LEFT JOIN monitor_environments e
                  ON e.org_id = d.org_id AND e.monitor_id = d.monitor_id
                 AND e.name = d.environment {}
          WHERE d.resolved_at IS NULL
            AND e.incident IS DISTINCT FROM d.incident {}
          ORDER BY d.opened_at
          LIMIT $1",
        in_organization(organization, &["m.org_id"], 2),
        in_organization(organization, &["e.org_id"], 2),
        in_organization(organization, &["d.org_id"], 2)
    );
    let query = sqlx::query_as(&sql).bind(limit);
    let mut ended: Vec<EndedIncident> = with_organization(query, organization)
        .fetch_all(pool)
        .await?;
    if ended.is_empty() {
        return Ok(ended);
    }
    let projects: Vec<i64> = ended.iter().map(|incident| incident.project_id).collect();
    let present: Vec<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = ANY($1)")
        .bind(&projects)
        .fetch_all(pool)
        .await?;
    for incident in &mut ended {
        incident.project_exists = present.contains(&incident.project_id);
    }
    Ok(ended)
}
