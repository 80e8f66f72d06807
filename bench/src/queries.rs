//! Read latency of the issue and event endpoints, one request at a time.

use std::time::Instant;

use serde_json::{json, Value};

use crate::load::pct;
use crate::server::Api;

pub struct QueryResult {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub samples: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Why there is no figure.
    pub note: Option<String>,
}

impl QueryResult {
    fn unavailable(name: &'static str, endpoint: &'static str, note: String) -> QueryResult {
        QueryResult {
            name,
            endpoint,
            samples: 0,
            p50_ms: None,
            p99_ms: None,
            note: Some(note),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name, "endpoint": self.endpoint, "samples": self.samples,
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "note": self.note,
        })
    }
}

/// GETs `paths` round-robin `samples` times after a short warm-up. If the first
/// answer is not a success the endpoint is reported as unavailable.
pub async fn measure(
    api: &Api,
    name: &'static str,
    endpoint: &'static str,
    paths: &[String],
    samples: usize,
) -> QueryResult {
    if paths.is_empty() {
        return QueryResult::unavailable(name, endpoint, "n/a (nothing to ask for)".into());
    }
    match api.get(&paths[0]).send().await {
        Ok(r) if r.status().is_success() => {
            let _ = r.bytes().await;
        }
        Ok(r) => {
            return QueryResult::unavailable(
                name,
                endpoint,
                format!("n/a (answered {})", r.status().as_u16()),
            )
        }
        Err(e) => return QueryResult::unavailable(name, endpoint, format!("n/a ({e})")),
    }
    for path in paths.iter().take(5) {
        let _ = api.get(path).send().await.map(|r| r.bytes());
    }
    let mut latencies = Vec::with_capacity(samples);
    let mut failures = 0;
    for i in 0..samples {
        let path = &paths[i % paths.len()];
        let t0 = Instant::now();
        match api.get(path).send().await {
            Ok(r) => {
                let ok = r.status().is_success();
                let _ = r.bytes().await;
                if ok {
                    latencies.push(t0.elapsed().as_secs_f64() * 1e3);
                } else {
                    failures += 1;
                }
            }
            Err(_) => failures += 1,
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    QueryResult {
        name,
        endpoint,
        samples: latencies.len(),
        p50_ms: pct(&latencies, 50.0),
        p99_ms: pct(&latencies, 99.0),
        note: (failures > 0).then(|| format!("{failures} requests failed")),
    }
}
