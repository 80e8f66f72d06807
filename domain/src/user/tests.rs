//! Given/when/then tests of the user aggregate.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;

use super::*;

type UserTest = TestFramework<User>;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn created() -> UserEvent {
    UserEvent::UserCreated {
        user_id: 1,
        email: "ada@example.com".into(),
        name: "Ada".into(),
        is_superuser: true,
        at: at(),
    }
}

fn scopes() -> BTreeSet<Scope> {
    [Scope::ProjectRead, Scope::ProjectReleases].into()
}

fn issue_token(token_id: i64) -> UserCommand {
    UserCommand::IssueToken {
        token_id,
        token_hash: HASH.into(),
        scopes: scopes(),
        name: Some("ci".into()),
        at: at(),
    }
}

fn token_issued(token_id: i64) -> UserEvent {
    UserEvent::TokenIssued {
        token_id,
        token_hash: HASH.into(),
        scopes: scopes(),
        name: Some("ci".into()),
        at: at(),
    }
}

#[test]
fn creating_a_user_records_its_profile() {
    UserTest::with(())
        .given_no_previous_events()
        .when(UserCommand::CreateUser {
            user_id: 1,
            email: "ada@example.com".into(),
            name: "Ada".into(),
            is_superuser: true,
            at: at(),
        })
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_an_existing_user_is_rejected() {
    UserTest::with(())
        .given(vec![created()])
        .when(UserCommand::CreateUser {
            user_id: 1,
            email: "other@example.com".into(),
            name: "Other".into(),
            is_superuser: false,
            at: at(),
        })
        .then_expect_error(UserError::AlreadyExists);
}

#[test]
fn issuing_a_token_records_its_hash_and_scopes() {
    UserTest::with(())
        .given(vec![created()])
        .when(issue_token(7))
        .then_expect_events(vec![token_issued(7)]);
}

#[test]
fn issuing_a_token_to_an_unknown_user_is_rejected() {
    UserTest::with(())
        .given_no_previous_events()
        .when(issue_token(7))
        .then_expect_error(UserError::NotFound);
}

#[test]
fn issuing_a_token_without_scopes_is_rejected() {
    UserTest::with(())
        .given(vec![created()])
        .when(UserCommand::IssueToken {
            token_id: 7,
            token_hash: HASH.into(),
            scopes: BTreeSet::new(),
            name: None,
            at: at(),
        })
        .then_expect_error(UserError::EmptyScopes);
}

#[test]
fn issuing_a_token_with_a_malformed_hash_is_rejected() {
    UserTest::with(())
        .given(vec![created()])
        .when(UserCommand::IssueToken {
            token_id: 7,
            token_hash: "sntryu_plaintext-secret".into(),
            scopes: scopes(),
            name: None,
            at: at(),
        })
        .then_expect_error(UserError::InvalidTokenHash);
}

#[test]
fn reusing_a_token_id_is_rejected() {
    UserTest::with(())
        .given(vec![created(), token_issued(7)])
        .when(issue_token(7))
        .then_expect_error(UserError::TokenAlreadyExists(7));
}

#[test]
fn revoking_a_token_records_the_revocation() {
    UserTest::with(())
        .given(vec![created(), token_issued(7)])
        .when(UserCommand::RevokeToken {
            token_id: 7,
            at: at(),
        })
        .then_expect_events(vec![UserEvent::TokenRevoked {
            token_id: 7,
            at: at(),
        }]);
}

#[test]
fn revoking_an_unknown_token_is_rejected() {
    UserTest::with(())
        .given(vec![created()])
        .when(UserCommand::RevokeToken {
            token_id: 8,
            at: at(),
        })
        .then_expect_error(UserError::TokenNotFound(8));
}

#[test]
fn revoking_a_token_twice_is_rejected() {
    UserTest::with(())
        .given(vec![
            created(),
            token_issued(7),
            UserEvent::TokenRevoked {
                token_id: 7,
                at: at(),
            },
        ])
        .when(UserCommand::RevokeToken {
            token_id: 7,
            at: at(),
        })
        .then_expect_error(UserError::TokenAlreadyRevoked(7));
}

#[test]
fn revoking_a_token_of_an_unknown_user_is_rejected() {
    UserTest::with(())
        .given_no_previous_events()
        .when(UserCommand::RevokeToken {
            token_id: 7,
            at: at(),
        })
        .then_expect_error(UserError::NotFound);
}

/// An Argon2id PHC string shaped as the `argon2` crate's defaults make them.
const PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";

fn set_password(password_hash: &str) -> UserCommand {
    UserCommand::SetPassword {
        password_hash: password_hash.into(),
        at: at(),
    }
}

#[test]
fn setting_a_password_records_its_hash() {
    UserTest::with(())
        .given(vec![created()])
        .when(set_password(PASSWORD_HASH))
        .then_expect_events(vec![UserEvent::PasswordSet {
            password_hash: PASSWORD_HASH.into(),
            at: at(),
        }]);
}

#[test]
fn setting_a_password_again_replaces_it() {
    UserTest::with(())
        .given(vec![
            created(),
            UserEvent::PasswordSet {
                password_hash: PASSWORD_HASH.into(),
                at: at(),
            },
        ])
        .when(set_password(PASSWORD_HASH))
        .then_expect_events(vec![UserEvent::PasswordSet {
            password_hash: PASSWORD_HASH.into(),
            at: at(),
        }]);
}

#[test]
fn setting_a_password_of_an_unknown_user_is_rejected() {
    UserTest::with(())
        .given_no_previous_events()
        .when(set_password(PASSWORD_HASH))
        .then_expect_error(UserError::NotFound);
}

#[test]
fn setting_a_plaintext_password_is_rejected() {
    UserTest::with(())
        .given(vec![created()])
        .when(set_password("hunter22hunter"))
        .then_expect_error(UserError::InvalidPasswordHash);
}

#[test]
fn setting_a_password_hashed_with_another_algorithm_is_rejected() {
    for hash in [
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        HASH,
    ] {
        UserTest::with(())
            .given(vec![created()])
            .when(set_password(hash))
            .then_expect_error(UserError::InvalidPasswordHash);
    }
}

#[test]
fn setting_a_truncated_or_spaced_argon2id_hash_is_rejected() {
    for hash in [
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Gp Z3 hunter2",
    ] {
        UserTest::with(())
            .given(vec![created()])
            .when(set_password(hash))
            .then_expect_error(UserError::InvalidPasswordHash);
    }
}

#[test]
fn the_password_set_event_is_named_after_its_variant_at_version_one() {
    use cqrs_es::DomainEvent;
    let event = UserEvent::PasswordSet {
        password_hash: PASSWORD_HASH.into(),
        at: at(),
    };
    assert_eq!(event.event_type(), "PasswordSet");
    assert_eq!(event.event_version(), "1.0");
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["PasswordSet"]["password_hash"], PASSWORD_HASH);
}

#[test]
fn the_state_keeps_revoked_tokens_with_their_scopes() {
    let mut user = User::default();
    for event in [
        created(),
        token_issued(7),
        UserEvent::TokenRevoked {
            token_id: 7,
            at: at(),
        },
    ] {
        user.apply(event);
    }
    let token = user.token(7).unwrap();
    assert!(token.revoked);
    assert_eq!(token.scopes, scopes());
    assert_eq!(user.user_id(), Some(1));
}

#[test]
fn events_are_named_after_their_variant_at_version_one() {
    use cqrs_es::DomainEvent;
    assert_eq!(token_issued(7).event_type(), "TokenIssued");
    assert_eq!(created().event_version(), "1.0");
}

#[test]
fn a_stored_token_issued_payload_still_reads() {
    let json = format!(
        r#"{{"TokenIssued":{{"token_id":7,"token_hash":"{HASH}","scopes":["project:read","project:releases"],"name":"ci","at":"2026-01-01T00:00:00Z"}}}}"#
    );
    let event: UserEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(event, token_issued(7));
}
