//! Web UI sessions in `ui_sessions` (migration 0033): operational state, not a read
//! model. Signing in is no fact about the domain, so it never enters the log; a
//! password change (`UserEvent::PasswordSet`) is, and the caller that sets one revokes
//! the user's sessions here with [`revoke_all`].
//!
//! The browser holds the session's secret (in the `fl_session` cookie); the table
//! holds only its hex SHA-256 ([`hash_token`], as API tokens are stored), so a copy of
//! the table or a backup signs nobody in. The secret has 256 random bits, so a plain
//! hash is enough: there is nothing to guess that a slow hash would protect.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::secrets::hash_token;

/// A session just started: what goes to the browser, shown once.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session's secret, for the cookie: 64 lowercase hex characters.
    pub secret: String,
    /// The session's CSRF token, for the hidden `csrf` field of its forms: 64
    /// lowercase hex characters, independent of the secret.
    pub csrf: String,
}

/// A live session (not revoked, not expired).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// The signed-in user.
    pub user_id: i64,
    /// The CSRF token its forms must carry.
    pub csrf: String,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// 32 bytes from the OS generator as 64 lowercase hex characters.
fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts a session of `user_id` valid for `ttl` from now (the database's clock, which
/// [`lookup`] compares against). `ip` and `user_agent` are kept only to show a user
/// where they are signed in.
pub async fn start(
    pool: &PgPool,
    user_id: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
    ttl: chrono::Duration,
) -> Result<NewSession, sqlx::Error> {
    let session = NewSession {
        secret: random_hex(),
        csrf: random_hex(),
    };
    sqlx::query(
        "INSERT INTO ui_sessions (id_hash, user_id, csrf_token, expires_at, ip_address, user_agent)
         VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5, $6)",
    )
    .bind(hash_token(&session.secret))
    .bind(user_id)
    .bind(&session.csrf)
    .bind(ttl.num_milliseconds())
    .bind(ip)
    .bind(user_agent)
    .execute(pool)
    .await?;
    Ok(session)
}

/// The live session whose secret is `secret`: `None` when there is none, or it was
/// revoked, or it expired. Called on every UI request, so `last_seen_at` is written
/// only when it is more than a minute old: a page and its redirects then cost one
/// write a minute, not one each, and "last seen" stays right to the minute. One
/// statement: the update is a data-modifying CTE over the row it read.
pub async fn lookup(pool: &PgPool, secret: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH live AS (
             SELECT id_hash, user_id, csrf_token, expires_at, last_seen_at
               FROM ui_sessions
              WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > now()
         ), seen AS (
             UPDATE ui_sessions s SET last_seen_at = now()
               FROM live
              WHERE s.id_hash = live.id_hash
                AND live.last_seen_at < now() - interval '1 minute'
         )
         SELECT user_id, csrf_token AS csrf, expires_at FROM live",
    )
    .bind(hash_token(secret))
    .fetch_optional(pool)
    .await
}

/// Revokes the session whose secret is `secret` (signing out). Whether a live session
/// was revoked: signing out twice, or with an unknown cookie, is no error.
pub async fn revoke(pool: &PgPool, secret: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE ui_sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_token(secret))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes every session of `user_id` (a new password signs the user out
/// everywhere, so a stolen cookie dies with the old password). How many were live.
pub async fn revoke_all(pool: &PgPool, user_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE ui_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How long an ended session's row is kept (for a person asking where they were
/// signed in), in days.
pub const ENDED_KEPT_DAYS: i32 = 30;

/// Deletes the rows of sessions that ended (expired or revoked) more than
/// [`ENDED_KEPT_DAYS`] ago; a retention pass calls it. How many went.
pub async fn purge_ended(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM ui_sessions
          WHERE least(expires_at, coalesce(revoked_at, expires_at)) < now() - make_interval(days => $1)",
    )
    .bind(ENDED_KEPT_DAYS)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour() -> chrono::Duration {
        chrono::Duration::hours(1)
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_started_session_is_found_by_its_secret_and_stores_only_its_hash(pool: PgPool) {
        let session = start(&pool, 7, Some("10.0.0.1"), Some("test"), hour())
            .await
            .unwrap();
        assert_eq!(session.secret.len(), 64);
        assert_eq!(session.csrf.len(), 64);
        assert!(session.secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(session.secret, session.csrf);
        let found = lookup(&pool, &session.secret).await.unwrap().unwrap();
        assert_eq!(found.user_id, 7);
        assert_eq!(found.csrf, session.csrf);
        assert!(found.expires_at > Utc::now() + chrono::Duration::minutes(59));
        let stored: String = sqlx::query_scalar("SELECT id_hash FROM ui_sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(stored, hash_token(&session.secret));
        assert!(lookup(&pool, &random_hex()).await.unwrap().is_none());
        assert!(lookup(&pool, &stored).await.unwrap().is_none());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_expired_session_is_not_found(pool: PgPool) {
        let session = start(&pool, 7, None, None, chrono::Duration::seconds(-1))
            .await
            .unwrap();
        assert!(lookup(&pool, &session.secret).await.unwrap().is_none());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn last_seen_moves_only_once_it_is_a_minute_old(pool: PgPool) {
        let session = start(&pool, 7, None, None, hour()).await.unwrap();
        let last_seen = || async {
            sqlx::query_scalar::<_, DateTime<Utc>>("SELECT last_seen_at FROM ui_sessions")
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        let set_back = "UPDATE ui_sessions SET last_seen_at = now() - interval '30 seconds'";
        sqlx::query(set_back).execute(&pool).await.unwrap();
        let recent = last_seen().await;
        lookup(&pool, &session.secret).await.unwrap().unwrap();
        assert_eq!(last_seen().await, recent);

        sqlx::query("UPDATE ui_sessions SET last_seen_at = now() - interval '5 minutes'")
            .execute(&pool)
            .await
            .unwrap();
        let old = last_seen().await;
        lookup(&pool, &session.secret).await.unwrap().unwrap();
        assert!(last_seen().await > old + chrono::Duration::minutes(4));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_revoked_session_is_not_found(pool: PgPool) {
        let session = start(&pool, 7, None, None, hour()).await.unwrap();
        assert!(revoke(&pool, &session.secret).await.unwrap());
        assert!(lookup(&pool, &session.secret).await.unwrap().is_none());
        assert!(!revoke(&pool, &session.secret).await.unwrap());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn revoking_all_of_a_users_sessions_leaves_other_users_signed_in(pool: PgPool) {
        let first = start(&pool, 7, None, None, hour()).await.unwrap();
        let second = start(&pool, 7, None, None, hour()).await.unwrap();
        let other = start(&pool, 8, None, None, hour()).await.unwrap();
        revoke(&pool, &second.secret).await.unwrap();
        assert_eq!(revoke_all(&pool, 7).await.unwrap(), 1);
        assert!(lookup(&pool, &first.secret).await.unwrap().is_none());
        assert!(lookup(&pool, &other.secret).await.unwrap().is_some());
        assert_eq!(revoke_all(&pool, 7).await.unwrap(), 0);
    }
}
