//! Numeric ids for new aggregates and entities, as Sentry shows them ("42").

use sqlx::PgPool;

/// What an id is for; each kind counts on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A user.
    User,
    /// An API token.
    Token,
    /// An organization.
    Organization,
    /// An organization membership.
    Member,
    /// A team.
    Team,
    /// A project.
    Project,
    /// A comment on an issue.
    Comment,
    /// An alert workflow.
    Workflow,
    /// A release.
    Release,
    /// A deploy of a release.
    Deploy,
}

impl IdKind {
    fn sequence(self) -> &'static str {
        match self {
            IdKind::User => "user_ids",
            IdKind::Token => "token_ids",
            IdKind::Organization => "organization_ids",
            IdKind::Member => "member_ids",
            IdKind::Team => "team_ids",
            IdKind::Project => "project_ids",
            IdKind::Comment => "comment_ids",
            IdKind::Workflow => "workflow_ids",
            IdKind::Release => "release_ids",
            IdKind::Deploy => "deploy_ids",
        }
    }
}

/// The next id of `kind` (never reused, even if the command using it fails).
pub async fn next_id(pool: &PgPool, kind: IdKind) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT nextval($1::regclass)")
        .bind(kind.sequence())
        .fetch_one(pool)
        .await
}
