//! Projects.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Page, Paged};

/// A project, with its teams.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub org_id: i64,
    /// Its organization's slug.
    pub org_slug: String,
    /// Its organization's name.
    pub org_name: String,
    /// Its slug (unique in the organization).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its platform.
    pub platform: Option<String>,
    /// When it was created.
    pub date_created: DateTime<Utc>,
    /// Its teams as `(id, slug, name)`.
    pub team_ids: Vec<i64>,
    /// Slugs of its teams, in the order of `team_ids`.
    pub team_slugs: Vec<String>,
    /// Names of its teams, in the order of `team_ids`.
    pub team_names: Vec<String>,
    /// Whether the asking user is on one of its teams.
    pub is_member: bool,
    /// Its own retention in days (`None`: the server's).
    pub retention_days: Option<i32>,
    /// The most ingested events it keeps (`None`: no limit).
    pub max_events: Option<i64>,
    /// Its fingerprint rules as saved.
    pub fingerprinting_rules: String,
    /// Its stack trace rules as saved.
    pub grouping_enhancements: String,
}

const SELECT: &str = "SELECT p.id, p.org_id, o.slug AS org_slug, o.name AS org_name, p.slug, p.name, p.platform,
                             p.date_created, p.retention_days, p.max_events,
                             p.fingerprinting_rules, p.grouping_enhancements,
                             coalesce(array_agg(t.id ORDER BY t.slug) FILTER (WHERE t.id IS NOT NULL), '{}') AS team_ids,
                             coalesce(array_agg(t.slug ORDER BY t.slug) FILTER (WHERE t.id IS NOT NULL), '{}') AS team_slugs,
                             coalesce(array_agg(t.name ORDER BY t.slug) FILTER (WHERE t.id IS NOT NULL), '{}') AS team_names,
                             coalesce(bool_or(EXISTS (SELECT 1 FROM team_members tm JOIN members m ON m.id = tm.member_id
                                                 WHERE tm.team_id = t.id AND m.user_id = $2)), false) AS is_member
                        FROM projects p
                        JOIN organizations o ON o.id = p.org_id
                        LEFT JOIN project_teams pt ON pt.project_id = p.id
                        LEFT JOIN teams t ON t.id = pt.team_id";

/// Project `slug` of organization `org_id`, seen by `user_id`.
pub async fn by_slug(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    slug: &str,
) -> Result<Option<ProjectRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE p.org_id = $1 AND p.slug = $3 GROUP BY p.id, o.id"
    ))
    .bind(org_id)
    .bind(user_id)
    .bind(slug)
    .fetch_optional(pool)
    .await
}

/// Project `id` of organization `org_id`, seen by `user_id`.
pub async fn by_id(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    id: i64,
) -> Result<Option<ProjectRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE p.org_id = $1 AND p.id = $3 GROUP BY p.id, o.id"
    ))
    .bind(org_id)
    .bind(user_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The projects of organization `org_id`.
pub async fn in_org(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    page: Page,
) -> Result<Paged<ProjectRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE p.org_id = $1 GROUP BY p.id, o.id ORDER BY p.slug LIMIT $3 OFFSET $4"
    ))
    .bind(org_id)
    .bind(user_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// The projects of every organization `user_id` is a member of (all, for a superuser).
pub async fn for_user(
    pool: &PgPool,
    user_id: i64,
    all: bool,
    page: Page,
) -> Result<Paged<ProjectRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE ($3 OR EXISTS (SELECT 1 FROM members m WHERE m.org_id = p.org_id AND m.user_id = $1))
           GROUP BY p.id, o.id ORDER BY o.slug, p.slug LIMIT $4 OFFSET $5"
    ))
    .bind(user_id)
    .bind(user_id)
    .bind(all)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
