//! The log as an audit trail: which stream a user-facing id names ([`resolve`]), one
//! stream's events in order ([`stream`]), an aggregate's state at a time ([`state`]),
//! and the whole log, filtered, as NDJSON ([`export`]).
//!
//! Everything here reads: events come straight from the `events` table (never from a
//! read model, which may have dropped a deleted issue), one row at a time from a
//! sqlx `fetch` stream, so a log of millions of events needs constant memory.
//! Payloads are decoded through [`crate::StoredEvent::decode`], with the domain's
//! upcasts, like every other reader.

pub mod export;
pub mod resolve;
pub mod state;
pub mod stream;

/// What the history tools can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The id names nothing.
    #[error("no {aggregate_type} {id:?}")]
    NotFound {
        /// The aggregate type looked for.
        aggregate_type: String,
        /// The id as given.
        id: String,
    },
    /// The id names more than one stream.
    #[error("{id:?} names {count} {aggregate_type} streams; use a numeric id")]
    Ambiguous {
        /// The aggregate type looked for.
        aggregate_type: String,
        /// The id as given.
        id: String,
        /// How many matched.
        count: usize,
    },
    /// Not one of `organization`, `project`, `issue`, `user`.
    #[error("unknown aggregate type {0:?}")]
    UnknownType(String),
    /// A stored event could not be decoded.
    #[error(transparent)]
    Decode(#[from] crate::ProjectionError),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing the output failed")]
    Output(#[from] std::io::Error),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}
