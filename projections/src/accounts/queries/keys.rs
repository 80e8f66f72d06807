//! Client keys (DSNs).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Page, Paged};

/// A client key of a project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    /// The public key (also the key's id in the API).
    pub public_key: String,
    /// Its project.
    pub project_id: i64,
    /// The secret key.
    pub secret_key: String,
    /// Its label.
    pub label: String,
    /// Whether it is enabled.
    pub is_active: bool,
    /// Rate limit window in seconds.
    pub rate_limit_window: Option<i32>,
    /// Events allowed per window.
    pub rate_limit_count: Option<i32>,
    /// When it was created.
    pub date_created: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT public_key, project_id, secret_key, label, is_active, rate_limit_window,
                             rate_limit_count, date_created FROM client_keys";

/// Key `public_key` of project `project_id` in organization `org_id`.
pub async fn get(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    public_key: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE org_id = $1 AND project_id = $2 AND public_key = $3"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(public_key)
    .fetch_optional(pool)
    .await
}

/// The keys of project `project_id` in organization `org_id`.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
    page: Page,
) -> Result<Paged<KeyRow>, sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE org_id = $1 AND project_id = $2 ORDER BY date_created, public_key LIMIT $3 OFFSET $4"
    ))
    .bind(org_id)
    .bind(project_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

/// What ingestion needs of key `public_key`, from the read model (the fallback when
/// the in-memory cache has not seen the key yet); `None` if unknown or its project
/// is deleted.
pub async fn ingest_info(
    pool: &PgPool,
    public_key: &str,
) -> Result<Option<crate::accounts::key_cache::KeyInfo>, sqlx::Error> {
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE public_key = $1 AND EXISTS (SELECT 1 FROM projects p WHERE p.id = project_id)"
    ))
    .bind(public_key)
    .fetch_optional(pool)
    .await?;
    let org_id: Option<i64> = match &row {
        Some(row) => {
            sqlx::query_scalar("SELECT org_id FROM projects WHERE id = $1")
                .bind(row.project_id)
                .fetch_optional(pool)
                .await?
        }
        None => None,
    };
    Ok(row
        .zip(org_id)
        .map(|(row, org_id)| crate::accounts::key_cache::KeyInfo {
            project_id: row.project_id,
            org_id,
            secret_key: row.secret_key,
            is_active: row.is_active,
            rate_limit: row
                .rate_limit_window
                .zip(row.rate_limit_count)
                .map(|(window, count)| faultline_domain::project::RateLimit {
                    window: window as u32,
                    count: count as u32,
                }),
        }))
}
