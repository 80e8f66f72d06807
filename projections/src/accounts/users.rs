//! `users` (with each user's web UI password hash) and `api_tokens`.

use async_trait::async_trait;
use faultline_domain::user::UserEvent;
use sqlx::PgConnection;

use super::numeric_id;
use crate::{Projection, ProjectionError, StoredEvent};

/// Projects user streams.
pub struct UsersProjection;

#[async_trait]
impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["user"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users", "api_tokens"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let user_id = numeric_id(event)?;
        match event.decode::<UserEvent>()? {
            UserEvent::UserCreated {
                email,
                name,
                is_superuser,
                at,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO users (id, email, name, is_superuser, date_joined) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(email)
                .bind(name)
                .bind(is_superuser)
                .bind(at)
                .execute(conn)
                .await?;
            }
            UserEvent::TokenIssued {
                token_id,
                token_hash,
                scopes,
                name,
                at,
            } => {
                let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
                sqlx::query(
                    "INSERT INTO api_tokens (id, user_id, token_hash, scopes, name, date_created)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_id)
                .bind(user_id)
                .bind(token_hash)
                .bind(scopes)
                .bind(name)
                .bind(at)
                .execute(conn)
                .await?;
            }
            UserEvent::TokenRevoked { token_id, .. } => {
                sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(token_id)
                    .bind(user_id)
                    .execute(conn)
                    .await?;
            }
            UserEvent::PasswordSet { password_hash, .. } => {
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(password_hash)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}
