//! Organization members.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Page, Paged};

/// A member of an organization, with the user's name and the member's team slugs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    /// The membership's id.
    pub id: i64,
    /// The organization.
    pub org_id: i64,
    /// The user.
    pub user_id: i64,
    /// The member's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// The organization role.
    pub role: String,
    /// When the member joined.
    pub date_created: DateTime<Utc>,
    /// Slugs of the member's teams.
    pub teams: Vec<String>,
    /// When the user joined Faultline.
    pub date_joined: Option<DateTime<Utc>>,
    /// Whether the user administers the instance.
    pub is_superuser: bool,
}

const SELECT: &str =
    "SELECT m.id, m.org_id, m.user_id, m.email, coalesce(u.name, '') AS name, m.role,
                             m.date_created,
                             coalesce((SELECT array_agg(t.slug ORDER BY t.slug)
                                         FROM team_members tm JOIN teams t ON t.id = tm.team_id
                                        WHERE tm.member_id = m.id), '{}') AS teams,
                             u.date_joined, coalesce(u.is_superuser, false) AS is_superuser
                        FROM members m LEFT JOIN users u ON u.id = m.user_id";

/// How many owners organization `org_id` has.
pub async fn owner_count(pool: &PgPool, org_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM members WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id)
        .fetch_one(pool)
        .await
}

/// The membership of `user_id` in organization `org_id`.
pub async fn of_user(
    pool: &PgPool,
    org_id: i64,
    user_id: i64,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE m.org_id = $1 AND m.user_id = $2"))
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// The organizations `user_id` is a member of, oldest membership first.
pub async fn org_ids_of_user(pool: &PgPool, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT org_id FROM members WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

/// Member `member_id` of organization `org_id`.
pub async fn get(
    pool: &PgPool,
    org_id: i64,
    member_id: i64,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE m.org_id = $1 AND m.id = $2"))
        .bind(org_id)
        .bind(member_id)
        .fetch_optional(pool)
        .await
}

/// The members of organization `org_id`.
pub async fn list(pool: &PgPool, org_id: i64, page: Page) -> Result<Paged<MemberRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE m.org_id = $1 ORDER BY m.email, m.id LIMIT $2 OFFSET $3"
    ))
    .bind(org_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}
