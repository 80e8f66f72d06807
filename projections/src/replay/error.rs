//! Why a rebuild stopped.

use faultline_domain::log_position::LogPosition;

use crate::error::ProjectionError;

/// A rebuild that failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The projection cannot apply an event.
    #[error("the rebuild of {projection} stopped on the event at position {position}")]
    Failed {
        /// The projection.
        projection: &'static str,
        /// The failing event.
        position: i64,
        /// Why.
        #[source]
        source: ProjectionError,
    },
    /// The live read model could not be brought level with the log before a
    /// comparison.
    #[error("the live read model of {projection} cannot apply what the log holds")]
    Live {
        /// The projection.
        projection: &'static str,
        /// Why.
        #[source]
        source: ProjectionError,
    },
    /// The rebuild cannot stand where the live read model stands: the live side is
    /// ahead of what the rebuild can read (should not happen: both read below the same
    /// horizon), or a comparison's rebuild went past it. Running again is safe.
    #[error("the live read model of {projection} is at {live:?}, the rebuild at {rebuilt:?}")]
    Diverged {
        /// The projection.
        projection: &'static str,
        /// The live checkpoint.
        live: LogPosition,
        /// The shadow's checkpoint.
        rebuilt: LogPosition,
    },
    /// A rebuild of one organization asked of a read model that keeps rows of
    /// several organizations together.
    #[error(
        "{projection} cannot be rebuilt one organization at a time: not every one of its \
         tables names the organization of its rows; rebuild it whole"
    )]
    NotPerOrganization {
        /// The projection.
        projection: &'static str,
    },
    /// A live index whose definition this tool cannot re-target.
    #[error("cannot copy index definition {0}")]
    Index(String),
}
