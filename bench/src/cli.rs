//! The command line: what to run and how large.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;

/// Benchmarks a real faultline server (ingestion, baseline, queries, memory).
#[derive(Parser, Debug)]
#[command(name = "faultline-bench")]
pub struct Args {
    /// Small sizes (under 2 minutes) instead of the full run (under 20 minutes).
    #[arg(long)]
    pub quick: bool,
    /// The faultline binary [default: `faultline` next to this executable].
    #[arg(long)]
    pub faultline: Option<PathBuf>,
    /// Run on this database as it is (empty, migrated or not) rather than on a fresh one
    /// of `DATABASE_URL` or of a managed cluster: a Citus coordinator, whose databases
    /// need the extension and the workers registered in each.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write every figure as JSON to this file.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
    /// Events per ingestion run [default: 3000 quick, 50000 full].
    #[arg(long)]
    pub events: Option<usize>,
    /// Concurrent requests of the load generator.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Issues seeded before the query benchmark [default: 500 quick, 10000 full].
    #[arg(long)]
    pub seed_issues: Option<usize>,
    /// Events seeded before the query benchmark [default: 20000 quick, 1000000 full].
    #[arg(long)]
    pub seed_events: Option<usize>,
    /// Requests per query figure.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Give up waiting for the read model after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub visible_timeout: u64,
}

pub struct Sizes {
    pub events: usize,
    pub seed_issues: usize,
    pub seed_events: usize,
}

impl Args {
    pub fn sizes(&self) -> Sizes {
        let (events, seed_issues, seed_events) = if self.quick {
            (3_000, 500, 20_000)
        } else {
            (50_000, 10_000, 1_000_000)
        };
        Sizes {
            events: self.events.unwrap_or(events),
            seed_issues: self.seed_issues.unwrap_or(seed_issues),
            seed_events: self.seed_events.unwrap_or(seed_events),
        }
    }

    pub fn faultline(&self) -> anyhow::Result<PathBuf> {
        let path = match &self.faultline {
            Some(path) => path.clone(),
            None => std::env::current_exe()?
                .parent()
                .context("executable directory")?
                .join("faultline"),
        };
        if !path.is_file() {
            bail!(
                "{} not found: build it first (cargo build --release --bin faultline --bin faultline-bench) or pass --faultline",
                path.display()
            );
        }
        Ok(path)
    }
}
