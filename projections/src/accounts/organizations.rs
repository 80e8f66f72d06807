//! `organizations`, `members`, `teams`, `team_members`.

use async_trait::async_trait;
use faultline_domain::organization::OrganizationEvent;
use sqlx::PgConnection;

use super::numeric_id;
use crate::{Projection, ProjectionError, StoredEvent};

/// Projects organization streams.
pub struct OrganizationsProjection;

#[async_trait]
impl Projection for OrganizationsProjection {
    fn name(&self) -> &'static str {
        "organizations"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["organization"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["organizations", "members", "teams", "team_members"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let org_id = numeric_id(event)?;
        use OrganizationEvent::*;
        match event.decode::<OrganizationEvent>()? {
            OrganizationCreated { name, slug, at, .. } => {
                sqlx::query("INSERT INTO organizations (id, slug, name, date_created) VALUES ($1, $2, $3, $4)")
                    .bind(org_id)
                    .bind(slug.as_str())
                    .bind(name)
                    .bind(at)
                    .execute(conn)
                    .await?;
            }
            OrganizationUpdated { name, slug, .. } => {
                sqlx::query(
                    "UPDATE organizations SET name = coalesce($2, name), slug = coalesce($3, slug) WHERE id = $1",
                )
                .bind(org_id)
                .bind(name)
                .bind(slug.as_ref().map(|s| s.as_str()))
                .execute(conn)
                .await?;
            }
            PersonErased { .. } => {}
            OrganizationDeleted { .. } => {
                for statement in [
                    "DELETE FROM team_members WHERE team_id IN (SELECT id FROM teams WHERE org_id = $1)",
                    "DELETE FROM teams WHERE org_id = $1",
                    "DELETE FROM members WHERE org_id = $1",
                    "DELETE FROM organizations WHERE id = $1",
                ] {
                    sqlx::query(statement).bind(org_id).execute(&mut *conn).await?;
                }
            }
            MemberAdded {
                member_id,
                user_id,
                email,
                role,
                at,
            } => {
                sqlx::query(
                    "INSERT INTO members (id, org_id, user_id, email, role, date_created) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(member_id)
                .bind(org_id)
                .bind(user_id)
                .bind(email)
                .bind(role.as_str())
                .bind(at)
                .execute(conn)
                .await?;
            }
            MemberRoleChanged { member_id, role, .. } => {
                sqlx::query("UPDATE members SET role = $3 WHERE id = $1 AND org_id = $2")
                    .bind(member_id)
                    .bind(org_id)
                    .bind(role.as_str())
                    .execute(conn)
                    .await?;
            }
            MemberRemoved { member_id, .. } => {
                sqlx::query("DELETE FROM team_members WHERE member_id = $1")
                    .bind(member_id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM members WHERE id = $1 AND org_id = $2")
                    .bind(member_id)
                    .bind(org_id)
                    .execute(conn)
                    .await?;
            }
            TeamCreated {
                team_id,
                slug,
                name,
                at,
            } => {
                sqlx::query("INSERT INTO teams (id, org_id, slug, name, date_created) VALUES ($1, $2, $3, $4, $5)")
                    .bind(team_id)
                    .bind(org_id)
                    .bind(slug.as_str())
                    .bind(name)
                    .bind(at)
                    .execute(conn)
                    .await?;
            }
            TeamUpdated {
                team_id, name, slug, ..
            } => {
                sqlx::query(
                    "UPDATE teams SET name = coalesce($3, name), slug = coalesce($4, slug) WHERE id = $1 AND org_id = $2",
                )
                .bind(team_id)
                .bind(org_id)
                .bind(name)
                .bind(slug.as_ref().map(|s| s.as_str()))
                .execute(conn)
                .await?;
            }
            TeamDeleted { team_id, .. } => {
                sqlx::query("DELETE FROM team_members WHERE team_id = $1")
                    .bind(team_id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM teams WHERE id = $1 AND org_id = $2")
                    .bind(team_id)
                    .bind(org_id)
                    .execute(conn)
                    .await?;
            }
            TeamMemberAdded { team_id, member_id, .. } => {
                sqlx::query("INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)")
                    .bind(team_id)
                    .bind(member_id)
                    .execute(conn)
                    .await?;
            }
            TeamMemberRemoved { team_id, member_id, .. } => {
                sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND member_id = $2")
                    .bind(team_id)
                    .bind(member_id)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}
