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
