//! The floor to compare with: how fast this Postgres takes the same event JSONs into
//! a plain table with a bigserial key, by multi-row INSERT, with the same durability
//! settings (each batch is its own autocommit transaction).

use std::sync::Arc;

use crate::insert;
use crate::payload::{Size, Templates};
use crate::progress::log;

pub struct BaselineResult {
    pub rows: u64,
    pub wall_s: f64,
}

impl BaselineResult {
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.wall_s.max(1e-9)
    }
}

/// Inserts `rows` K=50 event JSONs, built before the clock starts.
pub async fn run(database_url: &str, rows: usize) -> anyhow::Result<BaselineResult> {
    log(format!(
        "baseline: {rows} rows, multi-row INSERT of {} from {} connections",
        insert::BATCH,
        insert::CONNECTIONS
    ));
    let jsons = {
        let templates = Templates::build(50, 4, Size::Realistic);
        (0..rows).map(|i| templates.render(i).1).collect::<Vec<_>>()
    };
    let inserted = insert::batched(
        database_url,
        "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)",
        |n| insert::sql("bench_baseline (payload)", "::jsonb", n),
        Arc::new(jsons),
        |query, json: &String| query.bind(json.as_str()),
    )
    .await?;
    let result = BaselineResult {
        rows: inserted.rows,
        wall_s: inserted.wall_s,
    };
    log(format!("baseline: {:.0} rows/s", result.rows_per_s()));
    Ok(result)
}
