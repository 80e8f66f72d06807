//! The audit projection's own lookups, fed from the events it reads. Rows stay after
//! the thing is deleted, so a later removal can still name it.

use sqlx::PgConnection;

use crate::ProjectionError;

type Result<T> = std::result::Result<T, ProjectionError>;

/// A lookup table that names one kind of thing: `(table, key column, name column)`.
type Lookup = (&'static str, &'static str, &'static str);

const USERS: Lookup = ("audit_users", "user_id", "email");
const TEAMS: Lookup = ("audit_teams", "team_id", "slug");
const WORKFLOWS: Lookup = ("audit_workflows", "workflow_id", "name");
const SERVICE_HOOKS: Lookup = ("audit_service_hooks", "hook_id", "url");

/// Remembers (or renames) what `key` is called.
async fn remember<K>(
    conn: &mut PgConnection,
    (table, key_column, name_column): Lookup,
    key: K,
    name: &str,
) -> Result<()>
where
    K: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    sqlx::query(&format!(
        "INSERT INTO {table} ({key_column}, {name_column}) VALUES ($1, $2)
         ON CONFLICT ({key_column}) DO UPDATE SET {name_column} = excluded.{name_column}"
    ))
    .bind(key)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// What `key` is called, if it was ever seen.
async fn recall<K>(
    conn: &mut PgConnection,
    (table, key_column, name_column): Lookup,
    key: K,
) -> Result<Option<String>>
where
    K: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    Ok(sqlx::query_scalar(&format!(
        "SELECT {name_column} FROM {table} WHERE {key_column} = $1"
    ))
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// The user a token belongs to.
pub async fn token_user(conn: &mut PgConnection, token_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM audit_tokens WHERE token_id = $1")
            .bind(token_id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn remember_user(conn: &mut PgConnection, user_id: i64, email: &str) -> Result<()> {
    remember(conn, USERS, user_id, email).await
}

pub async fn remember_token(conn: &mut PgConnection, token_id: i64, user_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_tokens (token_id, user_id) VALUES ($1, $2)
         ON CONFLICT (token_id) DO UPDATE SET user_id = excluded.user_id",
    )
    .bind(token_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's email, or `user #<id>` for one never seen.
pub async fn user_email(conn: &mut PgConnection, user_id: i64) -> Result<String> {
    let email = recall(conn, USERS, user_id).await?;
    Ok(email.unwrap_or_else(|| format!("user #{user_id}")))
}

pub async fn remember_member(
    conn: &mut PgConnection,
    member_id: i64,
    user_id: i64,
    email: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_members (member_id, user_id, email) VALUES ($1, $2, $3)
         ON CONFLICT (member_id) DO UPDATE SET user_id = excluded.user_id, email = excluded.email",
    )
    .bind(member_id)
    .bind(user_id)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member's user and email.
pub async fn member(conn: &mut PgConnection, member_id: i64) -> Result<(Option<i64>, String)> {
    let found: Option<(i64, String)> =
        sqlx::query_as("SELECT user_id, email FROM audit_members WHERE member_id = $1")
            .bind(member_id)
            .fetch_optional(conn)
            .await?;
    Ok(match found {
        Some((user_id, email)) => (Some(user_id), email),
        None => (None, format!("member #{member_id}")),
    })
}

pub async fn remember_team(conn: &mut PgConnection, team_id: i64, slug: &str) -> Result<()> {
    remember(conn, TEAMS, team_id, slug).await
}

/// A team's slug, or its id for one never seen.
pub async fn team_slug(conn: &mut PgConnection, team_id: i64) -> Result<String> {
    let slug = recall(conn, TEAMS, team_id).await?;
    Ok(slug.unwrap_or_else(|| team_id.to_string()))
}

pub async fn remember_project(
    conn: &mut PgConnection,
    project_id: i64,
    org_id: i64,
    slug: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_projects (project_id, org_id, slug) VALUES ($1, $2, $3)
         ON CONFLICT (project_id) DO UPDATE SET org_id = excluded.org_id, slug = excluded.slug",
    )
    .bind(project_id)
    .bind(org_id)
    .bind(slug)
    .execute(conn)
    .await?;
    Ok(())
}

/// A project's organization and slug; a project event before its creation is a
/// broken log.
pub async fn project(conn: &mut PgConnection, project_id: i64) -> Result<(i64, String)> {
    sqlx::query_as("SELECT org_id, slug FROM audit_projects WHERE project_id = $1")
        .bind(project_id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| ProjectionError::Invalid(format!("project {project_id} never created")))
}

/// The issue a stream currently holds.
#[derive(Debug)]
pub struct StreamIssue {
    pub org_id: i64,
    pub issue_id: i64,
    pub short_id: String,
}

pub async fn remember_issue(
    conn: &mut PgConnection,
    stream_id: &str,
    (org_id, project_id, issue_id, short_number): (i64, i64, i64, i64),
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_issues (stream_id, org_id, project_id, issue_id, short_number)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (stream_id) DO UPDATE
            SET org_id = excluded.org_id, project_id = excluded.project_id,
                issue_id = excluded.issue_id, short_number = excluded.short_number",
    )
    .bind(stream_id)
    .bind(org_id)
    .bind(project_id)
    .bind(issue_id)
    .bind(short_number)
    .execute(conn)
    .await?;
    Ok(())
}

/// The issue of `stream_id`, with its short id as of now (the project's current
/// slug); a workflow event on a stream never opened is a broken log.
pub async fn issue(conn: &mut PgConnection, stream_id: &str) -> Result<StreamIssue> {
    let found: Option<(i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT i.org_id, i.issue_id, i.short_number, p.slug
           FROM audit_issues i LEFT JOIN audit_projects p ON p.project_id = i.project_id
          WHERE i.stream_id = $1",
    )
    .bind(stream_id)
    .fetch_optional(conn)
    .await?;
    let (org_id, issue_id, short_number, slug) = found.ok_or_else(|| {
        ProjectionError::Invalid(format!("issue stream {stream_id} never opened"))
    })?;
    Ok(StreamIssue {
        org_id,
        issue_id,
        short_id: faultline_domain::issue::short_id(
            slug.as_deref().unwrap_or("issue"),
            short_number,
        ),
    })
}

/// `name`, remembered as what `key` is called; without one, what `key` was called.
async fn named<K>(
    conn: &mut PgConnection,
    lookup: Lookup,
    key: K,
    name: Option<String>,
) -> Result<Option<String>>
where
    K: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    match name {
        Some(name) => {
            remember(conn, lookup, key, &name).await?;
            Ok(Some(name))
        }
        None => recall(conn, lookup, key).await,
    }
}

/// A workflow's name, `name` if the event carries it (then remembered), else the
/// last one seen, or `#<id>`.
pub async fn workflow_name(
    conn: &mut PgConnection,
    workflow_id: i64,
    name: Option<String>,
) -> Result<String> {
    let name = named(conn, WORKFLOWS, workflow_id, name).await?;
    Ok(name.unwrap_or_else(|| format!("#{workflow_id}")))
}

/// A service hook's URL, `url` if the event carries it (then remembered), else the
/// last one seen, or the hook's id.
pub async fn service_hook_url(
    conn: &mut PgConnection,
    hook_id: &str,
    url: Option<String>,
) -> Result<String> {
    let url = named(conn, SERVICE_HOOKS, hook_id, url).await?;
    Ok(url.unwrap_or_else(|| hook_id.to_owned()))
}
