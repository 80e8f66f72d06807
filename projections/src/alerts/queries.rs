//! Reads of workflows, error detectors and service hooks, each scoped by the
//! organization (and project) the request names.

use chrono::{DateTime, Utc};
use faultline_domain::alert::definition::Definition;
use sqlx::types::Json;
use sqlx::PgPool;

use crate::accounts::queries::{Page, Paged};

/// A workflow as the API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkflowRow {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub org_id: i64,
    /// What it says.
    pub definition: Json<Definition>,
    /// The projects it watches that still exist (its detector ids).
    pub project_ids: Vec<i64>,
    /// The user who created it.
    pub created_by: i64,
    /// When it was created.
    pub date_created: DateTime<Utc>,
    /// When it last changed.
    pub date_updated: DateTime<Utc>,
    /// When it last fired, as the alerting reactor recorded it.
    pub last_triggered: Option<DateTime<Utc>>,
}

/// The order of a workflow list (Sentry's `sortBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowSort {
    /// By id (the default).
    Id,
    /// By name.
    Name,
    /// By creation.
    DateCreated,
    /// By the last change.
    DateUpdated,
    /// By the number of detectors (projects) attached.
    ConnectedDetectors,
    /// By the number of actions.
    Actions,
}

impl WorkflowSort {
    /// Parses Sentry's `sortBy` (`name`, `-dateCreated`, ...): the order and whether
    /// it is descending; `None` for a field it does not know.
    pub fn parse(sort_by: &str) -> Option<(WorkflowSort, bool)> {
        let (field, descending) = match sort_by.strip_prefix('-') {
            Some(field) => (field, true),
            None => (sort_by, false),
        };
        let sort = match field {
            "id" => WorkflowSort::Id,
            "name" => WorkflowSort::Name,
            "dateCreated" => WorkflowSort::DateCreated,
            "dateUpdated" => WorkflowSort::DateUpdated,
            "connectedDetectors" => WorkflowSort::ConnectedDetectors,
            "actions" => WorkflowSort::Actions,
            _ => return None,
        };
        Some((sort, descending))
    }

    fn sql(self) -> &'static str {
        match self {
            WorkflowSort::Id => "w.id",
            WorkflowSort::Name => "lower(w.name)",
            WorkflowSort::DateCreated => "w.date_created",
            WorkflowSort::DateUpdated => "w.date_updated",
            WorkflowSort::ConnectedDetectors => "cardinality(w.project_ids)",
            WorkflowSort::Actions => {
                "(SELECT count(*) FROM jsonb_array_elements(w.definition -> 'actionFilters') g,
                                       jsonb_array_elements(g -> 'actions') a)"
            }
        }
    }
}

/// Which workflows of an organization a list (or a bulk change) is about.
#[derive(Debug, Clone, Default)]
pub struct WorkflowFilter {
    /// Only these ids (none: any).
    pub ids: Vec<i64>,
    /// Only workflows watching one of these projects, by id or slug (`None`: any).
    pub projects: Option<(Vec<i64>, Vec<String>)>,
    /// Only names containing this, ignoring case.
    pub name_contains: Option<String>,
}

/// The detector ids of a workflow are the projects it names that still exist: a
/// deleted project's detector is gone with it.
const SELECT: &str = "SELECT w.id, w.org_id, w.definition, w.created_by, w.date_created, w.date_updated,
                             ARRAY(SELECT p FROM unnest(w.project_ids) p
                                    WHERE EXISTS (SELECT 1 FROM projects WHERE id = p AND org_id = w.org_id)
                                    ORDER BY p) AS project_ids,
                             (SELECT max(f.fired_at) FROM alert_fires f
                               WHERE f.workflow_id = w.id) AS last_triggered
                        FROM workflows w";

const FILTER: &str = "w.org_id = $1
                  AND (cardinality($2::bigint[]) = 0 OR w.id = ANY($2))
                  AND ($3::bigint[] IS NULL
                       OR w.project_ids && ($3 || ARRAY(SELECT id FROM projects
                                                         WHERE org_id = $1 AND slug = ANY($4))))
                  AND ($5::text IS NULL OR strpos(lower(w.name), lower($5)) > 0)";

/// Binds the filter's `$2`..`$5`.
fn filtered<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    filter: &'q WorkflowFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    let (ids, slugs) = match &filter.projects {
        Some((ids, slugs)) => (Some(ids), Some(slugs)),
        None => (None, None),
    };
    query
        .bind(&filter.ids)
        .bind(ids)
        .bind(slugs)
        .bind(&filter.name_contains)
}

/// Workflow `id` of organization `org_id`.
pub async fn workflow(
    pool: &PgPool,
    org_id: i64,
    id: i64,
) -> Result<Option<WorkflowRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE w.org_id = $1 AND w.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The workflows of organization `org_id` that `filter` selects, in `sort` order
/// (ties by id).
pub async fn workflows(
    pool: &PgPool,
    org_id: i64,
    filter: &WorkflowFilter,
    (sort, descending): (WorkflowSort, bool),
    page: Page,
) -> Result<Paged<WorkflowRow>, sqlx::Error> {
    let direction = if descending { "DESC" } else { "ASC" };
    let sql = format!(
        "{SELECT} WHERE {FILTER}
          ORDER BY {} {direction}, w.id {direction} LIMIT $6 OFFSET $7",
        sort.sql()
    );
    let rows = filtered(sqlx::query_as(&sql).bind(org_id), filter)
        .bind(page.limit + 1)
        .bind(page.offset)
        .fetch_all(pool)
        .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// Every workflow of organization `org_id` that `filter` selects (a bulk change).
pub async fn all_workflows(
    pool: &PgPool,
    org_id: i64,
    filter: &WorkflowFilter,
) -> Result<Vec<WorkflowRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE {FILTER} ORDER BY w.id");
    filtered(sqlx::query_as(&sql).bind(org_id), filter)
        .fetch_all(pool)
        .await
}

/// Which of `project_ids` are projects of organization `org_id`.
pub async fn projects_in_org(
    pool: &PgPool,
    org_id: i64,
    project_ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM projects WHERE org_id = $1 AND id = ANY($2) ORDER BY id")
        .bind(org_id)
        .bind(project_ids)
        .fetch_all(pool)
        .await
}

/// A project's error detector: the project and the workflows attached to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DetectorRow {
    /// The project's id (also the detector's).
    pub project_id: i64,
    /// The project's slug.
    pub project_slug: String,
    /// When the project was created.
    pub date_created: DateTime<Utc>,
    /// The workflows watching the project, by id.
    pub workflow_ids: Vec<i64>,
}

/// The error detectors of organization `org_id`: of the projects `projects` names
/// by id or slug (`None`: every project) whose ids are in `ids` (empty: any).
pub async fn detectors(
    pool: &PgPool,
    org_id: i64,
    projects: Option<&(Vec<i64>, Vec<String>)>,
    ids: &[i64],
    page: Page,
) -> Result<Paged<DetectorRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT p.id AS project_id, p.slug AS project_slug, p.date_created,
                ARRAY(SELECT w.id FROM workflows w
                       WHERE w.org_id = p.org_id AND p.id = ANY(w.project_ids)
                       ORDER BY w.id) AS workflow_ids
           FROM projects p
          WHERE p.org_id = $1
            AND ($2::bigint[] IS NULL OR p.id = ANY($2) OR p.slug = ANY($3))
            AND (cardinality($4::bigint[]) = 0 OR p.id = ANY($4))
          ORDER BY p.id LIMIT $5 OFFSET $6",
    )
    .bind(org_id)
    .bind(projects.map(|(ids, _)| ids))
    .bind(projects.map(|(_, slugs)| slugs))
    .bind(ids)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// A service hook of a project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HookRow {
    /// Its id (32 hex).
    pub id: String,
    /// Its project.
    pub project_id: i64,
    /// Where it posts.
    pub url: String,
    /// What it is sent on.
    pub events: Vec<String>,
    /// Its signing secret.
    pub secret: String,
    /// When it was registered.
    pub date_created: DateTime<Utc>,
}

const HOOK: &str = "SELECT id, project_id, url, events, secret, date_created FROM service_hooks";

/// Hook `hook_id` of project `project_id` in organization `org_id`.
pub async fn hook(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    hook_id: &str,
) -> Result<Option<HookRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{HOOK} WHERE org_id = $1 AND project_id = $2 AND id = $3"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(hook_id)
    .fetch_optional(pool)
    .await
}

/// The hooks of project `project_id` in organization `org_id`, oldest first.
pub async fn hooks(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    page: Page,
) -> Result<Paged<HookRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{HOOK} WHERE org_id = $1 AND project_id = $2
          ORDER BY date_created, id LIMIT $3 OFFSET $4"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
