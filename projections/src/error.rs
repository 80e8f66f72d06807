//! The read side's error type.

/// A projection could not apply an event, or the database failed under it.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The event's payload is not what the projection expects.
    #[error("event at position {position} could not be decoded")]
    Decode {
        /// The event's log position.
        position: i64,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The projection refused the event (a bug or a broken invariant).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl ProjectionError {
    /// Whether retrying later may succeed (the connection or the server went away),
    /// as opposed to a failure that the same event will hit again.
    pub fn is_transient(&self) -> bool {
        match self {
            ProjectionError::Database(error) => {
                matches!(
                    error,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Protocol(_)
                        | sqlx::Error::Tls(_)
                        | sqlx::Error::WorkerCrashed
                ) || passes_without_change(error)
            }
            ProjectionError::Decode { .. } | ProjectionError::Invalid(_) => false,
        }
    }
}

/// SQLSTATE class 57 (operator intervention: shutdown, restart), 08 (connection) and
/// 53 (insufficient resources: a full disk, memory, connections), which pass without
/// the event changing; and a Citus worker out of reach.
fn passes_without_change(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| {
                code.starts_with("57") || code.starts_with("08") || code.starts_with("53")
            }) || citus_worker_lost(db.as_ref())
        }
        _ => false,
    }
}

/// Whether a Citus coordinator reports that a worker this transaction had already
/// reached went away. Citus raises that without a SQLSTATE of its own (`XX000`, as any
/// internal error), so it is told by its message; a worker it cannot connect to at all
/// comes as class 08, like any connection failure.
pub fn citus_worker_lost(error: &dyn sqlx::error::DatabaseError) -> bool {
    error.code().as_deref() == Some("XX000")
        && error
            .message()
            .starts_with("failure on connection marked as essential")
}
