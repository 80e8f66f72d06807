//! Why a user command was refused.

/// A refusal of a [`UserCommand`](super::UserCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// `CreateUser` on a user that already exists.
    #[error("user already exists")]
    AlreadyExists,
    /// A command on a user that was never created.
    #[error("user not found")]
    NotFound,
    /// `IssueToken` with an id already used by another token.
    #[error("token {0} already exists")]
    TokenAlreadyExists(i64),
    /// The token is not one of this user's tokens.
    #[error("token {0} not found")]
    TokenNotFound(i64),
    /// The token was already revoked.
    #[error("token {0} is already revoked")]
    TokenAlreadyRevoked(i64),
    /// A token must grant at least one scope.
    #[error("a token needs at least one scope")]
    EmptyScopes,
    /// The token hash is not 64 lowercase hex characters.
    #[error("token hash must be a lowercase hex SHA-256")]
    InvalidTokenHash,
    /// The password hash is not an Argon2id PHC string.
    #[error("password hash must be an Argon2id PHC string")]
    InvalidPasswordHash,
}
