//! Organizations.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Page, Paged};

/// An organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    /// Its id.
    pub id: i64,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub date_created: DateTime<Utc>,
}

/// The organization named by `id_or_slug` (Sentry accepts either in paths).
pub async fn by_id_or_slug(pool: &PgPool, id_or_slug: &str) -> Result<Option<OrgRow>, sqlx::Error> {
    let id: Option<i64> = id_or_slug.parse().ok();
    sqlx::query_as(
        "SELECT id, slug, name, date_created FROM organizations WHERE slug = $1 OR id = $2",
    )
    .bind(id_or_slug)
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Organizations visible to a user: those they are a member of, or all of them for a
/// superuser (Sentry shows superusers every organization).
pub async fn visible_to(
    pool: &PgPool,
    user_id: i64,
    all: bool,
    page: Page,
) -> Result<Paged<OrgRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT o.id, o.slug, o.name, o.date_created FROM organizations o
          WHERE $2 OR EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id AND m.user_id = $1)
          ORDER BY o.name, o.id
          LIMIT $3 OFFSET $4",
    )
    .bind(user_id)
    .bind(all)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
