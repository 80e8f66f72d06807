//! Events in the life of a user.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::role::Scope;

/// Something that happened to a user.
///
/// Stored externally tagged, for example
/// `{"TokenRevoked":{"token_id":7,"at":"2026-01-02T03:04:05Z"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// A user was registered.
    UserCreated {
        /// The user's id.
        user_id: i64,
        /// The user's email address.
        email: String,
        /// The user's display name.
        name: String,
        /// Whether the user administers the whole instance.
        is_superuser: bool,
        /// When the user was created.
        at: DateTime<Utc>,
    },
    /// An API token was issued to the user.
    TokenIssued {
        /// The token's id.
        token_id: i64,
        /// Lowercase hex SHA-256 of the token secret.
        token_hash: String,
        /// The scopes the token grants.
        scopes: BTreeSet<Scope>,
        /// The token's label.
        name: Option<String>,
        /// When the token was issued.
        at: DateTime<Utc>,
    },
    /// A token was revoked and no longer authenticates.
    TokenRevoked {
        /// The token's id.
        token_id: i64,
        /// When the token was revoked.
        at: DateTime<Utc>,
    },
    /// The user's web UI password was set or replaced. Added after 1.0 as a new
    /// event type, so the version of every user event stays 1.0.
    PasswordSet {
        /// The password as an Argon2id PHC string; never the password itself.
        password_hash: String,
        /// When the password was set.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserCreated { .. } => "UserCreated",
            UserEvent::TokenIssued { .. } => "TokenIssued",
            UserEvent::TokenRevoked { .. } => "TokenRevoked",
            UserEvent::PasswordSet { .. } => "PasswordSet",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
