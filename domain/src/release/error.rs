//! Why a release command was refused.

/// A refusal of a [`ReleaseCommand`](super::ReleaseCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// A command other than create on a release that does not exist.
    #[error("release not found")]
    NotFound,
    /// An empty, too long or otherwise unusable version.
    #[error("Release with name {0:?} is not allowed.")]
    InvalidVersion(String),
    /// A release with no project.
    #[error("A release needs at least one project.")]
    NoProjects,
    /// A deploy without an environment, or with one Sentry refuses.
    #[error("Enter a valid environment name.")]
    InvalidEnvironment,
    /// A deploy to a project the release does not ship in.
    #[error("project {0} is not in this release")]
    ProjectNotInRelease(i64),
    /// A commit or ref without an id, or with one over 64 characters.
    #[error("Commit ids are 1 to 64 characters.")]
    InvalidCommit,
}
