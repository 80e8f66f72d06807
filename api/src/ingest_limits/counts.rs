//! Counters of accepted envelope items, by type.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use serde_json::{json, Value};

/// Accepted envelope items by type, since start (what is not stored is still counted).
#[derive(Default)]
pub struct IngestCounts(DashMap<String, AtomicU64>);

impl IngestCounts {
    /// Counts one accepted item of `item_type`.
    pub fn add(&self, item_type: &str) {
        self.0
            .entry(item_type.to_owned())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The counts as a JSON object.
    pub fn to_json(&self) -> Value {
        let map: serde_json::Map<String, Value> = self
            .0
            .iter()
            .map(|entry| {
                (
                    entry.key().clone(),
                    json!(entry.value().load(Ordering::Relaxed)),
                )
            })
            .collect();
        Value::Object(map)
    }
}
