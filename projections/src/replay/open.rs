//! Opening a shadow: its schema, its checkpoint and the copies of the live tables,
//! made afresh or resumed; and dropping it.

use std::sync::Arc;

use faultline_domain::log_position::LogPosition;
use sqlx::{PgConnection, PgPool};

use super::error::ReplayError;
use super::shadow::{Organization, Purpose, Shadow};
use crate::log::count_after;
use crate::projection::Projection;
use crate::runner::LOCK_NAMESPACE;

impl Shadow {
    /// Opens the projection's shadow for `purpose`, creating it when absent, when
    /// `fresh`, or when it was made under other migrations (its tables may no longer
    /// match). Returns whether an earlier rebuild is resumed.
    pub async fn open(
        pool: &PgPool,
        projection: Arc<dyn Projection>,
        purpose: Purpose,
        fresh: bool,
    ) -> Result<(Self, bool), ReplayError> {
        Self::open_in(pool, projection, purpose, fresh, None).await
    }

    /// [`Shadow::open`] for one organization: the shadow reads only its partition of
    /// the log and holds only its rows; its swap replaces only those rows and that
    /// partition's checkpoint, and its comparison compares only them. A read model
    /// without an [`organization column`](Projection::organization_column) refuses.
    pub async fn open_organization(
        pool: &PgPool,
        projection: Arc<dyn Projection>,
        purpose: Purpose,
        fresh: bool,
        organization: i64,
    ) -> Result<(Self, bool), ReplayError> {
        let Some(column) = projection.organization_column() else {
            return Err(ReplayError::NotPerOrganization {
                projection: projection.name(),
            });
        };
        let organization = Organization {
            id: organization,
            column,
        };
        Self::open_in(pool, projection, purpose, fresh, Some(organization)).await
    }

    async fn open_in(
        pool: &PgPool,
        projection: Arc<dyn Projection>,
        purpose: Purpose,
        fresh: bool,
        organization: Option<Organization>,
    ) -> Result<(Self, bool), ReplayError> {
        let live: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(pool)
            .await?;
        // One organization's rebuild never resumes (nor disturbs) a whole one.
        let schema = match organization {
            None => format!("{}_{}", purpose.prefix(), projection.name()),
            Some(o) => format!("{}_{}_org{}", purpose.prefix(), projection.name(), o.id),
        };
        let shadow = Self {
            pool: pool.clone(),
            projection,
            live,
            schema,
            organization,
        };
        let migration: i64 =
            sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations")
                .fetch_one(pool)
                .await?;
        let mut tx = pool.begin().await?;
        // The shadow's tables are made after reading the log across organizations.
        crate::citus::one_connection_per_worker(&mut tx).await?;
        // Two rebuilds of one projection must not create its shadow concurrently.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(LOCK_NAMESPACE + 1)
            .bind(&shadow.schema)
            .execute(&mut *tx)
            .await?;
        let stored: Option<i64> = match shadow.checkpoint_exists(&mut tx).await? {
            true => sqlx::query_scalar(&format!(
                "SELECT migration FROM {}._replay_migration",
                shadow.quoted()
            ))
            .fetch_optional(&mut *tx)
            .await?
            .flatten(),
            false => None,
        };
        let resumed = !fresh && stored == Some(migration);
        let rebuilding = shadow.projection.rebuilding();
        if !resumed {
            // Keys are left to the projection only for a rebuild small enough for the
            // memory that takes.
            let deferred = match &rebuilding {
                Some(rebuilding) => {
                    let events = count_after(
                        &mut tx,
                        shadow.projection.aggregate_types(),
                        LogPosition::START,
                        rebuilding.max_events + 1,
                    )
                    .await?;
                    if events <= rebuilding.max_events {
                        rebuilding.deferred_keys
                    } else {
                        &[]
                    }
                }
                None => &[],
            };
            sqlx::query(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                shadow.quoted()
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!("CREATE SCHEMA {}", shadow.quoted()))
                .execute(&mut *tx)
                .await?;
            for table in shadow.projection.tables() {
                shadow.create_table(&mut tx, table, deferred).await?;
            }
            // The rebuild's checkpoint: a row per partition of the log it read.
            sqlx::query(&format!(
                "CREATE TABLE {}._replay_checkpoints (
                     organization_id bigint PRIMARY KEY,
                     last_tx_id      xid8   NOT NULL DEFAULT '0',
                     last_position   bigint NOT NULL DEFAULT 0,
                     events_applied  bigint NOT NULL DEFAULT 0
                 )",
                shadow.quoted()
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "CREATE TABLE {}._replay_migration (migration bigint)",
                shadow.quoted()
            ))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO {}._replay_migration (migration) VALUES ($1)",
                shadow.quoted()
            ))
            .bind(migration)
            .execute(&mut *tx)
            .await?;
        }
        // A shadow without its deferred keys (new, or resumed) must be filled by the
        // projection that keeps them.
        let mut shadow = shadow;
        if let Some(rebuilding) = rebuilding {
            if shadow
                .lacks_constraints(&mut tx, rebuilding.deferred_keys)
                .await?
            {
                shadow.projection = rebuilding.projection;
            }
        }
        tx.commit().await?;
        Ok((shadow, resumed))
    }

    /// Whether the shadow schema lacks any of the named constraints.
    async fn lacks_constraints(
        &self,
        conn: &mut PgConnection,
        names: &[&str],
    ) -> Result<bool, sqlx::Error> {
        if names.is_empty() {
            return Ok(false);
        }
        let present: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_constraint c
               JOIN pg_namespace n ON n.oid = c.connamespace
              WHERE n.nspname = $1 AND c.conname = ANY($2)",
        )
        .bind(&self.schema)
        .bind(names)
        .fetch_one(conn)
        .await?;
        Ok(present < names.len() as i64)
    }

    async fn checkpoint_exists(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_tables
                             WHERE schemaname = $1 AND tablename = '_replay_migration')",
        )
        .bind(&self.schema)
        .fetch_one(conn)
        .await
    }

    /// Drops the shadow schema.
    pub async fn discard(self) -> Result<(), ReplayError> {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.quoted()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
