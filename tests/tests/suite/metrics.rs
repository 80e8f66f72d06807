//! `GET /metrics`: Prometheus text, counters that move by exactly what was sent,
//! route templates as labels, and `--metrics-bind`.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, ProjectKey, TestServer,
};

/// The samples of one scrape of `url`.
pub(crate) async fn scrape(url: &str) -> Vec<Sample> {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(parse_sample)
        .collect()
}

/// One sample of the Prometheus text format.
pub(crate) struct Sample {
    metric: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// `name{key="value",...} number`. Label values may hold any character (route
/// templates hold braces), with `\\`, `\"` and `\n` escaped.
fn parse_sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
    let value = value.parse().expect("a sample's value is a number");
    let Some((metric, mut rest)) = series.split_once('{') else {
        return Sample {
            metric: series.to_owned(),
            labels: HashMap::new(),
            value,
        };
    };
    let mut labels = HashMap::new();
    while let Some((key, quoted)) = rest.split_once("=\"") {
        let mut label = String::new();
        let mut chars = quoted.char_indices();
        let end = loop {
            match chars.next().expect("a label value ends with a quote") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("an escape has a character").1 {
                    'n' => label.push('\n'),
                    other => label.push(other),
                },
                (_, c) => label.push(c),
            }
        };
        labels.insert(key.trim_start_matches(',').to_owned(), label);
        rest = &quoted[end + 1..];
    }
    Sample {
        metric: metric.to_owned(),
        labels,
        value,
    }
}

/// The value of the sample `metric` with every label of `labels` (0 when absent:
/// a counter not yet incremented has no series).
pub(crate) fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.metric == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map_or(0.0, |sample| sample.value)
}

fn envelope_of(items: &[(&str, String)]) -> Vec<u8> {
    let mut body = String::from("{}\n");
    for (item_type, payload) in items {
        body.push_str(&format!(
            "{{\"type\":\"{item_type}\",\"length\":{}}}\n{payload}\n",
            payload.len()
        ));
    }
    body.into_bytes()
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> u16 {
    http.post(url)
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={key}"),
        )
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn ingest_counters_move_by_exactly_what_was_sent() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let ProjectKey {
        project_id, key, ..
    } = project_with_key(&api, "acme", "backend").await;
    let http = reqwest::Client::new();
    let envelope_url = server.at(&format!("/api/{project_id}/envelope/"));
    let store_url = server.at(&format!("/api/{project_id}/store/"));
    let json_type = "application/json";
    let envelope_type = "application/x-sentry-envelope";
    let huge = "x".repeat(1_100_000);

    let before = scrape(&server.at("/metrics")).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let event = event_envelope(&json!({"message": format!("envelope {n}")}));
        statuses.push(post(&http, &envelope_url, &key, event, envelope_type).await);
    }
    let with_session = envelope_of(&[
        ("event", json!({"message": "with a session"}).to_string()),
        ("session", json!({"sid": "s1", "status": "ok"}).to_string()),
    ]);
    statuses.push(post(&http, &envelope_url, &key, with_session, envelope_type).await);
    for n in 0..2 {
        let event = json!({"message": format!("store {n}")}).to_string();
        statuses.push(post(&http, &store_url, &key, event.into_bytes(), json_type).await);
    }
    let bad_json = envelope_of(&[("event", "{not json".to_owned())]);
    statuses.push(post(&http, &envelope_url, &key, bad_json, envelope_type).await);
    let too_large = envelope_of(&[("event", json!({ "message": huge }).to_string())]);
    statuses.push(post(&http, &envelope_url, &key, too_large, envelope_type).await);
    let stranger = event_envelope(&json!({"message": "wrong key"}));
    let wrong_key = "0123456789abcdef0123456789abcdef";
    statuses.push(post(&http, &envelope_url, wrong_key, stranger, envelope_type).await);
    let after = scrape(&server.at("/metrics")).await;

    let moved = |metric: &str, labels: &[(&str, &str)]| {
        value(&after, metric, labels) - value(&before, metric, labels)
    };
    let items = "faultline_ingest_items_total";
    let requests = "faultline_ingest_requests_total";
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 400, 413, 403]);
    assert_eq!(
        moved(
            requests,
            &[("endpoint", "envelope"), ("outcome", "accepted")]
        ),
        4.0
    );
    assert_eq!(
        moved(requests, &[("endpoint", "store"), ("outcome", "accepted")]),
        2.0
    );
    assert_eq!(
        moved(
            requests,
            &[("endpoint", "envelope"), ("outcome", "invalid")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            requests,
            &[("endpoint", "envelope"), ("outcome", "too_large")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            requests,
            &[("endpoint", "envelope"), ("outcome", "unauthorized")]
        ),
        1.0
    );
    assert_eq!(
        moved(items, &[("item_type", "event"), ("outcome", "accepted")]),
        6.0
    );
    assert_eq!(
        moved(items, &[("item_type", "session"), ("outcome", "accepted")]),
        1.0
    );
    assert_eq!(
        moved(items, &[("item_type", "event"), ("outcome", "invalid")]),
        1.0
    );
    assert_eq!(
        moved(items, &[("item_type", "event"), ("outcome", "too_large")]),
        1.0
    );
    assert_eq!(
        moved(
            items,
            &[("item_type", "event"), ("outcome", "unauthorized")]
        ),
        1.0
    );
    // Every accepted event went through exactly one ingestor batch.
    assert_eq!(moved("faultline_ingest_batch_events_sum", &[]), 6.0);
    let envelope_route = [("route", "/api/{project_id}/envelope/"), ("method", "POST")];
    assert_eq!(
        moved(
            "faultline_http_request_duration_seconds_count",
            &[envelope_route[0], envelope_route[1], ("status", "2xx")]
        ),
        4.0
    );
    assert_eq!(
        moved(
            "faultline_http_request_duration_seconds_count",
            &[envelope_route[0], envelope_route[1], ("status", "4xx")]
        ),
        3.0
    );
    let raw_path = format!("/api/{project_id}/");
    assert!(after
        .iter()
        .all(|s| s.labels.get("route").is_none_or(|r| !r.contains(&raw_path))));
    assert!(after
        .iter()
        .any(|s| s.labels.get("route").map(String::as_str) == Some("/api/{project_id}/store/")));
    assert_eq!(
        value(
            &after,
            "faultline_projection_failed",
            &[("projection", "issues")]
        ),
        0.0
    );
    assert!(after
        .iter()
        .any(|s| s.metric == "faultline_projection_lag_events"
            && s.labels.get("projection").map(String::as_str) == Some("issues")));
    assert!(value(&after, "faultline_db_pool_max_connections", &[]) > 0.0);
}

#[tokio::test]
async fn metrics_bind_serves_metrics_on_an_address_of_their_own() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_METRICS_BIND", "127.0.0.1:0"),
    ]);
    let address = server
        .logs()
        .lines()
        .filter(|line| line.contains("metrics listening"))
        .find_map(|line| {
            let parsed: serde_json::Value = serde_json::from_str(line).ok()?;
            Some(parsed["address"].as_str()?.to_owned())
        })
        .expect("the server logs where metrics listen");

    let on_main = reqwest::get(server.at("/metrics")).await.unwrap();
    let samples = scrape(&format!("http://{address}/metrics")).await;

    assert_eq!(on_main.status(), 404);
    assert!(samples
        .iter()
        .any(|s| s.metric == "faultline_projection_position"));
}

#[test]
fn a_sample_with_braces_and_escapes_in_its_labels_parses() {
    let sample = parse_sample(r#"x_count{route="/api/{id}/",note="a \"b\"\\c"} 4"#);

    assert_eq!(sample.metric, "x_count");
    assert_eq!(sample.labels["route"], "/api/{id}/");
    assert_eq!(sample.labels["note"], r#"a "b"\c"#);
    assert_eq!(sample.value, 4.0);
}
