//! Why an issue refuses a command.

/// An issue command that cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// An occurrence for an issue that does not exist came without the data to create it.
    #[error("the issue does not exist yet and no new issue was given")]
    NotCreated,
    /// The issue does not exist.
    #[error("issue not found")]
    NotFound,
}
