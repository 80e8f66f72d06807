//! `GET /metrics`: this process's metrics in the Prometheus text format, with the
//! database's gauges (projection lag and position, the pool) read at scrape time.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use faultline_projections::status::statuses;

use crate::error::ApiError;
use crate::metrics::{
    DB_POOL_ACQUIRE_WAIT, DB_POOL_CONNECTIONS, DB_POOL_MAX, LOG_TABLE_BYTES, LOG_TABLE_ROWS,
    PROJECTION_FAILED, PROJECTION_LAG, PROJECTION_POSITION,
};
use crate::state::AppState;

/// A scrape answers within this even when the database does not (with the gauges
/// it read last).
const DATABASE_BUDGET: Duration = Duration::from_secs(2);

/// The Prometheus exposition format this answers in.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(scrape))
        .method_not_allowed_fallback(crate::fallback::method_not_allowed)
}

async fn scrape(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::NotFound.into_response();
    };
    if tokio::time::timeout(DATABASE_BUDGET, read_database_gauges(&state))
        .await
        .is_err()
    {
        tracing::warn!("metrics scrape could not read the database in time");
    }
    metrics_process::Collector::default().collect();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response()
}

async fn read_database_gauges(state: &AppState) {
    let pool = &state.pool;
    let started = Instant::now();
    let acquired = pool.acquire().await;
    metrics::gauge!(DB_POOL_ACQUIRE_WAIT).set(started.elapsed().as_secs_f64());
    drop(acquired);
    let idle = pool.num_idle() as f64;
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle);
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.size()) - idle);
    metrics::gauge!(DB_POOL_MAX).set(f64::from(pool.options().get_max_connections()));
    match statuses(pool, &state.runners()).await {
        Ok(projections) => {
            for projection in projections {
                let name = projection.name;
                metrics::gauge!(PROJECTION_LAG, "projection" => name.clone())
                    .set(projection.lag as f64);
                metrics::gauge!(PROJECTION_POSITION, "projection" => name.clone())
                    .set(projection.position as f64);
                metrics::gauge!(PROJECTION_FAILED, "projection" => name)
                    .set(if projection.failed { 1.0 } else { 0.0 });
            }
        }
        Err(error) => tracing::warn!(%error, "metrics scrape could not read projection status"),
    }
    match faultline_projections::storage::table_estimates(pool).await {
        Ok(tables) => {
            for (table, rows, bytes) in tables {
                metrics::gauge!(LOG_TABLE_ROWS, "table" => table.clone()).set(rows as f64);
                metrics::gauge!(LOG_TABLE_BYTES, "table" => table).set(bytes as f64);
            }
        }
        Err(error) => tracing::warn!(%error, "metrics scrape could not read the log's size"),
    }
}
