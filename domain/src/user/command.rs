//! Commands on a user.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::role::Scope;

/// A request to change a user. Ids, hashes and times are decided by the caller.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Register a new user.
    CreateUser {
        /// The user's numeric id, allocated outside the domain.
        user_id: i64,
        /// The user's email address.
        email: String,
        /// The user's display name.
        name: String,
        /// Whether the user administers the whole Faultline instance.
        is_superuser: bool,
        /// When the user was created.
        at: DateTime<Utc>,
    },
    /// Issue a personal API token to the user.
    IssueToken {
        /// The token's numeric id, allocated outside the domain.
        token_id: i64,
        /// Lowercase hex SHA-256 of the token secret; the secret itself is never stored.
        token_hash: String,
        /// The scopes the token grants (never empty).
        scopes: BTreeSet<Scope>,
        /// An optional label for the token.
        name: Option<String>,
        /// When the token was issued.
        at: DateTime<Utc>,
    },
    /// Revoke one of the user's tokens.
    RevokeToken {
        /// The token to revoke.
        token_id: i64,
        /// When the token was revoked.
        at: DateTime<Utc>,
    },
    /// Set or replace the user's password for signing in to the web UI.
    SetPassword {
        /// The password as an Argon2id PHC string (`$argon2id$v=19$...`); the password
        /// itself never reaches the domain or the log.
        password_hash: String,
        /// When the password was set.
        at: DateTime<Utc>,
    },
}
