//! Why a project command was refused.

/// A refusal of a [`ProjectCommand`](super::ProjectCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    /// `CreateProject` on a project that already exists.
    #[error("project already exists")]
    AlreadyExists,
    /// Grouping rules that do not parse.
    #[error("{message}")]
    InvalidGroupingRules {
        /// `fingerprintingRules` or `groupingEnhancements`.
        field: &'static str,
        /// Sentry's message, with the line and column.
        message: String,
    },
    /// A command on a project that was never created.
    #[error("project not found")]
    NotFound,
    /// A command on a deleted project.
    #[error("project has been deleted")]
    ProjectDeleted,
    /// A name that is empty or only whitespace.
    #[error("name must not be empty")]
    EmptyName,
    /// The team already has access to the project.
    #[error("team {0} already has access to the project")]
    TeamAlreadyAdded(i64),
    /// The team has no access to the project.
    #[error("team {0} has no access to the project")]
    TeamNotAdded(i64),
    /// A key is not 32 lowercase hex characters.
    #[error("client keys must be 32 lowercase hex characters")]
    InvalidKey,
    /// A client key with this public key already exists (possibly revoked).
    #[error("client key already exists")]
    ClientKeyAlreadyExists,
    /// No client key with this public key.
    #[error("client key not found")]
    ClientKeyNotFound,
    /// The client key was revoked and cannot change.
    #[error("client key has been revoked")]
    ClientKeyRevoked,
    /// A rate limit needs a window and a count above zero.
    #[error("rate limit window and count must both be greater than zero")]
    InvalidRateLimit,
    /// Retention days outside 1..=3650.
    #[error("retention must be between 1 and 3650 days")]
    InvalidRetentionDays,
    /// A maximum of zero stored events.
    #[error("the maximum number of stored events must be greater than zero")]
    InvalidMaxEvents,
}
