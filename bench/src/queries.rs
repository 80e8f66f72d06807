//! Read latency of the issue and event endpoints, one request at a time.

use std::time::Instant;

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::load::pct;
use crate::progress::log;
use crate::server::{Api, Project};

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

/// Picks the issues and events to ask for, then measures each endpoint.
pub async fn run(
    api: &Api,
    pool: &PgPool,
    project: &Project,
    event_ids: &[String],
    samples: usize,
) -> anyhow::Result<Vec<QueryResult>> {
    log(format!("queries: {samples} requests per endpoint"));
    let mut issue_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM issues WHERE project_id = $1 ORDER BY random() LIMIT 200",
    )
    .bind(project.id)
    .fetch_all(pool)
    .await
    .unwrap_or_default();
    if issue_ids.is_empty() {
        // No read-model rows to pick from: take the ids the list endpoint shows.
        if let Ok(r) = api
            .get(&format!("/api/0/projects/bench/{}/issues/", project.slug))
            .send()
            .await
        {
            if let Ok(Value::Array(items)) = r.json::<Value>().await {
                issue_ids = items
                    .iter()
                    .filter_map(|i| i["id"].as_str().and_then(|s| s.parse().ok()))
                    .collect();
            }
        }
    }
    let list = vec![format!("/api/0/projects/bench/{}/issues/", project.slug)];
    // The search of the issue-search target: status, level, a counter and free text.
    let search = vec![format!(
        "/api/0/projects/bench/{}/issues/?query=is:unresolved%20level:error%20times_seen:%3E10%20error",
        project.slug
    )];
    let details: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/api/0/organizations/bench/issues/{id}/"))
        .collect();
    let latest: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/api/0/organizations/bench/issues/{id}/events/latest/"))
        .collect();
    let by_id: Vec<String> = event_ids
        .iter()
        .take(200)
        .map(|id| format!("/api/0/projects/bench/{}/events/{id}/", project.slug))
        .collect();
    Ok(vec![
        measure(
            api,
            "issue list (default)",
            "GET /api/0/projects/{org}/{project}/issues/",
            &list,
            samples,
        )
        .await,
        measure(
            api,
            "issue search (is:unresolved level:error times_seen:>10 error)",
            "GET /api/0/projects/{org}/{project}/issues/?query=...",
            &search,
            samples,
        )
        .await,
        measure(
            api,
            "issue details",
            "GET /api/0/organizations/{org}/issues/{id}/",
            &details,
            samples,
        )
        .await,
        measure(
            api,
            "latest event of an issue",
            "GET /api/0/organizations/{org}/issues/{id}/events/latest/",
            &latest,
            samples,
        )
        .await,
        measure(
            api,
            "event by id",
            "GET /api/0/projects/{org}/{project}/events/{event_id}/",
            &by_id,
            samples,
        )
        .await,
    ])
}
