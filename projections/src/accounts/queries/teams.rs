//! Teams.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Page, Paged};

/// A team of an organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub org_id: i64,
    /// Its slug (unique in the organization).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub date_created: DateTime<Utc>,
    /// How many members it has.
    pub member_count: i64,
    /// Whether the asking user is a member.
    pub is_member: bool,
}

const SELECT: &str = "SELECT t.id, t.org_id, t.slug, t.name, t.date_created,
                             (SELECT count(*) FROM team_members tm WHERE tm.team_id = t.id) AS member_count,
                             EXISTS (SELECT 1 FROM team_members tm JOIN members m ON m.id = tm.member_id
                                      WHERE tm.team_id = t.id AND m.user_id = $2) AS is_member
                        FROM teams t";

/// Team `slug` of organization `org_id`, seen by `user_id`.
pub async fn by_slug(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    slug: &str,
) -> Result<Option<TeamRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE t.org_id = $1 AND t.slug = $3"))
        .bind(org_id)
        .bind(user_id)
        .bind(slug)
        .fetch_optional(pool)
        .await
}

/// Team `id` of organization `org_id`, seen by `user_id`.
pub async fn by_id(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    id: i64,
) -> Result<Option<TeamRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE t.org_id = $1 AND t.id = $3"))
        .bind(org_id)
        .bind(user_id)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The teams of organization `org_id`, seen by `user_id`.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
    page: Page,
) -> Result<Paged<TeamRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE t.org_id = $1 ORDER BY t.slug LIMIT $3 OFFSET $4"
    ))
    .bind(org_id)
    .bind(user_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
