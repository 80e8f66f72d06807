//! The write side's error types.

use cqrs_es::AggregateError;

/// A failure of the event store itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the same stream first (optimistic concurrency).
    #[error("aggregate conflict on {aggregate_type}/{aggregate_id}")]
    Conflict {
        /// The stream's aggregate type.
        aggregate_type: String,
        /// The stream's aggregate id.
        aggregate_id: String,
    },
    /// A value that must be unique (a slug, an email) is held by another aggregate.
    #[error("{key} is already taken ({scope})")]
    Taken {
        /// The namespace of the value.
        scope: String,
        /// The value.
        key: String,
    },
    /// A stored payload could not be read back into its type.
    #[error("stored {what} could not be decoded")]
    Decode {
        /// What was being decoded.
        what: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A payload could not be serialized.
    #[error("event could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// A command named the organization of its aggregate, and the events belong to
    /// another one: appending them would start a second stream of that id.
    #[error(
        "aggregate {aggregate_id} was named in organization {named}, its events are of {found}"
    )]
    Partition {
        /// The stream's aggregate id.
        aggregate_id: String,
        /// The organization the caller named.
        named: i64,
        /// The organization of the events.
        found: i64,
    },
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

/// Whether the database refused a statement because a Citus shard it was planned on
/// was moved, split or isolated meanwhile (`citus_rebalance_start`,
/// `isolate_tenant_to_new_shard`): nothing was written, and the same statement run
/// again is planned on the shard's new place. Citus reports it as an internal error,
/// so its message tells it.
pub fn is_shard_moved(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if db.message().starts_with("could not find valid entry for shard"))
}

/// The outcome of a command that did not succeed: either the domain refused it, or
/// storing it failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The aggregate refused the command (a 4xx for callers).
    #[error(transparent)]
    Refused(E),
    /// Concurrent writers kept winning the race for this aggregate.
    #[error("aggregate is busy, retry")]
    Conflict,
    /// A value that must be unique is taken (a 409 for callers).
    #[error("{key} is already taken")]
    Taken {
        /// The namespace of the value.
        scope: String,
        /// The value.
        key: String,
    },
    /// The store failed (a 5xx for callers).
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error + 'static> From<StoreError> for CommandError<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => CommandError::Conflict,
            StoreError::Taken { scope, key } => CommandError::Taken { scope, key },
            other => CommandError::Store(other),
        }
    }
}

impl<E: std::error::Error + 'static> From<StoreError> for AggregateError<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => AggregateError::AggregateConflict,
            error @ StoreError::Taken { .. } => AggregateError::UnexpectedError(error.into()),
            StoreError::Decode { source, .. } => {
                AggregateError::DeserializationError(source.into())
            }
            StoreError::Encode(source) => AggregateError::UnexpectedError(source.into()),
            error @ StoreError::Partition { .. } => AggregateError::UnexpectedError(error.into()),
            StoreError::Database(source) => AggregateError::DatabaseConnectionError(source.into()),
        }
    }
}
