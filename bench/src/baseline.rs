//! The floor to compare with: how fast this Postgres takes the same event JSONs into
//! a plain table with a bigserial key, by multi-row INSERT, with the same durability
//! settings (each batch is its own autocommit transaction).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sqlx::PgPool;

pub const CONNECTIONS: u32 = 8;
pub const BATCH: usize = 100;

pub struct BaselineResult {
    pub rows: u64,
    pub wall_s: f64,
}

impl BaselineResult {
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.wall_s.max(1e-9)
    }
}

pub async fn run(database_url: &str, jsons: Vec<String>) -> anyhow::Result<BaselineResult> {
    let inserted = insert_batched(
        database_url,
        "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)",
        |n| insert_sql("bench_baseline (payload)", "::jsonb", n),
        Arc::new(jsons),
        |query, json: &String| query.bind(json.as_str()),
    )
    .await?;
    Ok(BaselineResult {
        rows: inserted.rows,
        wall_s: inserted.wall_s,
    })
}

/// What [`insert_batched`] wrote, and what it cost.
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
pub async fn insert_batched<T: Send + Sync + 'static>(
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
    let busy0 = crate::floor::machine_busy_seconds();
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
    let busy_s = crate::floor::machine_busy_seconds()
        .zip(busy0)
        .map(|(b, a)| b - a);
    pool.close().await;
    Ok(Inserted {
        rows,
        wall_s,
        busy_s,
    })
}

/// `INSERT INTO {table} VALUES ($1{cast}),($2{cast}),...` for `n` rows.
pub fn insert_sql(table: &str, cast: &str, n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| format!("(${i}{cast})")).collect();
    format!("INSERT INTO {table} VALUES {}", values.join(","))
}
