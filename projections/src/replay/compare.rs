//! `verify`: a rebuild brought to the live checkpoint and compared with the live
//! tables row by row.

use faultline_domain::log_position::LogPosition;
use sqlx::PgConnection;

use super::error::ReplayError;
use super::shadow::{pause_live_runner, Shadow};
use super::state::Until;
use crate::runner::apply_pending_in;
use crate::sql::identifier as quote;

/// How one table of a rebuild differs from its live twin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff {
    /// The table.
    pub table: &'static str,
    /// Rows in the live table.
    pub live_rows: i64,
    /// Rows in the rebuilt table.
    pub rebuilt_rows: i64,
    /// How many live rows the rebuild lacks (counting duplicates).
    pub missing_count: i64,
    /// Up to the requested number of them, as JSON.
    pub missing: Vec<String>,
    /// How many rebuilt rows the live table lacks.
    pub unexpected_count: i64,
    /// Up to the requested number of them, as JSON.
    pub unexpected: Vec<String>,
}

impl TableDiff {
    /// Whether both tables hold exactly the same rows.
    pub fn is_identical(&self) -> bool {
        self.missing_count == 0 && self.unexpected_count == 0
    }
}

/// The outcome of [`Shadow::compare`].
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The latest log position, over all partitions, both sides were compared at.
    pub position: LogPosition,
    /// Events the rebuild applied.
    pub events_applied: i64,
    /// Every table of the projection.
    pub tables: Vec<TableDiff>,
}

impl Comparison {
    /// Whether every table is identical.
    pub fn is_identical(&self) -> bool {
        self.tables.iter().all(TableDiff::is_identical)
    }
}

impl Shadow {
    /// Brings the live read model level with the log in every partition and the
    /// rebuild to exactly where it then stands (holding the projection's lock so no
    /// runner moves meanwhile), and compares every table row by row; reports up to
    /// `max_rows` differing rows per side and table. Changes nothing: it all rolls
    /// back.
    pub async fn compare(&self, batch: i64, max_rows: i64) -> Result<Comparison, ReplayError> {
        let name = self.projection.name();
        // The runners' lock is held by a transaction of its own, taken before the
        // comparison's snapshot: a snapshot taken while waiting for a runner's batch
        // would not see that batch commit, and bringing the live side level would then
        // update its rows again ("could not serialize access due to concurrent update").
        let mut paused = self.pool.begin().await?;
        pause_live_runner(&mut paused, name).await?;
        let mut tx = self.pool.begin().await?;
        // One snapshot for the whole comparison: the live side is brought level with
        // the log partition by partition, and the rebuild must then read exactly what
        // those reads saw.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
        for partition in self.partitions(&mut tx).await? {
            apply_pending_in(&mut tx, &*self.projection, partition, batch)
                .await
                .map_err(|source| ReplayError::Live {
                    projection: name,
                    source,
                })?;
        }
        let live = self.live_checkpoints(&mut tx).await?;
        let until = Until::Positions(live.clone());
        while self.step_in(&mut tx, batch, &until).await? > 0 {}
        self.level_with(&mut tx, &live).await?;
        let state = self.state_in(&mut tx).await?;
        let mut tables = Vec::new();
        for table in self.projection.tables() {
            let (live_table, rebuilt) = (self.rows_live(table), self.rows(table));
            let live_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {live_table}"))
                .fetch_one(&mut *tx)
                .await?;
            let rebuilt_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {rebuilt}"))
                .fetch_one(&mut *tx)
                .await?;
            let (missing_count, missing) =
                difference(&mut tx, &live_table, &rebuilt, max_rows).await?;
            let (unexpected_count, unexpected) =
                difference(&mut tx, &rebuilt, &live_table, max_rows).await?;
            tables.push(TableDiff {
                table,
                live_rows,
                rebuilt_rows,
                missing_count,
                missing,
                unexpected_count,
                unexpected,
            });
        }
        tx.rollback().await?;
        paused.rollback().await?;
        Ok(Comparison {
            position: live.values().copied().max().unwrap_or(LogPosition::START),
            events_applied: state.events_applied,
            tables,
        })
    }
}

impl Shadow {
    /// The rows of a live table compared: those of the organization rebuilt, or all.
    fn rows_live(&self, table: &str) -> String {
        self.of_organization(self.qualified_live(table))
    }

    /// The rows of a rebuilt table compared.
    fn rows(&self, table: &str) -> String {
        self.of_organization(self.qualified(table))
    }

    fn of_organization(&self, table: String) -> String {
        match self.organization {
            None => table,
            Some(organization) => format!(
                "(SELECT * FROM {table} WHERE {} = {}) AS rows",
                quote(organization.column),
                organization.id
            ),
        }
    }
}

/// Rows of `left` that `right` lacks (as a multiset): their number and up to `limit`
/// of them as JSON, sorted so that two runs print the same.
async fn difference(
    conn: &mut PgConnection,
    left: &str,
    right: &str,
    limit: i64,
) -> Result<(i64, Vec<String>), sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT row_to_json(d)::text AS row, count(*) OVER () AS total
           FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right}) AS d
          ORDER BY 1
          LIMIT $1"
    ))
    .bind(limit.max(1))
    .fetch_all(conn)
    .await?;
    let total = rows.first().map(|(_, total)| *total).unwrap_or(0);
    let shown = rows
        .into_iter()
        .take(limit.max(0) as usize)
        .map(|(row, _)| row)
        .collect();
    Ok((total, shown))
}
