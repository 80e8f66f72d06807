//! Rebuilding read models from the start of the log into shadow tables.
//!
//! A [`Shadow`] is a schema holding an empty copy of a projection's tables (same
//! columns, constraints and index names) and its own checkpoint in each partition of
//! the log (organization), which it reads one after another, partition 0 first. The projection's SQL
//! names its tables unqualified, so applying events with `search_path` set to the
//! shadow schema first writes into the copies while `events` still resolves to the live
//! log. Each batch commits with the shadow's checkpoint, so an interrupted rebuild
//! resumes where it stopped.
//!
//! [`Shadow::swap`] replaces the live tables under the projection's advisory lock (the
//! live runner pauses), after applying whatever the log gained meanwhile, and moves the
//! live checkpoint of each partition: one transaction, so readers see the old read
//! model or the new one. [`Shadow::compare`] instead stops the rebuild in each
//! partition exactly at the live checkpoint there and diffs the two row by row.

mod compare;
mod error;
mod fill;
mod open;
mod shadow;
mod state;
mod swap;
mod tables;

pub use compare::{Comparison, TableDiff};
pub use error::ReplayError;
pub use shadow::{Purpose, Shadow};
pub use state::{ShadowState, Until};
