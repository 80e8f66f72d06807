//! The batched-insert loop both the baseline and the floor's storage part measure
//! PostgreSQL with, so their rows/s compare like for like.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sqlx::PgPool;

use crate::machine;

pub const CONNECTIONS: u32 = 8;
pub const BATCH: usize = 100;

/// What [`batched`] wrote, and what it cost.
pub struct Inserted {
    pub rows: u64,
    pub wall_s: f64,
    /// Busy CPU seconds of the whole machine meanwhile.
    pub busy_s: Option<f64>,
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Creates a table (`create`) and inserts `items` into it by `BATCH`-row INSERTs
/// (`insert(n)` is the statement for `n` rows, `bind` binds one item) from
/// `CONNECTIONS` connections, each INSERT its own transaction: how fast this
/// PostgreSQL takes rows, the way both the baseline and the floor measure it.
pub async fn batched<T: Send + Sync + 'static>(
    database_url: &str,
    create: &str,
    insert: fn(usize) -> String,
    items: Arc<Vec<T>>,
    bind: for<'q> fn(PgQuery<'q>, &'q T) -> PgQuery<'q>,
) -> anyhow::Result<Inserted> {
    let pool: PgPool = crate::server::pool(database_url, CONNECTIONS).await?;
    sqlx::query(create).execute(&pool).await?;
    // Open every connection before the clock starts.
    let mut warm = Vec::new();
    for _ in 0..CONNECTIONS {
        warm.push(pool.acquire().await?);
    }
    drop(warm);

    let full_sql = insert(BATCH);
    let batches = items.len().div_ceil(BATCH);
    let next = Arc::new(AtomicUsize::new(0));
    let busy0 = machine::busy_seconds();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (pool, items, next, full_sql) =
            (pool.clone(), items.clone(), next.clone(), full_sql.clone());
        tasks.push(tokio::spawn(async move {
            let mut rows = 0u64;
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    break;
                }
                let chunk = &items[b * BATCH..((b + 1) * BATCH).min(items.len())];
                let sql = if chunk.len() == BATCH {
                    full_sql.clone()
                } else {
                    insert(chunk.len())
                };
                let mut query = sqlx::query(&sql);
                for item in chunk {
                    query = bind(query, item);
                }
                rows += query.execute(&pool).await?.rows_affected();
            }
            Ok::<u64, sqlx::Error>(rows)
        }));
    }
    let mut rows = 0;
    for task in tasks {
        rows += task.await??;
    }
    let wall_s = start.elapsed().as_secs_f64();
    let busy_s = machine::busy_seconds().zip(busy0).map(|(b, a)| b - a);
    pool.close().await;
    Ok(Inserted {
        rows,
        wall_s,
        busy_s,
    })
}

/// `INSERT INTO {table} VALUES ($1{cast}),($2{cast}),...` for `n` rows.
pub fn sql(table: &str, cast: &str, n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| format!("(${i}{cast})")).collect();
    format!("INSERT INTO {table} VALUES {}", values.join(","))
}
