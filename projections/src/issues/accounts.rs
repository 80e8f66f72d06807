//! What the issues' and releases' rows name in the accounts (projects, users,
//! teams), read in statements of their own: on Citus the accounts stay on the
//! coordinator and the issues live on the workers, and one statement cannot join the
//! two.

use std::collections::HashMap;

use sqlx::PgPool;

use super::queries::IssueRow;

/// A user's email and name.
pub(super) type UserNames = HashMap<i64, (String, String)>;

/// A project's slug, name and platform.
pub(crate) type ProjectNames = HashMap<i64, (String, String, Option<String>)>;

/// `rows` with their projects' slug, name and platform; rows of a project that is gone
/// are left out.
pub(super) async fn with_projects(
    pool: &PgPool,
    mut rows: Vec<IssueRow>,
) -> Result<Vec<IssueRow>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let projects = project_names(pool, rows.iter().map(|row| row.project_id)).await?;
    rows.retain_mut(|row| match projects.get(&row.project_id) {
        Some((slug, name, platform)) => {
            row.project_slug.clone_from(slug);
            row.project_name.clone_from(name);
            row.project_platform.clone_from(platform);
            true
        }
        None => false,
    });
    Ok(rows)
}

/// The slug, name and platform of each of `ids` that is a project.
pub(crate) async fn project_names(
    pool: &PgPool,
    ids: impl Iterator<Item = i64>,
) -> Result<ProjectNames, sqlx::Error> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sqlx::query_as::<_, (i64, String, String, Option<String>)>(
        "SELECT id, slug, name, platform FROM projects WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, slug, name, platform)| (id, (slug, name, platform)))
    .collect())
}

/// The email and name of each of `ids` that is a user.
pub(super) async fn users(
    pool: &PgPool,
    ids: impl Iterator<Item = i64>,
) -> Result<UserNames, sqlx::Error> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, email, name FROM users WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, email, name)| (id, (email, name)))
    .collect())
}

/// The slug of each of `ids` that is a team.
pub(super) async fn team_slugs(
    pool: &PgPool,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(
        sqlx::query_as::<_, (i64, String)>("SELECT id, slug FROM teams WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect(),
    )
}

/// `ids` sorted, each once.
fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
