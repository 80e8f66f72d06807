//! Reading the `notifications` outbox (migration 0019) for the API. Not a
//! projection: the alerting reactor writes the rows and `faultline-notify` updates
//! them; this only lists them, scoped by organization.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::accounts::queries::{Page, Paged};

/// The states a notification can be in.
pub const STATES: [&str; 4] = ["pending", "delivered", "failed", "dropped"];

/// One notification, as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// The idempotency key.
    pub id: Uuid,
    /// `email`, `webhook`, `slack`, `discord`, `service_hook`.
    pub channel: String,
    /// The email address or URL, as stored.
    pub target: String,
    /// `pending`, `delivered`, `failed`, `dropped`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// What went wrong last (kept after a later success).
    pub last_error: Option<String>,
    /// The last HTTP status (SMTP reply code for email).
    pub last_status: Option<i32>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The workflow that fired.
    pub workflow_id: Option<String>,
    /// The service hook that fired.
    pub hook_id: Option<String>,
    /// The issue it is about.
    pub issue_id: Option<i64>,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only this state (one of [`STATES`]).
    pub state: Option<String>,
    /// Only those of this workflow.
    pub workflow_id: Option<String>,
}

/// A page of organization `org_id`'s notifications, newest first.
pub async fn list(
    pool: &sqlx::PgPool,
    org_id: i64,
    filter: &NotificationFilter,
    page: Page,
) -> Result<Paged<NotificationRow>, sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT id, channel, target, state, attempts, last_error, last_status, created_at,
                delivered_at, workflow_id, hook_id, issue_id
           FROM notifications
          WHERE org_id = $1
            AND ($2::text IS NULL OR state = $2)
            AND ($3::text IS NULL OR workflow_id = $3)
          ORDER BY created_at DESC, id DESC
          LIMIT $4 OFFSET $5",
    )
    .bind(org_id)
    .bind(filter.state.as_deref())
    .bind(filter.workflow_id.as_deref())
    .bind(page.limit + 1)
    .bind(page.offset)
    .fetch_all(pool)
    .await?;
    Ok(Paged::from_overfetch(rows, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn insert(
        pool: &sqlx::PgPool,
        org_id: i64,
        state: &str,
        workflow: &str,
        age: i32,
    ) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO notifications (id, org_id, project_id, issue_id, workflow_id, channel,
                                        target, payload, state, created_at)
             VALUES ($1, $2, 1, 5, $3, 'webhook', 'https://example.com/hook', '{}', $4,
                     now() - make_interval(secs => $5))",
        )
        .bind(id)
        .bind(org_id)
        .bind(workflow)
        .bind(state)
        .bind(f64::from(age))
        .execute(pool)
        .await
        .unwrap();
        id
    }

    fn page(limit: i64, offset: i64) -> Page {
        Page { limit, offset }
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_organization_lists_only_its_own_notifications_newest_first(pool: sqlx::PgPool) {
        let old = insert(&pool, 1, "delivered", "7", 60).await;
        let new = insert(&pool, 1, "pending", "7", 0).await;
        insert(&pool, 2, "pending", "7", 30).await;

        let found = list(&pool, 1, &NotificationFilter::default(), page(10, 0))
            .await
            .unwrap();

        let ids: Vec<Uuid> = found.rows.iter().map(|row| row.id).collect();
        assert_eq!(ids, vec![new, old]);
        assert!(!found.has_more);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn state_and_workflow_narrow_the_list_and_pages_follow_on(pool: sqlx::PgPool) {
        let failed = insert(&pool, 1, "failed", "7", 30).await;
        insert(&pool, 1, "failed", "8", 20).await;
        insert(&pool, 1, "delivered", "7", 10).await;
        let filter = NotificationFilter {
            state: Some("failed".into()),
            workflow_id: Some("7".into()),
        };

        let found = list(&pool, 1, &filter, page(10, 0)).await.unwrap();
        let first = list(&pool, 1, &NotificationFilter::default(), page(2, 0))
            .await
            .unwrap();
        let second = list(&pool, 1, &NotificationFilter::default(), page(2, 2))
            .await
            .unwrap();

        assert_eq!(
            found.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![failed]
        );
        assert_eq!((first.rows.len(), first.has_more), (2, true));
        assert_eq!(
            second.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![failed]
        );
        assert!(!second.has_more);
    }
}
