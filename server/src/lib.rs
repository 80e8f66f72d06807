//! The `faultline` binary's library: configuration, the PostgreSQL launcher, and the
//! wiring of `api`, `commands` and `projections` into the subcommands.

pub mod accounts;
pub mod citus;
pub mod config;
pub mod database;
pub mod each_organization;
pub mod erasure;
pub mod http;
pub mod log_tools;
pub mod monitors;
pub mod postgres;
pub mod replay;
pub mod retention;
pub mod scheduler;
pub mod serve;
pub mod telemetry;
