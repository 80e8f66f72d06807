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
            // A function of the row, not a subquery: Citus plans no subquery among a
            // distributed table's output columns.
            WorkflowSort::Actions => {
                "jsonb_array_length(jsonb_path_query_array(
                     w.definition, '$.actionFilters[*].actions[*]'))"
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

/// A workflow's own columns. The projects it watches are narrowed to those that still
/// exist (a deleted project's detector is gone with it) and its last fire is added by
/// [`completed`], in statements of their own: on Citus `workflows` and `alert_fires`
/// are distributed by organization while `projects` stays on the coordinator.
pub const WORKFLOW_SQL: &str = "SELECT w.id, w.org_id, w.definition, w.created_by, w.date_created,
                                      w.date_updated, w.project_ids,
                                      NULL::timestamptz AS last_triggered
                                 FROM workflows w";

/// `$1` the organization, `$2` ids, `$3` project ids (NULL: any), `$4` a name part.
const FILTER: &str = "w.org_id = $1
                  AND (cardinality($2::bigint[]) = 0 OR w.id = ANY($2))
                  AND ($3::bigint[] IS NULL OR w.project_ids && $3)
                  AND ($4::text IS NULL OR strpos(lower(w.name), lower($4)) > 0)";

/// Binds the filter's `$2`..`$4`, its projects named by slug resolved to ids first.
async fn filtered<'q, O>(
    pool: &PgPool,
    org_id: i64,
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    filter: &'q WorkflowFilter,
) -> Result<sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>, sqlx::Error> {
    let projects = match &filter.projects {
        Some((ids, slugs)) if slugs.is_empty() => Some(ids.clone()),
        Some((ids, slugs)) => {
            let mut projects: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM projects WHERE org_id = $1 AND slug = ANY($2)")
                    .bind(org_id)
                    .bind(slugs)
                    .fetch_all(pool)
                    .await?;
            projects.extend(ids);
            Some(projects)
        }
        None => None,
    };
    Ok(query
        .bind(&filter.ids)
        .bind(projects)
        .bind(&filter.name_contains))
}

/// `rows` with the projects they watch narrowed to those of the organization that
/// still exist, in order, and when each last fired.
async fn completed(
    pool: &PgPool,
    org_id: i64,
    mut rows: Vec<WorkflowRow>,
) -> Result<Vec<WorkflowRow>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let watched: Vec<i64> = rows.iter().flat_map(|w| w.project_ids.clone()).collect();
    let existing: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE org_id = $1 AND id = ANY($2)")
            .bind(org_id)
            .bind(&watched)
            .fetch_all(pool)
            .await?;
    let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
    let fired: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT workflow_id, max(fired_at) FROM alert_fires
          WHERE org_id = $2 AND workflow_id = ANY($1) GROUP BY workflow_id",
    )
    .bind(&ids)
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    for row in &mut rows {
        row.project_ids.retain(|project| existing.contains(project));
        row.project_ids.sort_unstable();
        row.last_triggered = fired
            .iter()
            .find(|(workflow, _)| *workflow == row.id)
            .map(|(_, at)| *at);
    }
    Ok(rows)
}

/// Workflow `id` of organization `org_id`.
pub async fn workflow(
    pool: &PgPool,
    org_id: i64,
    id: i64,
) -> Result<Option<WorkflowRow>, sqlx::Error> {
    let row: Option<WorkflowRow> =
        sqlx::query_as(&format!("{WORKFLOW_SQL} WHERE w.org_id = $1 AND w.id = $2"))
            .bind(org_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(completed(pool, org_id, row.into_iter().collect())
        .await?
        .pop())
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
        "{WORKFLOW_SQL} WHERE {FILTER}
          ORDER BY {} {direction}, w.id {direction} LIMIT $5 OFFSET $6",
        sort.sql()
    );
    let rows = filtered(pool, org_id, sqlx::query_as(&sql).bind(org_id), filter)
        .await?
        .bind(page.limit + 1)
        .bind(page.offset)
        .fetch_all(pool)
        .await?;
    let paged = Paged::from_overfetch(rows, page);
    Ok(Paged {
        rows: completed(pool, org_id, paged.rows).await?,
        has_more: paged.has_more,
    })
}

/// Every workflow of organization `org_id` that `filter` selects (a bulk change).
pub async fn all_workflows(
    pool: &PgPool,
    org_id: i64,
    filter: &WorkflowFilter,
) -> Result<Vec<WorkflowRow>, sqlx::Error> {
    let sql = format!("{WORKFLOW_SQL} WHERE {FILTER} ORDER BY w.id");
    let rows = filtered(pool, org_id, sqlx::query_as(&sql).bind(org_id), filter)
        .await?
        .fetch_all(pool)
        .await?;
    completed(pool, org_id, rows).await
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
    let rows: Vec<DetectorRow> = sqlx::query_as(
        "SELECT p.id AS project_id, p.slug AS project_slug, p.date_created,
                '{}'::bigint[] AS workflow_ids
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
    let mut paged = Paged::from_overfetch(rows, page);
    // The workflows in a statement of their own: on Citus they are distributed by
    // organization and the projects stay on the coordinator.
    let projects: Vec<i64> = paged.rows.iter().map(|d| d.project_id).collect();
    let watching: Vec<(i64, Vec<i64>)> = sqlx::query_as(
        "SELECT p, array_agg(DISTINCT w.id ORDER BY w.id)
           FROM workflows w, unnest(w.project_ids) AS p
          WHERE w.org_id = $1 AND p = ANY($2)
          GROUP BY p",
    )
    .bind(org_id)
    .bind(&projects)
    .fetch_all(pool)
    .await?;
    for detector in &mut paged.rows {
        if let Some((_, workflows)) = watching.iter().find(|(p, _)| *p == detector.project_id) {
            detector.workflow_ids = workflows.clone();
        }
    }
    Ok(paged)
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
