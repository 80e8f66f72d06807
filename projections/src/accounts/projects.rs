//! `projects`, `project_teams`, `client_keys`.

use async_trait::async_trait;
use faultline_domain::project::ProjectEvent;
use sqlx::PgConnection;

use super::numeric_id;
use crate::{Projection, ProjectionError, StoredEvent};

/// Projects project streams.
pub struct ProjectsProjection;

#[async_trait]
impl Projection for ProjectsProjection {
    fn name(&self) -> &'static str {
        "projects"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["project"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "projects",
            "project_teams",
            "client_keys",
            "project_hidden_environments",
        ]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let project_id = numeric_id(event)?;
        use ProjectEvent::*;
        match event.decode::<ProjectEvent>()? {
            ProjectCreated {
                org_id,
                slug,
                name,
                platform,
                team_id,
                at,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO projects (id, org_id, slug, name, platform, date_created) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(project_id)
                .bind(org_id)
                .bind(slug.as_str())
                .bind(name)
                .bind(platform)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                if let Some(team_id) = team_id {
                    add_team(conn, project_id, team_id).await?;
                }
            }
            ProjectUpdated {
                name,
                slug,
                platform,
                ..
            } => {
                sqlx::query(
                    "UPDATE projects SET name = coalesce($2, name), slug = coalesce($3, slug),
                            platform = CASE WHEN $4 THEN $5 ELSE platform END
                      WHERE id = $1",
                )
                .bind(project_id)
                .bind(name)
                .bind(slug.as_ref().map(|s| s.as_str()))
                .bind(platform.is_some())
                .bind(platform.flatten())
                .execute(conn)
                .await?;
            }
            GroupingRulesChanged {
                fingerprinting_rules,
                grouping_enhancements,
                ..
            } => {
                sqlx::query(
                    "UPDATE projects SET fingerprinting_rules = $2, grouping_enhancements = $3
                      WHERE id = $1",
                )
                .bind(project_id)
                .bind(fingerprinting_rules)
                .bind(grouping_enhancements)
                .execute(conn)
                .await?;
            }
            RetentionChanged { retention, .. } => {
                sqlx::query(
                    "UPDATE projects SET retention_days = $2, max_events = $3 WHERE id = $1",
                )
                .bind(project_id)
                .bind(retention.days.map(|days| days as i32))
                .bind(retention.max_events.map(|max| max as i64))
                .execute(conn)
                .await?;
            }
            EnvironmentsHidden { names, hidden, .. } => {
                let sql = if hidden {
                    "INSERT INTO project_hidden_environments (project_id, name)
                     SELECT $1, n FROM unnest($2::text[]) AS n ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM project_hidden_environments WHERE project_id = $1 AND name = ANY($2)"
                };
                sqlx::query(sql)
                    .bind(project_id)
                    .bind(&names)
                    .execute(conn)
                    .await?;
            }
            ProjectDeleted { .. } => {
                for table in [
                    "client_keys",
                    "project_teams",
                    "project_hidden_environments",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE project_id = $1"))
                        .bind(project_id)
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("DELETE FROM projects WHERE id = $1")
                    .bind(project_id)
                    .execute(conn)
                    .await?;
            }
            ProjectTeamAdded { team_id, .. } => add_team(conn, project_id, team_id).await?,
            ProjectTeamRemoved { team_id, .. } => {
                sqlx::query("DELETE FROM project_teams WHERE project_id = $1 AND team_id = $2")
                    .bind(project_id)
                    .bind(team_id)
                    .execute(conn)
                    .await?;
            }
            ClientKeyCreated {
                public_key,
                secret_key,
                label,
                rate_limit,
                at,
            } => {
                sqlx::query(
                    "INSERT INTO client_keys (public_key, project_id, org_id, secret_key, label, is_active,
                                              rate_limit_window, rate_limit_count, date_created)
                     SELECT $1, id, org_id, $3, $4, true, $5, $6, $7 FROM projects WHERE id = $2",
                )
                .bind(public_key)
                .bind(project_id)
                .bind(secret_key)
                .bind(label)
                .bind(rate_limit.map(|r| r.window as i32))
                .bind(rate_limit.map(|r| r.count as i32))
                .bind(at)
                .execute(conn)
                .await?;
            }
            ClientKeyUpdated {
                public_key,
                label,
                is_active,
                rate_limit,
                ..
            } => {
                sqlx::query(
                    "UPDATE client_keys SET label = coalesce($3, label), is_active = coalesce($4, is_active),
                            rate_limit_window = CASE WHEN $5 THEN $6 ELSE rate_limit_window END,
                            rate_limit_count = CASE WHEN $5 THEN $7 ELSE rate_limit_count END
                      WHERE public_key = $1 AND project_id = $2",
                )
                .bind(public_key)
                .bind(project_id)
                .bind(label)
                .bind(is_active)
                .bind(rate_limit.is_some())
                .bind(rate_limit.flatten().map(|r| r.window as i32))
                .bind(rate_limit.flatten().map(|r| r.count as i32))
                .execute(conn)
                .await?;
            }
            ClientKeyRevoked { public_key, .. } => {
                sqlx::query("DELETE FROM client_keys WHERE public_key = $1 AND project_id = $2")
                    .bind(public_key)
                    .bind(project_id)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}

async fn add_team(
    conn: &mut PgConnection,
    project_id: i64,
    team_id: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO project_teams (project_id, team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(team_id)
    .execute(conn)
    .await?;
    Ok(())
}
