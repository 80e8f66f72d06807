//! The user aggregate: an account and its personal API tokens.
//!
//! Aggregate id: the user's numeric id as a decimal string (`"42"`).

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::UserCommand;
pub use error::UserError;
pub use event::UserEvent;

use crate::role::Scope;

/// A user account as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    user_id: Option<i64>,
    email: String,
    name: String,
    is_superuser: bool,
    tokens: BTreeMap<i64, Token>,
}

/// A personal API token as the user aggregate knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Lowercase hex SHA-256 of the token secret.
    pub hash: String,
    /// The scopes the token grants.
    pub scopes: BTreeSet<Scope>,
    /// The token's label.
    pub name: Option<String>,
    /// Whether the token was revoked.
    pub revoked: bool,
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `s` looks like an Argon2id PHC string: `$argon2id$`, then `$`-separated
/// fields (version, parameters, salt, hash) in the PHC character set, the salt and
/// hash not empty. A plaintext password never has this shape, so it cannot slip into
/// the log by mistake; checking the hash itself is the hasher's job.
fn is_argon2id_phc(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("$argon2id$") else {
        return false;
    };
    let fields: Vec<&str> = rest.split('$').collect();
    fields.len() >= 3
        && fields.iter().rev().take(2).all(|field| !field.is_empty())
        && rest.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'$' | b'/' | b'+' | b'.' | b'=' | b',' | b'-')
        })
}

impl User {
    /// The user's id, once created.
    pub fn user_id(&self) -> Option<i64> {
        self.user_id
    }

    /// Whether the user administers the whole instance.
    pub fn is_superuser(&self) -> bool {
        self.is_superuser
    }

    /// One of the user's tokens, revoked or not.
    pub fn token(&self, token_id: i64) -> Option<&Token> {
        self.tokens.get(&token_id)
    }

    /// Decides which events a command causes, without changing the user.
    pub fn decide(&self, cmd: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        match cmd {
            UserCommand::CreateUser {
                user_id,
                email,
                name,
                is_superuser,
                at,
            } => {
                if self.user_id.is_some() {
                    return Err(UserError::AlreadyExists);
                }
                Ok(vec![UserEvent::UserCreated {
                    user_id,
                    email,
                    name,
                    is_superuser,
                    at,
                }])
            }
            UserCommand::IssueToken {
                token_id,
                token_hash,
                scopes,
                name,
                at,
            } => {
                self.require_created()?;
                if self.tokens.contains_key(&token_id) {
                    return Err(UserError::TokenAlreadyExists(token_id));
                }
                if scopes.is_empty() {
                    return Err(UserError::EmptyScopes);
                }
                if !is_sha256_hex(&token_hash) {
                    return Err(UserError::InvalidTokenHash);
                }
                Ok(vec![UserEvent::TokenIssued {
                    token_id,
                    token_hash,
                    scopes,
                    name,
                    at,
                }])
            }
            UserCommand::RevokeToken { token_id, at } => {
                self.require_created()?;
                match self.tokens.get(&token_id) {
                    None => Err(UserError::TokenNotFound(token_id)),
                    Some(token) if token.revoked => Err(UserError::TokenAlreadyRevoked(token_id)),
                    Some(_) => Ok(vec![UserEvent::TokenRevoked { token_id, at }]),
                }
            }
            UserCommand::SetPassword { password_hash, at } => {
                self.require_created()?;
                if !is_argon2id_phc(&password_hash) {
                    return Err(UserError::InvalidPasswordHash);
                }
                Ok(vec![UserEvent::PasswordSet { password_hash, at }])
            }
        }
    }

    fn require_created(&self) -> Result<(), UserError> {
        match self.user_id {
            Some(_) => Ok(()),
            None => Err(UserError::NotFound),
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::UserCreated {
                user_id,
                email,
                name,
                is_superuser,
                at: _,
            } => {
                self.user_id = Some(user_id);
                self.email = email;
                self.name = name;
                self.is_superuser = is_superuser;
            }
            UserEvent::TokenIssued {
                token_id,
                token_hash,
                scopes,
                name,
                at: _,
            } => {
                let token = Token {
                    hash: token_hash,
                    scopes,
                    name,
                    revoked: false,
                };
                self.tokens.insert(token_id, token);
            }
            UserEvent::TokenRevoked { token_id, at: _ } => {
                if let Some(token) = self.tokens.get_mut(&token_id) {
                    token.revoked = true;
                }
            }
            // The hash lives in the read model (`users.password_hash`): no decision
            // of the aggregate depends on it.
            UserEvent::PasswordSet { .. } => {}
        }
    }
}
