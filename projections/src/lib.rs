//! Faultline's read side.
//!
//! Read models are folds of the ordered event log. A [`Projection`] names itself, says
//! which aggregate types it reads, and applies one [`StoredEvent`] at a time inside a
//! transaction. The [`runner`] feeds it batches read in `(tx_id, position)` order below
//! the oldest running transaction (so a late commit with a low position is never
//! skipped), and moves the projection's checkpoint in the same transaction as the
//! read-model change: after a crash every event is applied exactly once.
//!
//! Several `faultline serve` processes may share one database: a projection's batch
//! runs under a transaction-scoped advisory lock, so one process at a time applies it,
//! and any other takes over when that one dies. [`notify::LogListener`] turns Postgres
//! `LISTEN/NOTIFY` into wakeups for runners and for [`progress::Progress`], which lets a
//! command wait until the projections it affects have caught up (read-your-writes).

pub mod accounts;
pub mod alerting;
pub mod alerts;
pub mod artifact_bundles;
pub mod audit;
pub mod checkpoint;
pub mod citus;
pub mod environments;
pub mod error;
pub mod history;
pub mod issues;
pub mod log;
pub mod memory;
pub mod monitors;
pub mod notifications;
pub mod notify;
pub mod progress;
pub mod projection;
pub mod registry;
pub mod releases;
pub mod replay;
pub mod runner;
pub mod sql;
pub mod status;
pub mod storage;

pub use error::ProjectionError;
pub use log::StoredEvent;
pub use projection::Projection;

#[cfg(test)]
mod replay_organization_tests;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod runner_tests;
#[cfg(test)]
mod test_support;
