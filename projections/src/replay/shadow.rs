//! The handle on a shadow, and the names and the lock every step of a rebuild uses.

use std::sync::Arc;

use sqlx::{PgConnection, PgPool};

use crate::projection::Projection;
use crate::runner::LOCK_NAMESPACE;
use crate::sql::identifier as quote;

/// What a shadow is for; each has its own schema, so a `verify` never disturbs a
/// `replay` in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Rebuild, then swap in.
    Replay,
    /// Rebuild, then compare with the live tables and drop.
    Verify,
}

impl Purpose {
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Purpose::Replay => "faultline_replay",
            Purpose::Verify => "faultline_verify",
        }
    }
}

/// A projection's tables rebuilt in a schema of their own.
pub struct Shadow {
    pub(super) pool: PgPool,
    pub(super) projection: Arc<dyn Projection>,
    pub(super) live: String,
    pub(super) schema: String,
    /// The one organization rebuilt (its partition of the log, its rows of each
    /// table), or every one.
    pub(super) organization: Option<Organization>,
}

/// The organization a shadow rebuilds, and the column naming it in every table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Organization {
    pub(super) id: i64,
    pub(super) column: &'static str,
}

impl Shadow {
    /// The projection rebuilt.
    pub fn projection(&self) -> &Arc<dyn Projection> {
        &self.projection
    }

    /// The shadow's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The organization rebuilt, if only one is.
    pub fn organization(&self) -> Option<i64> {
        self.organization.map(|o| o.id)
    }

    pub(super) fn quoted(&self) -> String {
        quote(&self.schema)
    }

    pub(super) fn qualified(&self, table: &str) -> String {
        format!("{}.{}", quote(&self.schema), quote(table))
    }

    pub(super) fn qualified_live(&self, table: &str) -> String {
        format!("{}.{}", quote(&self.live), quote(table))
    }
}

/// Takes the projection's runner lock until the end of `tx`: live runners (which only
/// try it) skip their batches meanwhile, so the live read model stands still.
pub(super) async fn pause_live_runner(
    conn: &mut PgConnection,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_NAMESPACE)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}
