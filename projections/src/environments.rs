//! Environments, as the API lists them: the ones an organization's events (the
//! issues' `environment` tag values) and deploys named, with each project's hidden
//! ones (`project_hidden_environments`); deleted projects name none. An environment's id is made from its
//! organization and name, so it is the same wherever it is listed.

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

/// The environments of project `project_id`, by name.
pub async fn of_project(
    pool: &PgPool,
    project_id: i64,
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "WITH named AS (
             SELECT t.value AS name FROM issues i
               JOIN issue_tag_values t ON t.issue_id = i.id AND t.key = 'environment'
              WHERE i.project_id = $1
             UNION
             SELECT d.environment FROM release_deploys d WHERE $1 = ANY(d.project_ids)
             UNION
             SELECT name FROM project_hidden_environments WHERE project_id = $1),
         scoped AS (
             SELECT p.org_id, n.name,
                    EXISTS (SELECT 1 FROM project_hidden_environments h
                             WHERE h.project_id = $1 AND h.name = n.name) AS is_hidden
               FROM named n, projects p WHERE p.id = $1)
         SELECT {ID} AS id, name, is_hidden FROM scoped ORDER BY name"
    ))
    .bind(project_id)
    .fetch_all(pool)
    .await
}

/// The environments of organization `org_id`, by name; hidden when every project
/// that names one hides it.
pub async fn of_organization(
    pool: &PgPool,
    org_id: i64,
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "WITH named AS (
             SELECT i.project_id, t.value AS name FROM issues i
               JOIN projects p ON p.id = i.project_id
               JOIN issue_tag_values t ON t.issue_id = i.id AND t.key = 'environment'
              WHERE p.org_id = $1
             UNION
             SELECT p.id, d.environment FROM releases r
               JOIN release_deploys d ON d.release_id = r.id
               JOIN projects p ON p.id = ANY(d.project_ids)
              WHERE r.org_id = $1
             UNION
             SELECT h.project_id, h.name FROM project_hidden_environments h
               JOIN projects p ON p.id = h.project_id WHERE p.org_id = $1),
         scoped AS (
             SELECT $1::bigint AS org_id, n.name,
                    bool_and(EXISTS (SELECT 1 FROM project_hidden_environments h
                                      WHERE h.project_id = n.project_id AND h.name = n.name))
                      AS is_hidden
               FROM named n GROUP BY n.name)
         SELECT {ID} AS id, name, is_hidden FROM scoped ORDER BY name"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await
}
