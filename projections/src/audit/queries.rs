//! Reading the audit log of one organization, newest first.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

use crate::accounts::queries::{Page, Paged};

/// A user as the audit log shows them (actor or target), from the `users` read model.
#[derive(Debug, Clone)]
pub struct AuditUser {
    /// The user's id.
    pub id: i64,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// When the user joined.
    pub date_joined: DateTime<Utc>,
    /// Whether the user administers the instance.
    pub is_superuser: bool,
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// The row's id (the event's log position).
    pub id: i64,
    /// Sentry's event name (`project.create`).
    pub event: String,
    /// The metadata actor (`user:7`, `system:scheduler`).
    pub actor: String,
    /// The user behind the actor, when there is one.
    pub actor_user: Option<AuditUser>,
    /// The client address.
    pub ip_address: Option<String>,
    /// A sentence saying what happened.
    pub note: String,
    /// The id of what changed.
    pub target_object: Option<i64>,
    /// The user the change was about.
    pub target_user: Option<AuditUser>,
    /// The relevant payload fields.
    pub data: Value,
    /// When it happened.
    pub date_created: DateTime<Utc>,
}

/// What to list: `event` and `actor_user_id` narrow the list when given.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only rows of this event name.
    pub event: Option<String>,
    /// Only rows whose actor is this user.
    pub actor_user_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Flat {
    id: i64,
    event: String,
    actor: String,
    ip_address: Option<String>,
    note: String,
    target_object: Option<i64>,
    data: Value,
    date_created: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_email: Option<String>,
    actor_name: Option<String>,
    actor_joined: Option<DateTime<Utc>>,
    actor_superuser: Option<bool>,
    target_id: Option<i64>,
    target_email: Option<String>,
    target_name: Option<String>,
    target_joined: Option<DateTime<Utc>>,
    target_superuser: Option<bool>,
}

fn user(
    id: Option<i64>,
    email: Option<String>,
    name: Option<String>,
    joined: Option<DateTime<Utc>>,
    superuser: Option<bool>,
) -> Option<AuditUser> {
    Some(AuditUser {
        id: id?,
        email: email?,
        name: name?,
        date_joined: joined?,
        is_superuser: superuser?,
    })
}

impl From<Flat> for AuditRow {
    fn from(f: Flat) -> Self {
        AuditRow {
            id: f.id,
            event: f.event,
            actor: f.actor,
            actor_user: user(
                f.actor_id,
                f.actor_email,
                f.actor_name,
                f.actor_joined,
                f.actor_superuser,
            ),
            ip_address: f.ip_address,
            note: f.note,
            target_object: f.target_object,
            target_user: user(
                f.target_id,
                f.target_email,
                f.target_name,
                f.target_joined,
                f.target_superuser,
            ),
            data: f.data,
            date_created: f.date_created,
        }
    }
}

/// A page of organization `org_id`'s audit log, newest first.
pub async fn list(
    pool: &PgPool,
    org_id: i64,
    filter: &AuditFilter,
    page: Page,
) -> Result<Paged<AuditRow>, sqlx::Error> {
    let rows: Vec<Flat> = sqlx::query_as(
        "SELECT a.id, a.event, a.actor, a.ip_address, a.note, a.target_object, a.data,
                a.date_created,
                au.id AS actor_id, au.email AS actor_email, au.name AS actor_name,
                au.date_joined AS actor_joined, au.is_superuser AS actor_superuser,
                tu.id AS target_id, tu.email AS target_email, tu.name AS target_name,
                tu.date_joined AS target_joined, tu.is_superuser AS target_superuser
           FROM audit_log a
           LEFT JOIN users au ON au.id = a.actor_user_id
           LEFT JOIN users tu ON tu.id = a.target_user_id
          WHERE a.org_id = $1
            AND ($2::text IS NULL OR a.event = $2)
            AND ($3::bigint IS NULL OR a.actor_user_id = $3)
          ORDER BY a.date_created DESC, a.id DESC
          LIMIT $4 OFFSET $5",
    )
    .bind(org_id)
    .bind(filter.event.as_deref())
    .bind(filter.actor_user_id)
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(
        rows.into_iter().map(AuditRow::from).collect(),
        page,
    ))
}
