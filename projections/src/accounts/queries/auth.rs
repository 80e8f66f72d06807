//! Who is calling: API tokens and users.

use sqlx::PgPool;

/// The user and scopes behind an API token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    /// The token's id.
    pub token_id: i64,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// The user's id.
    pub user_id: i64,
    /// The user's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// Whether the user administers the instance.
    pub is_superuser: bool,
    /// When the user joined.
    pub date_joined: chrono::DateTime<chrono::Utc>,
}

/// The owner of the token whose SHA-256 is `token_hash`.
pub async fn token_owner(
    pool: &PgPool,
    token_hash: &str,
) -> Result<Option<TokenOwner>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.id AS token_id, t.scopes, u.id AS user_id, u.email, u.name, u.is_superuser, u.date_joined
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
}

/// A user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// The user's id.
    pub id: i64,
    /// The user's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// Whether the user administers the instance.
    pub is_superuser: bool,
    /// When the user joined.
    pub date_joined: chrono::DateTime<chrono::Utc>,
}

/// The user with this email (case-insensitive).
pub async fn user_by_email(pool: &PgPool, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, name, is_superuser, date_joined FROM users WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// An API token as its owner sees it (never the secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// The token's id.
    pub id: i64,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Its label.
    pub name: Option<String>,
    /// When it was issued.
    pub date_created: chrono::DateTime<chrono::Utc>,
}

/// The tokens of user `user_id`.
pub async fn tokens_of(pool: &PgPool, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, scopes, name, date_created FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// The id and password hash of the user with this email (case-insensitive, as the
/// `users_email` index and `user_by_email` compare): `None` for an unknown email, a
/// `None` hash for a user who never set a password (who cannot sign in to the web UI).
pub async fn password_of(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, password_hash FROM users WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// User `user_id` as the caller of a web UI request, in the shape a token's owner has,
/// so that a session and a token are checked by the same code. A session is no token:
/// `token_id` is 0 and `scopes` is empty, and the web UI decides which scopes a
/// session carries.
pub async fn owner_of_user(pool: &PgPool, user_id: i64) -> Result<Option<TokenOwner>, sqlx::Error> {
    sqlx::query_as(
        "SELECT 0::bigint AS token_id, '{}'::text[] AS scopes, id AS user_id, email, name,
                is_superuser, date_joined
           FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}
