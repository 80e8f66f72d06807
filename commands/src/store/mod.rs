//! Our event store: the log's two tables (`events`, `ingested_events`) over sqlx.
//!
//! [`EventLog`] appends raw rows in one statement and reports their positions;
//! [`AggregateStore`] puts cqrs-es's `EventStore` trait on top of it, with correct
//! snapshots (the state after `handle` is stored as is, never re-applied).

mod aggregate_store;
mod event_log;
pub mod upcasters;

pub use aggregate_store::{AggregateStore, LoadedAggregate, Placed};
pub use event_log::{stream_sql, EventLog, EventPayload, NewEvent, StoredRow};

#[cfg(test)]
mod partition_tests;

/// Applies the migrations numbered below `version`: the schema an older release left,
/// for a test of what a later migration does to its rows.
#[cfg(test)]
async fn migrate_below(pool: &sqlx::PgPool, version: i64) {
    let mut before = sqlx::migrate!("../migrations");
    before.migrations = before
        .migrations
        .iter()
        .filter(|migration| migration.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(pool).await.unwrap();
}
#[cfg(test)]
mod tests;
#[cfg(test)]
mod two_tables_tests;
