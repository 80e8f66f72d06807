//! The floor to compare with: how fast this Postgres takes the same event JSONs into
//! a plain table with a bigserial key, by multi-row INSERT, with the same durability
//! settings (each batch is its own autocommit transaction).

use std::sync::Arc;

use crate::insert;

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
    let inserted = insert::batched(
        database_url,
        "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)",
        |n| insert::sql("bench_baseline (payload)", "::jsonb", n),
        Arc::new(jsons),
        |query, json: &String| query.bind(json.as_str()),
    )
    .await?;
    Ok(BaselineResult {
        rows: inserted.rows,
        wall_s: inserted.wall_s,
    })
}
