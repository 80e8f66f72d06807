//! Read latency of the issue and event endpoints and of the web UI's main pages,
//! one request at a time.

use std::time::Instant;

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::load::pct;
use crate::progress::log;
use crate::server::{self, Api, Browser, Project};

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

/// How a row's requests authenticate, and what counts as an answer.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// The REST API with the bench user's token: any 2xx.
    Token(&'a Api),
    /// The web UI as a signed-in browser (session cookie, redirects not followed):
    /// a 200 with HTML.
    Session(&'a Browser),
}

impl Auth<'_> {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        match self {
            Auth::Token(api) => api.get(path),
            Auth::Session(browser) => browser.get(path),
        }
    }

    fn answered(&self, response: &reqwest::Response) -> bool {
        match self {
            Auth::Token(_) => response.status().is_success(),
            Auth::Session(_) => {
                response.status() == reqwest::StatusCode::OK
                    && response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("text/html"))
            }
        }
    }
}

/// Why a first answer does not count: its status, and where a redirect led.
fn refusal(response: &reqwest::Response) -> String {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type");
    match location {
        Some(location) => format!("n/a (answered {status} to {location})"),
        None if response.status().is_success() => {
            format!("n/a (answered {status}, {content_type})")
        }
        None => format!("n/a (answered {status})"),
    }
}

/// GETs `paths` round-robin `samples` times after a short warm-up. If the first
/// answer is not a success the endpoint is reported as unavailable.
pub async fn measure(
    auth: Auth<'_>,
    name: &'static str,
    endpoint: &'static str,
    paths: &[String],
    samples: usize,
) -> QueryResult {
    if paths.is_empty() {
        return QueryResult::unavailable(name, endpoint, "n/a (nothing to ask for)".into());
    }
    match auth.get(&paths[0]).send().await {
        Ok(r) if auth.answered(&r) => {
            let _ = r.bytes().await;
        }
        Ok(r) => return QueryResult::unavailable(name, endpoint, refusal(&r)),
        Err(e) => return QueryResult::unavailable(name, endpoint, format!("n/a ({e})")),
    }
    for path in paths.iter().take(5) {
        if let Ok(r) = auth.get(path).send().await {
            let _ = r.bytes().await;
        }
    }
    let mut latencies = Vec::with_capacity(samples);
    let mut failures = 0;
    for i in 0..samples {
        let path = &paths[i % paths.len()];
        let t0 = Instant::now();
        match auth.get(path).send().await {
            Ok(r) => {
                let ok = auth.answered(&r);
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
    let mut rows = vec![
        measure(
            Auth::Token(api),
            "issue list (default)",
            "GET /api/0/projects/{org}/{project}/issues/",
            &list,
            samples,
        )
        .await,
        measure(
            Auth::Token(api),
            "issue search (is:unresolved level:error times_seen:>10 error)",
            "GET /api/0/projects/{org}/{project}/issues/?query=...",
            &search,
            samples,
        )
        .await,
        measure(
            Auth::Token(api),
            "issue details",
            "GET /api/0/organizations/{org}/issues/{id}/",
            &details,
            samples,
        )
        .await,
        measure(
            Auth::Token(api),
            "latest event of an issue",
            "GET /api/0/organizations/{org}/issues/{id}/events/latest/",
            &latest,
            samples,
        )
        .await,
        measure(
            Auth::Token(api),
            "event by id",
            "GET /api/0/projects/{org}/{project}/events/{event_id}/",
            &by_id,
            samples,
        )
        .await,
    ];
    rows.extend(ui(api, project, &issue_ids, samples).await);
    Ok(rows)
}

/// The web UI's three main pages, signed in like a browser (issue #26).
async fn ui(api: &Api, project: &Project, issue_ids: &[i64], samples: usize) -> Vec<QueryResult> {
    const STREAM: (&str, &str) = (
        "UI issue stream",
        "GET /organizations/{org}/issues/?project={id}",
    );
    const ISSUE: (&str, &str) = ("UI issue page", "GET /organizations/{org}/issues/{id}/");
    const EVENT: (&str, &str) = (
        "UI event page",
        "GET /organizations/{org}/issues/{id}/events/latest/",
    );
    let browser =
        match Browser::sign_in(&api.base, server::BENCH_EMAIL, server::BENCH_PASSWORD).await {
            Ok(browser) => browser,
            Err(error) => {
                log(format!(
                    "UI sign-in failed, the UI rows get no figures: {error:#}"
                ));
                return [STREAM, ISSUE, EVENT]
                    .into_iter()
                    .map(|(name, endpoint)| {
                        QueryResult::unavailable(
                            name,
                            endpoint,
                            format!("n/a (sign-in failed: {error:#})"),
                        )
                    })
                    .collect();
            }
        };
    let stream = vec![format!(
        "/organizations/bench/issues/?project={}",
        project.id
    )];
    let issue: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/organizations/bench/issues/{id}/"))
        .collect();
    let event: Vec<String> = issue_ids
        .iter()
        .map(|id| format!("/organizations/bench/issues/{id}/events/latest/"))
        .collect();
    let auth = Auth::Session(&browser);
    vec![
        measure(auth, STREAM.0, STREAM.1, &stream, samples).await,
        measure(auth, ISSUE.0, ISSUE.1, &issue, samples).await,
        measure(auth, EVENT.0, EVENT.1, &event, samples).await,
    ]
}
