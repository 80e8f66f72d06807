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
    /// The issue was deleted; only a new event of its fingerprint reopens it.
    #[error("the issue was deleted")]
    Deleted,
    /// The issue was merged into another; its events and commands belong there.
    #[error("the issue was merged into issue {into_issue_id}")]
    Merged {
        /// The primary issue's numeric id.
        into_issue_id: i64,
        /// The primary issue's stream.
        into_stream: String,
    },
    /// `Expire` on an issue with an event at or after the horizon.
    #[error("the issue has events within the retention")]
    NotExpired,
    /// An issue cannot be merged into itself.
    #[error("an issue cannot be merged into itself")]
    MergeIntoSelf,
    /// The ignore conditions are contradictory (a zero count or duration, or a window
    /// without a count).
    #[error("invalid ignore conditions")]
    InvalidIgnore,
    /// A comment with this id already exists.
    #[error("comment already exists")]
    CommentExists,
    /// No such comment on this issue.
    #[error("comment not found")]
    CommentNotFound,
    /// Only the comment's author (or an admin) may change it.
    #[error("only the author may change a comment")]
    NotCommentAuthor,
    /// A comment needs text.
    #[error("a comment cannot be empty")]
    EmptyComment,
}
