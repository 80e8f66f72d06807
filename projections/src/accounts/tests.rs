//! The users projection and the sign-in queries on a real Postgres.

use faultline_domain::user::UserEvent;
use sqlx::PgPool;

use super::queries::auth::{owner_of_user, password_of};
use super::users::UsersProjection;
use crate::test_support::{apply_all, stored, t0};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaA";

fn created(user_id: i64, email: &str) -> UserEvent {
    UserEvent::UserCreated {
        user_id,
        email: email.into(),
        name: "Ada".into(),
        is_superuser: true,
        at: t0(),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_user_has_no_password_until_one_is_set(pool: PgPool) {
    let user = ("user", "1");
    apply_all(
        &UsersProjection,
        &pool,
        &[stored(1, user, "system:cli", created(1, "Ada@Example.com"))],
    )
    .await;
    assert_eq!(
        password_of(&pool, "ada@example.com").await.unwrap(),
        Some((1, None))
    );

    apply_all(
        &UsersProjection,
        &pool,
        &[stored(
            2,
            user,
            "system:cli",
            UserEvent::PasswordSet {
                password_hash: HASH.into(),
                at: t0(),
            },
        )],
    )
    .await;
    assert_eq!(
        password_of(&pool, "ADA@example.COM").await.unwrap(),
        Some((1, Some(HASH.to_owned())))
    );
    assert_eq!(password_of(&pool, "bob@example.com").await.unwrap(), None);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_owner_is_the_user_without_a_token(pool: PgPool) {
    apply_all(
        &UsersProjection,
        &pool,
        &[stored(
            1,
            ("user", "4"),
            "system:cli",
            created(4, "ada@example.com"),
        )],
    )
    .await;
    let owner = owner_of_user(&pool, 4).await.unwrap().unwrap();
    assert_eq!(owner.token_id, 0);
    assert!(owner.scopes.is_empty());
    assert_eq!(owner.user_id, 4);
    assert_eq!(owner.email, "ada@example.com");
    assert_eq!(owner.name, "Ada");
    assert!(owner.is_superuser);
    assert_eq!(owner.date_joined, t0());
    assert!(owner_of_user(&pool, 5).await.unwrap().is_none());
}
