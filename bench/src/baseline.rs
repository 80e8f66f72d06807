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
    let pool: PgPool = crate::server::pool(database_url, CONNECTIONS).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)",
    )
    .execute(&pool)
    .await?;
    // Open every connection before the clock starts.
    let mut warm = Vec::new();
    for _ in 0..CONNECTIONS {
        warm.push(pool.acquire().await?);
    }
    drop(warm);

    let full_sql = insert_sql(BATCH);
    let jsons = Arc::new(jsons);
    let batches = jsons.len().div_ceil(BATCH);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (pool, jsons, next, full_sql) =
            (pool.clone(), jsons.clone(), next.clone(), full_sql.clone());
        tasks.push(tokio::spawn(async move {
            let mut rows = 0u64;
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    break;
                }
                let chunk = &jsons[b * BATCH..((b + 1) * BATCH).min(jsons.len())];
                let sql = if chunk.len() == BATCH {
                    full_sql.clone()
                } else {
                    insert_sql(chunk.len())
                };
                let mut query = sqlx::query(&sql);
                for json in chunk {
                    query = query.bind(json.as_str());
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
    pool.close().await;
    Ok(BaselineResult { rows, wall_s })
}

fn insert_sql(n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| format!("(${i}::jsonb)")).collect();
    format!(
        "INSERT INTO bench_baseline (payload) VALUES {}",
        values.join(",")
    )
}
