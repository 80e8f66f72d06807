//! One database for every subcommand: `DATABASE_URL`, or Faultline's own cluster.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::citus::Deployment;
use crate::config::GlobalArgs;
use crate::postgres::{Durability, ManagedPostgres, DATABASE};

/// The migrations in `migrations/`, embedded.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// An open database, and the cluster behind it when Faultline manages it.
pub struct Database {
    /// The connection pool.
    pub pool: PgPool,
    cluster: Option<ManagedPostgres>,
    deployment: Deployment,
}

impl Database {
    /// Opens the configured database. With no `DATABASE_URL`, attaches to the cluster
    /// in the data dir if one runs (started by `serve`), else starts it; `owner` makes
    /// this process stop it on [`Database::close`] even if it was already running.
    pub async fn open(global: &GlobalArgs, owner: bool) -> anyhow::Result<Self> {
        let (options, cluster) = match &global.database_url {
            Some(url) => (url.parse::<PgConnectOptions>()?, None),
            None => {
                let data_dir = global.data_dir.clone();
                let mut cluster = tokio::task::spawn_blocking(move || {
                    ManagedPostgres::start(&data_dir, Durability::Durable)
                })
                .await??;
                if owner {
                    cluster.adopt();
                }
                cluster.ensure_database(DATABASE).await?;
                (cluster.connect_options(DATABASE), Some(cluster))
            }
        };
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection it hands out by default: a round trip (and a
            // wakeup on both sides) before every query. A connection that died is
            // found by the query itself instead, which fails like any database error
            // (503 / projection retry), and the broken connection is not reused.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        let deployment = if global.citus {
            Deployment::Required
        } else {
            Deployment::Detect
        };
        Ok(Self {
            pool,
            cluster,
            deployment,
        })
    }

    /// Applies pending migrations (a no-op when there are none), then, on a Citus
    /// coordinator, distributes what is not distributed yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR.run(&self.pool).await?;
        crate::citus::distribute(&self.pool, self.deployment).await?;
        Ok(())
    }

    /// Closes the pool and stops the cluster if this process is responsible for it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}
