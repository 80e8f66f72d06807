//! The `notifications` table (migration 0019, docs/alerts.md "The outbox"): claiming
//! due rows under a lease, and recording what an attempt came to.
//!
//! Every time here is the database's `now()`, so several processes with clocks
//! apart agree on what is due and when the retry horizon ends.

use std::time::Duration;

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::attempt::Attempt;

/// Notified at the commit of every insert into `notifications`.
pub const CHANNEL: &str = "faultline_notifications";

/// A claimed row: what a worker needs to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    /// The idempotency key.
    pub id: Uuid,
    /// `email`, `webhook`, `slack`, `discord`, `service_hook`.
    pub channel: String,
    /// The URL or email address.
    pub target: String,
    /// The signing key.
    pub secret: Option<String>,
    /// What to render.
    pub payload: Value,
    /// The service hook that fired.
    pub hook_id: Option<String>,
    /// Attempts before this one.
    pub attempts: i32,
}

/// Claims up to `limit` due pending rows for `lease`: nobody else claims them before
/// the lease ends, so each is sent by one worker at a time, and a worker that died
/// holding one leaves it to be claimed again afterwards.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as(
        "UPDATE notifications n
            SET claimed_until = now() + make_interval(secs => $2)
           FROM (SELECT id FROM notifications
                  WHERE state = 'pending' AND next_attempt_at <= now()
                    AND (claimed_until IS NULL OR claimed_until <= now())
                  ORDER BY next_attempt_at
                  LIMIT $1
                  FOR UPDATE SKIP LOCKED) due
          WHERE n.id = due.id
      RETURNING n.id, n.channel, n.target, n.secret, n.payload, n.hook_id, n.attempts",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// Gives claimed rows back at once (a worker stopping before it sent them).
pub async fn release(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notifications SET claimed_until = NULL WHERE id = ANY($1) AND state = 'pending'",
    )
    .bind(ids)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records `attempt` on row `id` and returns the row's new state (`None` when it
/// was no longer pending: a worker whose lease ran out and another's attempt
/// already settled it). A retry is due after `retry_in`, but never later than
/// `horizon` after the row was created; at the horizon, it fails instead.
pub async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    attempt: &Attempt,
    retry_in: Duration,
    horizon: Duration,
) -> sqlx::Result<Option<String>> {
    let query = match attempt {
        Attempt::Delivered { status } => sqlx::query_scalar(
            "UPDATE notifications
                SET state = 'delivered', attempts = attempts + 1, last_status = $2,
                    delivered_at = now(), claimed_until = NULL
              WHERE id = $1 AND state = 'pending'
          RETURNING state",
        )
        .bind(id)
        .bind(status),
        Attempt::Failed { error, status } => sqlx::query_scalar(
            "UPDATE notifications
                SET state = 'failed', attempts = attempts + 1, last_error = $2,
                    last_status = $3, claimed_until = NULL
              WHERE id = $1 AND state = 'pending'
          RETURNING state",
        )
        .bind(id)
        .bind(error)
        .bind(status),
        Attempt::Retry { error, status } => sqlx::query_scalar(
            "UPDATE notifications
                SET attempts = attempts + 1, last_status = $3, claimed_until = NULL,
                    state = CASE WHEN now() >= created_at + make_interval(secs => $5)
                                 THEN 'failed' ELSE 'pending' END,
                    last_error = CASE WHEN now() >= created_at + make_interval(secs => $5)
                                      THEN 'gave up after ' || (attempts + 1) || ' attempts: ' || $2
                                      ELSE $2 END,
                    next_attempt_at = LEAST(now() + make_interval(secs => $4),
                                            created_at + make_interval(secs => $5))
              WHERE id = $1 AND state = 'pending'
          RETURNING state",
        )
        .bind(id)
        .bind(error)
        .bind(status)
        .bind(retry_in.as_secs_f64())
        .bind(horizon.as_secs_f64()),
        Attempt::Dropped { reason } => sqlx::query_scalar(
            "UPDATE notifications
                SET state = 'dropped', last_error = $2, claimed_until = NULL
              WHERE id = $1 AND state = 'pending'
          RETURNING state",
        )
        .bind(id)
        .bind(reason),
    };
    query.fetch_optional(conn).await
}

/// Advisory lock namespace of the per-recipient email cap (the scheduler's is 0x0FA1).
const EMAIL_CAP_LOCK: i32 = 0x0FA2;

/// Serialises, until the transaction of `conn` ends, every worker's cap check and
/// send for the recipient `address`, in every process; waits at most `wait`.
pub async fn lock_recipient(
    conn: &mut PgConnection,
    address: &str,
    wait: Duration,
) -> sqlx::Result<()> {
    sqlx::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(format!("{}ms", wait.as_millis().max(1)))
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))")
        .bind(EMAIL_CAP_LOCK)
        .bind(address)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Emails delivered to `address` (case-insensitively) in the last hour.
pub async fn emails_sent_last_hour(conn: &mut PgConnection, address: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications
          WHERE channel = 'email' AND state = 'delivered' AND lower(target) = lower($1)
            AND delivered_at > now() - interval '1 hour'",
    )
    .bind(address)
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn insert(pool: &PgPool, created_ago_secs: f64) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO notifications (id, org_id, project_id, channel, target, payload, created_at)
             VALUES ($1, 1, 1, 'webhook', 'http://example.com/', '{}', now() - make_interval(secs => $2))",
        )
        .bind(id)
        .bind(created_ago_secs)
        .execute(pool)
        .await
        .unwrap();
        id
    }

    async fn row(pool: &PgPool, id: Uuid) -> (String, i32, Option<String>, Option<i32>) {
        sqlx::query_as(
            "SELECT state, attempts, last_error, last_status FROM notifications WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    const LEASE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(86_400);

    #[sqlx::test(migrations = "../migrations")]
    async fn a_claimed_row_is_not_claimed_again_while_its_lease_lasts(pool: PgPool) {
        let id = insert(&pool, 0.0).await;

        let first = claim(&pool, 10, LEASE).await.unwrap();
        let second = claim(&pool, 10, LEASE).await.unwrap();

        assert_eq!(first.iter().map(|n| n.id).collect::<Vec<_>>(), vec![id]);
        assert!(second.is_empty());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_released_row_is_claimed_again_at_once(pool: PgPool) {
        let id = insert(&pool, 0.0).await;
        claim(&pool, 10, LEASE).await.unwrap();

        release(&pool, &[id]).await.unwrap();

        assert_eq!(claim(&pool, 10, LEASE).await.unwrap().len(), 1);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_delivered_row_counts_its_attempt_and_is_never_claimed_again(pool: PgPool) {
        let id = insert(&pool, 0.0).await;
        claim(&pool, 10, LEASE).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();

        let state = record(
            &mut conn,
            id,
            &Attempt::Delivered { status: Some(204) },
            Duration::ZERO,
            DAY,
        )
        .await
        .unwrap();
        release(&pool, &[id]).await.unwrap();

        assert_eq!(state.as_deref(), Some("delivered"));
        assert_eq!(
            row(&pool, id).await,
            ("delivered".into(), 1, None, Some(204))
        );
        assert!(claim(&pool, 10, LEASE).await.unwrap().is_empty());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_retry_is_due_after_its_wait(pool: PgPool) {
        let id = insert(&pool, 0.0).await;
        let mut conn = pool.acquire().await.unwrap();
        let attempt = Attempt::Retry {
            error: "receiver answered 503".into(),
            status: Some(503),
        };

        let state = record(&mut conn, id, &attempt, Duration::from_secs(600), DAY)
            .await
            .unwrap();

        assert_eq!(state.as_deref(), Some("pending"));
        assert_eq!(
            row(&pool, id).await,
            (
                "pending".into(),
                1,
                Some("receiver answered 503".into()),
                Some(503)
            )
        );
        assert!(claim(&pool, 10, LEASE).await.unwrap().is_empty());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_retry_is_never_scheduled_past_the_horizon(pool: PgPool) {
        let id = insert(&pool, 0.0).await;
        let mut conn = pool.acquire().await.unwrap();
        let attempt = Attempt::Retry {
            error: "timed out".into(),
            status: None,
        };

        record(
            &mut conn,
            id,
            &attempt,
            Duration::from_secs(3600),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;

        assert_eq!(claim(&pool, 10, LEASE).await.unwrap().len(), 1);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_failure_after_the_horizon_gives_up(pool: PgPool) {
        let id = insert(&pool, 90_000.0).await;
        let mut conn = pool.acquire().await.unwrap();
        let attempt = Attempt::Retry {
            error: "connection refused".into(),
            status: None,
        };

        let state = record(&mut conn, id, &attempt, Duration::from_secs(1), DAY)
            .await
            .unwrap();

        assert_eq!(state.as_deref(), Some("failed"));
        assert_eq!(
            row(&pool, id).await.2.as_deref(),
            Some("gave up after 1 attempts: connection refused")
        );
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_settled_row_is_not_changed_by_a_late_attempt(pool: PgPool) {
        let id = insert(&pool, 0.0).await;
        let mut conn = pool.acquire().await.unwrap();
        record(
            &mut conn,
            id,
            &Attempt::Delivered { status: Some(200) },
            Duration::ZERO,
            DAY,
        )
        .await
        .unwrap();

        let late = Attempt::Failed {
            error: "gone".into(),
            status: Some(410),
        };
        let state = record(&mut conn, id, &late, Duration::ZERO, DAY)
            .await
            .unwrap();

        assert_eq!(state, None);
        assert_eq!(row(&pool, id).await.0, "delivered");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn only_delivered_emails_of_the_last_hour_count_towards_the_cap(pool: PgPool) {
        for (state, delivered_ago) in [
            ("delivered", 60),
            ("delivered", 3000),
            ("delivered", 4000),
            ("dropped", 60),
        ] {
            sqlx::query(
                "INSERT INTO notifications (id, org_id, project_id, channel, target, payload, state, delivered_at)
                 VALUES ($1, 1, 1, 'email', 'Dev@Example.com', '{}', $2, now() - make_interval(secs => $3))",
            )
            .bind(Uuid::new_v4())
            .bind(state)
            .bind(f64::from(delivered_ago))
            .execute(&pool)
            .await
            .unwrap();
        }
        let mut conn = pool.acquire().await.unwrap();

        let sent = emails_sent_last_hour(&mut conn, "dev@example.com")
            .await
            .unwrap();

        assert_eq!(sent, 2);
    }
}
