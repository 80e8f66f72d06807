//! Our event store: the log's two tables (`events`, `ingested_events`) over sqlx.
//!
//! [`EventLog`] appends raw rows in one statement and reports their positions;
//! [`AggregateStore`] puts cqrs-es's `EventStore` trait on top of it, with correct
//! snapshots (the state after `handle` is stored as is, never re-applied).

mod aggregate_store;
mod event_log;
pub mod upcasters;

pub use aggregate_store::{AggregateStore, LoadedAggregate, Placed};
pub use event_log::{EventLog, EventPayload, NewEvent, StoredRow};

#[cfg(test)]
mod partition_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod two_tables_tests;
