//! What a transaction does differently on a Citus coordinator, in statements that
//! PostgreSQL without Citus accepts as they are.

use sqlx::PgConnection;

/// Makes the rest of the transaction use one connection per worker. A transaction
/// that changes the schema of, or distributes, tables after reading or writing
/// several shards in parallel is refused on Citus (`cannot run schema command
/// because there was a parallel operation on a distributed table`), and DDL over
/// parallel connections can wait on its own transaction's locks, which Citus reports
/// as a distributed deadlock. PostgreSQL without Citus keeps the setting as a
/// placeholder that nothing reads.
pub async fn one_connection_per_worker(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        .execute(conn)
        .await?;
    Ok(())
}

/// The column `table` is distributed by, on a Citus coordinator; `None` for a table
/// that is not distributed, and always on PostgreSQL without Citus.
pub async fn distribution_column(
    conn: &mut PgConnection,
    table: &str,
) -> Result<Option<String>, sqlx::Error> {
    let citus: bool =
        sqlx::query_scalar("SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !citus {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition
          WHERE logicalrelid = $1::regclass AND partmethod = 'h'",
    )
    .bind(table)
    .fetch_optional(conn)
    .await
}

/// Distributes `table` by `column`, co-located with the log (`colocate_with`, a
/// distributed table of the log): a copy of a distributed read model (a rebuild's
/// shadow) must live where the original does, or swapping it in would move every
/// organization's rows to the coordinator.
pub async fn distribute_like_log(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    colocate_with: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)")
        .bind(table)
        .bind(column)
        .bind(colocate_with)
        .execute(conn)
        .await?;
    Ok(())
}
