//! What projection tests share: stored events made from domain events, applying
//! them, and a projection's tables as JSON.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::{Projection, StoredEvent};

/// The time of position 0.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap()
}

/// Event `n` (its position) of `aggregate_type/id`, made by `actor` from 10.0.0.1,
/// `n` seconds after t0, in the log's partition 0.
pub fn stored<E: Serialize + cqrs_es::DomainEvent>(
    n: i64,
    (aggregate_type, id): (&str, &str),
    actor: &str,
    event: E,
) -> StoredEvent {
    let time = t0() + chrono::Duration::seconds(n);
    StoredEvent {
        position: n,
        tx_id: 1,
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.into(),
        sequence: n,
        event_type: event.event_type(),
        event_version: "1.0".into(),
        payload: serde_json::value::to_raw_value(&event).unwrap(),
        body: None,
        metadata: json!({"actor": actor, "ip_address": "10.0.0.1", "request_id": "r",
                         "time": time.to_rfc3339()}),
        recorded_at: t0(),
        organization_id: 0,
    }
}

/// Applies `events` as one batch.
pub async fn apply_all(projection: &dyn Projection, pool: &PgPool, events: &[StoredEvent]) {
    let mut conn = pool.acquire().await.unwrap();
    projection.apply_batch(&mut conn, events).await.unwrap();
}

/// Every table `projection` owns, as JSON, in a stable order.
pub async fn dump(projection: &dyn Projection, pool: &PgPool) -> Value {
    let mut out = serde_json::Map::new();
    for table in projection.tables() {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.insert((*table).to_owned(), rows);
    }
    Value::Object(out)
}

/// Applies `events`, then from empty tables one at a time: both give the same rows.
pub async fn assert_rebuilds_identically(
    projection: &dyn Projection,
    pool: &PgPool,
    events: &[StoredEvent],
) {
    apply_all(projection, pool, events).await;
    let live = dump(projection, pool).await;
    sqlx::query(&format!("TRUNCATE {}", projection.tables().join(", ")))
        .execute(pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    for event in events {
        projection.apply(&mut conn, event).await.unwrap();
    }
    assert_eq!(dump(projection, pool).await, live);
}
