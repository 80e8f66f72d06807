//! `faultline log show|export` and `faultline state`: the event log as an audit
//! trail. The queries live in `faultline_projections::history`; this module parses
//! arguments, resolves ids and prints.
//!
//! - `args`: the clap arguments and the time format (`--since`, `--until`, `--as-of`).
//! - `show`: one stream's history, one line per event.
//! - `summary`: the short, human payload summary of a `show` line.
//! - `export`: NDJSON of the (filtered) log on stdout.
//! - `state`: an aggregate's state at a time, as pretty JSON.

pub mod args;
mod export;
mod show;
mod state;
mod summary;

pub use args::{AggregateArg, ExportArgs, LogCommand, StateArgs};

use sqlx::PgPool;

/// Runs `faultline log ...`.
pub async fn run_log(pool: &PgPool, command: LogCommand) -> anyhow::Result<()> {
    match command {
        LogCommand::Show { aggregate, id } => show::run(pool, aggregate, &id).await,
        LogCommand::Export(args) => export::run(pool, args).await,
    }
}

/// Runs `faultline state ...`.
pub async fn run_state(pool: &PgPool, args: StateArgs) -> anyhow::Result<()> {
    state::run(pool, args).await
}
