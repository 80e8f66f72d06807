//! The shadow's copies of the live tables: created with only the keys upserts need,
//! the other constraints and indexes built once the fill is done.

use sqlx::PgConnection;

use super::error::ReplayError;
use super::shadow::Shadow;
use crate::sql::identifier as quote;

impl Shadow {
    /// An empty copy of a live table: columns, defaults and checks, then its primary
    /// key, unique constraints and unique indexes under their live names (upserts need
    /// them), but for the `deferred` constraints the projection keeps by itself. Those
    /// and the other indexes wait for [`Shadow::build_indexes`]: filling a table
    /// without them is several times faster. On Citus, a copy of a distributed table is
    /// distributed the same way, co-located with the log.
    pub(super) async fn create_table(
        &self,
        conn: &mut PgConnection,
        table: &str,
        deferred: &[&str],
    ) -> Result<(), ReplayError> {
        let (live, shadow) = (self.qualified_live(table), self.qualified(table));
        sqlx::query(&format!(
            "CREATE TABLE {shadow} (LIKE {live} INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                 INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION)"
        ))
        .execute(&mut *conn)
        .await?;
        // Storage parameters (fillfactor) are not part of LIKE.
        let options: Option<Vec<String>> =
            sqlx::query_scalar("SELECT reloptions FROM pg_class WHERE oid = $1::regclass")
                .bind(&live)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(options) = options.filter(|options| !options.is_empty()) {
            sqlx::query(&format!(
                "ALTER TABLE {shadow} SET ({})",
                options.join(", ")
            ))
            .execute(&mut *conn)
            .await?;
        }
        self.add_missing_constraints(conn, table, deferred).await?;
        for definition in self.missing_indexes(conn, table, true).await? {
            sqlx::query(&definition).execute(&mut *conn).await?;
        }
        if let Some(column) = crate::citus::distribution_column(conn, &live).await? {
            crate::citus::distribute_like_log(
                conn,
                &shadow,
                &column,
                &self.qualified_live("events"),
            )
            .await?;
        }
        Ok(())
    }

    /// Adds the live table's primary key, unique and exclusion constraints that the
    /// shadow lacks, under their live names, but for those named in `except`.
    async fn add_missing_constraints(
        &self,
        conn: &mut PgConnection,
        table: &str,
        except: &[&str],
    ) -> Result<(), ReplayError> {
        let constraints: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid)
               FROM pg_constraint
              WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x')
                AND conname <> ALL($3)
                AND conname NOT IN (SELECT conname FROM pg_constraint
                                     WHERE conrelid = $2::regclass)
              ORDER BY conname",
        )
        .bind(self.qualified_live(table))
        .bind(self.qualified(table))
        .bind(except)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in constraints {
            sqlx::query(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
                self.qualified(table),
                quote(&name)
            ))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Definitions (re-targeted at the shadow) of the live table's indexes that back no
    /// constraint and that the shadow lacks; only the unique ones if `unique_only`.
    async fn missing_indexes(
        &self,
        conn: &mut PgConnection,
        table: &str,
        unique_only: bool,
    ) -> Result<Vec<String>, ReplayError> {
        // pg_get_indexdef quotes only where needed, as quote_ident does.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT pg_get_indexdef(i.indexrelid),
                    ' ON ' || quote_ident($4) || '.' || quote_ident($5) || ' '
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = $1::regclass
                AND (i.indisunique OR NOT $2)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                AND NOT EXISTS (SELECT 1 FROM pg_indexes s
                                 WHERE s.schemaname = $3 AND s.indexname = c.relname)
              ORDER BY c.relname",
        )
        .bind(self.qualified_live(table))
        .bind(unique_only)
        .bind(&self.schema)
        .bind(&self.live)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        let to = format!(" ON {} ", self.qualified(table));
        rows.into_iter()
            .map(|(definition, from)| {
                if definition.contains(&from) {
                    Ok(definition.replacen(&from, &to, 1))
                } else {
                    Err(ReplayError::Index(definition))
                }
            })
            .collect()
    }

    /// Creates the constraints and indexes left out while filling (idempotent).
    pub async fn build_indexes(&self) -> Result<(), ReplayError> {
        let mut conn = self.pool.acquire().await?;
        for table in self.projection.tables() {
            self.add_missing_constraints(&mut conn, table, &[]).await?;
            for definition in self.missing_indexes(&mut conn, table, false).await? {
                sqlx::query(&definition).execute(&mut *conn).await?;
            }
        }
        Ok(())
    }
}
