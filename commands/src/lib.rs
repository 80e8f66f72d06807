//! Faultline's write side.
//!
//! A change enters here as a domain command: [`CommandBus::execute`] loads the
//! aggregate through our own sqlx event store ([`store::AggregateStore`], which
//! implements cqrs-es's `EventStore`), lets the aggregate decide, and appends the
//! resulting events to the ordered log in one multi-row insert. The caller gets back
//! the log positions it wrote, so it can wait for the projections to catch up before
//! answering (read-your-writes).

pub mod accounts;
pub mod artifacts;
pub mod bus;
pub mod error;
pub mod grouping;
pub mod ids;
pub mod ingest;
pub mod monitor_incidents;
pub mod passwords;
pub mod placement;
pub mod quota;
pub mod secrets;
pub mod sessions;
pub mod store;
pub mod unique;

pub use bus::{CommandBus, Committed};
pub use error::{CommandError, StoreError};
