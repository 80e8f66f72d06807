//! Environments, as the API lists them: the ones an organization's events (the
//! issues' `environment` tag values) and deploys named, with each project's hidden
//! ones (`project_hidden_environments`); deleted projects name none. An environment's id is made from its
//! organization and name, so it is the same wherever it is listed.

use std::collections::{BTreeMap, HashSet};

use sqlx::PgPool;

/// An environment of a project.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnvironmentRow {
    /// A number made from the organization and the name.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether the project hides it (for an organization: every project naming it).
    pub is_hidden: bool,
}

/// The stable id of environment `name` in organization `org_id` (48 bits of an md5).
const ID: &str = "('x' || substr(md5(org_id::text || ':' || name), 1, 12))::bit(48)::bigint";

/// `(project, environment)` pairs the events of the issues and the deploys of
/// organization `org_id` name, in `projects` only: the read models' own statement (on
/// Citus, one worker's), apart from the accounts' tables.
const NAMED: &str = "SELECT i.project_id, t.value FROM issues i
                       JOIN issue_tag_values t ON t.org_id = i.org_id AND t.issue_id = i.id
                                              AND t.key = 'environment'
                      WHERE i.org_id = $1 AND i.project_id = ANY($2)
                     UNION
                     SELECT p.id, d.environment FROM release_deploys d
                       CROSS JOIN LATERAL unnest(d.project_ids) AS p(id)
                      WHERE d.org_id = $1 AND p.id = ANY($2)";

/// The environments of project `project_id` of organization `org_id`, by name.
pub async fn of_project(
    pool: &PgPool,
    org_id: i64,
    project_id: i64,
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    listed(pool, org_id, &[project_id]).await
}

/// The environments of organization `org_id`, by name; hidden when every project
/// that names one hides it.
pub async fn of_organization(
    pool: &PgPool,
    org_id: i64,
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    let projects: Vec<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(pool)
        .await?;
    listed(pool, org_id, &projects).await
}

/// The environments `projects` of organization `org_id` name, each hidden when every
/// one of them that names it hides it.
async fn listed(
    pool: &PgPool,
    org_id: i64,
    projects: &[i64],
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    let named: Vec<(i64, String)> = sqlx::query_as(NAMED)
        .bind(org_id)
        .bind(projects)
        .fetch_all(pool)
        .await?;
    let hidden: Vec<(i64, String)> = sqlx::query_as(
        "SELECT h.project_id, h.name FROM project_hidden_environments h
           JOIN projects p ON p.id = h.project_id
          WHERE p.org_id = $1 AND h.project_id = ANY($2)",
    )
    .bind(org_id)
    .bind(projects)
    .fetch_all(pool)
    .await?;
    let hidden_pairs: HashSet<&(i64, String)> = hidden.iter().collect();
    let mut is_hidden: BTreeMap<&str, bool> = BTreeMap::new();
    for pair in named.iter().chain(&hidden) {
        let hides = hidden_pairs.contains(pair);
        is_hidden
            .entry(pair.1.as_str())
            .and_modify(|all| *all &= hides)
            .or_insert(hides);
    }
    let names: Vec<&str> = is_hidden.keys().copied().collect();
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT {ID} FROM unnest($2::text[]) WITH ORDINALITY AS n(name, ordinal),
                (SELECT $1::bigint AS org_id) o
          ORDER BY n.ordinal"
    ))
    .bind(org_id)
    .bind(&names)
    .fetch_all(pool)
    .await?;
    Ok(ids
        .into_iter()
        .zip(is_hidden)
        .map(|(id, (name, is_hidden))| EnvironmentRow {
            id,
            name: name.to_owned(),
            is_hidden,
        })
        .collect())
}
