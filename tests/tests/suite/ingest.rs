//! The ingestion protocol: auth, encodings, limits, item types, rate limits.

use std::io::Write;

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, ProjectKey, TestServer,
};

struct Setup {
    server: TestServer,
    pool: PgPool,
    api: Api,
    token: String,
    project: ProjectKey,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "dev@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    Setup {
        server,
        pool,
        api,
        token,
        project,
        http: reqwest::Client::new(),
    }
}

fn exception_event(event_id: &str, function: &str) -> serde_json::Value {
    json!({
        "event_id": event_id,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{
            "type": "ValueError",
            "value": format!("bad value {event_id}"),
            "stacktrace": {"frames": [
                {"filename": "lib.py", "function": "helper", "module": "lib", "in_app": false, "lineno": 10},
                {"filename": "app.py", "function": function, "module": "app", "in_app": true, "lineno": 42}
            ]}
        }]},
        "tags": {"browser": "firefox"},
        "user": {"id": "42"}
    })
}

impl Setup {
    fn envelope_url(&self) -> String {
        self.server
            .at(&format!("/api/{}/envelope/", self.project.project_id))
    }

    fn auth(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key={}",
            self.project.key
        )
    }

    async fn send(&self, body: Vec<u8>, encoding: Option<&str>) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .post(self.envelope_url())
            .header("x-sentry-auth", self.auth())
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    async fn ingested(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT payload->'EventIngested'->>'event_id' FROM ingested_events ORDER BY position",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
    writer.write_all(data).unwrap();
    drop(writer);
    out
}

#[tokio::test]
async fn events_are_accepted_through_envelope_and_store_in_every_encoding() {
    let setup = setup().await;
    let id = |n: u32| format!("{n:032x}");

    let identity = setup
        .send(event_envelope(&exception_event(&id(1), "main")), None)
        .await;
    let gzipped = setup
        .send(
            gzip(&event_envelope(&exception_event(&id(2), "main"))),
            Some("gzip"),
        )
        .await;
    let deflated = setup
        .send(
            zlib(&event_envelope(&exception_event(&id(3), "main"))),
            Some("deflate"),
        )
        .await;
    let brotlied = setup
        .send(
            brotli(&event_envelope(&exception_event(&id(4), "main"))),
            Some("br"),
        )
        .await;
    let stored = setup
        .http
        .post(
            setup
                .server
                .at(&format!("/api/{}/store/", setup.project.project_id)),
        )
        .header("x-sentry-auth", setup.auth())
        .header("content-encoding", "gzip")
        .body(gzip(exception_event(&id(5), "main").to_string().as_bytes()))
        .send()
        .await
        .unwrap();
    let by_query = setup
        .http
        .post(format!(
            "{}?sentry_key={}&sentry_version=7",
            setup.envelope_url(),
            setup.project.key
        ))
        .body(event_envelope(&exception_event(&id(6), "main")))
        .send()
        .await
        .unwrap();

    assert_eq!(identity, (200, json!({"id": id(1)})));
    assert_eq!(gzipped, (200, json!({"id": id(2)})));
    assert_eq!(deflated, (200, json!({"id": id(3)})));
    assert_eq!(brotlied, (200, json!({"id": id(4)})));
    assert_eq!(stored.status(), 200);
    assert_eq!(by_query.status(), 200);
    assert_eq!(setup.ingested().await, (1..=6).map(id).collect::<Vec<_>>());
}

#[tokio::test]
async fn bad_submissions_get_clear_errors_and_the_server_stays_healthy() {
    let setup = setup().await;
    let event = event_envelope(&exception_event(&format!("{:032x}", 7), "main"));
    let other_key = "0123456789abcdef0123456789abcdef";

    let anonymous = setup
        .http
        .post(setup.envelope_url())
        .body(event.clone())
        .send()
        .await
        .unwrap();
    let unknown_key = setup
        .http
        .post(setup.envelope_url())
        .header("x-sentry-auth", format!("Sentry sentry_key={other_key}"))
        .body(event.clone())
        .send()
        .await
        .unwrap();
    let wrong_project = setup
        .http
        .post(setup.server.at(&format!(
            "/api/{}/envelope/",
            setup.project.project_id + 1000
        )))
        .header("x-sentry-auth", setup.auth())
        .body(event.clone())
        .send()
        .await
        .unwrap();
    let malformed = setup.send(b"{not json\n".to_vec(), None).await;
    let bad_event = setup
        .send(b"{}\n{\"type\":\"event\"}\n[1,2\n".to_vec(), None)
        .await;
    let huge_message = "x".repeat(2 * 1024 * 1024);
    let too_large = setup
        .send(event_envelope(&json!({"message": huge_message})), None)
        .await;
    let bomb = gzip(&vec![b' '; 120 * 1024 * 1024]);
    let bombed = setup.send(bomb, Some("gzip")).await;
    let corrupt = setup
        .send(b"definitely not gzip".to_vec(), Some("gzip"))
        .await;
    let health = setup
        .http
        .get(setup.server.at("/_health"))
        .send()
        .await
        .unwrap();

    assert_eq!(anonymous.status(), 401);
    assert_eq!(unknown_key.status(), 403);
    assert_eq!(wrong_project.status(), 403);
    assert_eq!(malformed.0, 400);
    assert!(malformed.1["detail"]
        .as_str()
        .unwrap()
        .starts_with("invalid envelope"));
    assert_eq!(bad_event.0, 400);
    assert!(bad_event.1["detail"]
        .as_str()
        .unwrap()
        .starts_with("invalid event JSON"));
    assert_eq!(too_large.0, 413);
    assert_eq!(bombed.0, 413);
    assert_eq!(corrupt.0, 400);
    assert_eq!(health.status(), 200);
    assert!(setup.ingested().await.is_empty());
}

#[tokio::test]
async fn items_faultline_does_not_store_are_accepted() {
    let setup = setup().await;
    let body = concat!(
        "{\"event_id\":\"0000000000000000000000000000000a\",\"sent_at\":\"2026-01-01T00:00:00Z\"}\n",
        "{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\",\"init\":true}\n",
        "{\"type\":\"client_report\"}\n{\"discarded_events\":[]}\n",
        "{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nhello\n",
        "{\"type\":\"transaction\"}\n{\"type\":\"transaction\",\"spans\":[]}\n",
        "{\"type\":\"something_new\"}\n{}\n",
        "{\"type\":\"event\"}\n{\"message\":\"with friends\"}\n"
    );
    let sessions_only = "{}\n{\"type\":\"sessions\"}\n{\"aggregates\":[]}\n";

    let mixed = setup.send(body.as_bytes().to_vec(), None).await;
    let empty = setup.send(sessions_only.as_bytes().to_vec(), None).await;

    assert_eq!(
        mixed,
        (200, json!({"id": "0000000000000000000000000000000a"}))
    );
    assert_eq!(empty, (200, json!({})));
    assert_eq!(
        setup.ingested().await,
        vec!["0000000000000000000000000000000a".to_owned()]
    );
}

#[tokio::test]
async fn a_disabled_key_a_revoked_key_and_a_deleted_project_are_refused() {
    let setup = setup().await;
    let event = || event_envelope(&json!({"message": "hi"}));
    let key_path = format!("/api/0/projects/acme/backend/keys/{}/", setup.project.key);

    let before = setup.send(event(), None).await;
    setup
        .api
        .expect(200, "PUT", &key_path, Some(json!({"isActive": false})))
        .await;
    let disabled = setup.send(event(), None).await;
    setup
        .api
        .expect(200, "PUT", &key_path, Some(json!({"isActive": true})))
        .await;
    let enabled = setup.send(event(), None).await;
    setup.api.expect(204, "DELETE", &key_path, None).await;
    let revoked = setup.send(event(), None).await;
    let second = setup
        .api
        .expect(
            201,
            "POST",
            "/api/0/projects/acme/backend/keys/",
            Some(json!({"name": "second"})),
        )
        .await;
    let fresh = Setup {
        project: ProjectKey {
            key: second["public"].as_str().unwrap().to_owned(),
            ..setup.project
        },
        ..setup
    };
    let with_new_key = fresh.send(event(), None).await;
    fresh
        .api
        .expect(204, "DELETE", "/api/0/projects/acme/backend/", None)
        .await;
    let deleted = fresh.send(event(), None).await;

    assert_eq!(before.0, 200);
    assert_eq!(disabled.0, 403);
    assert_eq!(enabled.0, 200);
    assert_eq!(revoked.0, 403);
    assert_eq!(with_new_key.0, 200);
    assert_eq!(deleted.0, 403);
}

#[tokio::test]
async fn a_rate_limited_key_gets_429_with_the_headers_sdks_back_off_on() {
    let setup = setup().await;
    let key_path = format!("/api/0/projects/acme/backend/keys/{}/", setup.project.key);
    setup
        .api
        .expect(
            200,
            "PUT",
            &key_path,
            Some(json!({"rateLimit": {"window": 3600, "count": 2}})),
        )
        .await;

    let first = setup
        .send(event_envelope(&json!({"message": "1"})), None)
        .await;
    let second = setup
        .send(event_envelope(&json!({"message": "2"})), None)
        .await;
    let third = setup
        .http
        .post(setup.envelope_url())
        .header("x-sentry-auth", setup.auth())
        .body(event_envelope(&json!({"message": "3"})))
        .send()
        .await
        .unwrap();

    assert_eq!(first.0, 200);
    assert_eq!(second.0, 200);
    assert_eq!(third.status(), 429);
    let retry_after: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let limits = third.headers()["x-sentry-rate-limits"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(retry_after > 0 && retry_after <= 3600);
    assert_eq!(limits, format!("{retry_after}::key:key_quota"));
    assert_eq!(setup.ingested().await.len(), 2);
}

#[tokio::test]
async fn fifty_concurrent_first_events_of_one_fingerprint_make_exactly_one_issue() {
    let setup = setup().await;
    let sends = (0..50).map(|n| {
        let body = event_envelope(&exception_event(&format!("{:032x}", 100 + n), "checkout"));
        let request = setup
            .http
            .post(setup.envelope_url())
            .header("x-sentry-auth", setup.auth())
            .body(body);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(sends).await;
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'IssueCreated'")
            .fetch_one(&setup.pool)
            .await
            .unwrap();
    let streams: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT aggregate_id) FROM events WHERE aggregate_type = 'issue'",
    )
    .fetch_one(&setup.pool)
    .await
    .unwrap();

    let mut issues = setup
        .api
        .get_ok("/api/0/projects/acme/backend/issues/")
        .await;
    for _ in 0..200 {
        if issues[0]["count"] == "50" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        issues = setup
            .api
            .get_ok("/api/0/projects/acme/backend/issues/")
            .await;
    }

    assert!(statuses.iter().all(|s| *s == 200));
    assert_eq!(issues.as_array().unwrap().len(), 1);
    assert_eq!(issues[0]["count"], "50");
    assert_eq!(issues[0]["userCount"], 1);
    assert_eq!(created, 1);
    assert_eq!(streams, 1);
    assert_eq!(setup.ingested().await.len(), 50);
}

#[tokio::test]
async fn browsers_get_cors_preflight_answers() {
    let setup = setup().await;
    let preflight = setup
        .http
        .request(reqwest::Method::OPTIONS, setup.envelope_url())
        .header("origin", "https://app.example.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    let post = setup
        .http
        .post(setup.envelope_url())
        .header("origin", "https://app.example.test")
        .header("x-sentry-auth", setup.auth())
        .body(event_envelope(&json!({"message": "from a browser"})))
        .send()
        .await
        .unwrap();

    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.test"
    );
    assert_eq!(post.status(), 200);
    assert_eq!(
        post.headers()["access-control-allow-origin"],
        "https://app.example.test"
    );
    assert!(post.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("x-sentry-rate-limits"));
}

/// An event whose `extra` holds nested arrays, `depth` levels deep in all (the event
/// object is level 1, `extra` level 2).
fn event_nested(event_id: &str, depth: usize) -> Vec<u8> {
    let arrays = depth - 2;
    let payload = format!(
        "{{\"event_id\":\"{event_id}\",\"message\":\"deep\",\"extra\":{{\"deep\":{}{}}}}}",
        "[".repeat(arrays),
        "]".repeat(arrays)
    );
    format!(
        "{{\"event_id\":\"{event_id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn deeply_nested_json_is_refused_with_400_and_the_server_stays_healthy() {
    let setup = setup().await;
    let id = |n: u32| format!("{n:032x}");
    let limit = faultline_domain::event::MAX_JSON_DEPTH;
    let bomb = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bomb_event = format!("{{\"message\":\"x\",\"extra\":{{\"a\":{bomb}}}}}");
    let bomb_header = format!("{{\"sdk\":{{\"a\":{bomb}}}}}\n{{\"type\":\"event\"}}\n{{}}\n");

    let below_limit = setup.send(event_nested(&id(1), limit - 1), None).await;
    let at_limit = setup.send(event_nested(&id(2), limit), None).await;
    let over_limit = setup.send(event_nested(&id(3), limit + 1), None).await;
    let nested_10k = setup
        .send(
            format!("{{}}\n{{\"type\":\"event\"}}\n{bomb_event}\n").into_bytes(),
            None,
        )
        .await;
    let header_10k = setup.send(bomb_header.into_bytes(), None).await;
    let stored_10k = setup
        .http
        .post(
            setup
                .server
                .at(&format!("/api/{}/store/", setup.project.project_id)),
        )
        .header("x-sentry-auth", setup.auth())
        .body(bomb_event.clone())
        .send()
        .await
        .unwrap();
    let api_10k = setup
        .http
        .put(setup.server.at("/api/0/projects/acme/backend/issues/?id=1"))
        .bearer_auth(&setup.token)
        .header("content-type", "application/json")
        .body(format!("{{\"status\":{bomb}}}"))
        .send()
        .await
        .unwrap();
    let health = setup
        .http
        .get(setup.server.at("/_health"))
        .send()
        .await
        .unwrap();
    let afterwards = setup
        .send(event_envelope(&exception_event(&id(4), "main")), None)
        .await;

    let too_deep = format!("invalid event JSON: JSON nested deeper than {limit} levels");
    assert_eq!(below_limit, (200, json!({"id": id(1)})));
    assert_eq!(at_limit, (200, json!({"id": id(2)})));
    assert_eq!(over_limit, (400, json!({"detail": too_deep})));
    assert_eq!(nested_10k, (400, json!({"detail": too_deep})));
    assert_eq!(
        header_10k,
        (
            400,
            json!({"detail": format!("invalid envelope: envelope header JSON nested deeper than {limit} levels")})
        )
    );
    assert_eq!(stored_10k.status(), 400);
    assert_eq!(
        stored_10k.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": too_deep})
    );
    assert_eq!(api_10k.status(), 400);
    assert_eq!(
        api_10k.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": format!("Failed to parse the request body as JSON: JSON nested deeper than {limit} levels")})
    );
    assert_eq!(health.status(), 200);
    assert_eq!(afterwards, (200, json!({"id": id(4)})));
    assert_eq!(setup.ingested().await, vec![id(1), id(2), id(4)]);
}

#[tokio::test]
async fn an_envelope_with_too_many_items_is_refused_with_413() {
    let setup = setup().await;
    let limit = faultline_domain::event::MAX_ENVELOPE_ITEMS;
    let session = "{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n";
    let event = "{\"type\":\"event\"}\n{\"message\":\"counted\"}\n";
    let envelope = |items: usize| {
        format!(
            "{{\"event_id\":\"{:032x}\"}}\n{}{event}",
            items,
            session.repeat(items - 1)
        )
        .into_bytes()
    };

    let at_limit = setup.send(envelope(limit), None).await;
    let over_limit = setup.send(envelope(limit + 1), None).await;
    let empty_items = setup
        .send(
            format!("{{}}\n{}", "{\"type\":\"x\"}\n\n".repeat(100_000)).into_bytes(),
            None,
        )
        .await;
    let health = setup
        .http
        .get(setup.server.at("/_health"))
        .send()
        .await
        .unwrap();

    let detail = format!("envelope exceeded size limits: more than {limit} items");
    assert_eq!(at_limit, (200, json!({"id": format!("{limit:032x}")})));
    assert_eq!(over_limit, (413, json!({"detail": detail})));
    assert_eq!(empty_items, (413, json!({"detail": detail})));
    assert_eq!(health.status(), 200);
    assert_eq!(setup.ingested().await, vec![format!("{limit:032x}")]);
}

#[tokio::test]
async fn an_ingested_event_keeps_its_compressed_body_in_the_body_column_not_in_its_json() {
    let setup = setup().await;
    let event_id = format!("{:032x}", 7);

    let (status, _) = setup
        .send(event_envelope(&exception_event(&event_id, "main")), None)
        .await;

    assert_eq!(status, 200);
    let (version, payload, body): (String, serde_json::Value, Vec<u8>) =
        sqlx::query_as("SELECT event_version, payload, body FROM ingested_events")
            .fetch_one(&setup.pool)
            .await
            .unwrap();
    assert_eq!(version, "4.0");
    assert_eq!(payload["EventIngested"]["data"], serde_json::Value::Null);
    assert!(!payload.to_string().contains("lib.py"), "{payload}");
    let read = faultline_domain::upcast::current_of_row(
        "issue",
        "EventIngested",
        &version,
        payload,
        Some(&body),
    );
    let event: faultline_domain::issue::IssueEvent = serde_json::from_value(read).unwrap();
    let faultline_domain::issue::IssueEvent::EventIngested(occurrence) = event else {
        panic!("not an ingested event");
    };
    assert_eq!(occurrence.event_id, event_id);
    assert_eq!(
        occurrence.data["exception"]["values"][0]["value"],
        json!(format!("bad value {event_id}"))
    );
}

#[tokio::test]
async fn every_row_of_the_log_names_the_organization_whose_data_it_is() {
    let setup = setup().await;
    let (status, _) = setup
        .send(
            event_envelope(&exception_event(&format!("{:032x}", 7), "checkout")),
            None,
        )
        .await;
    let org_id: i64 = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = 'acme'")
        .fetch_one(&setup.pool)
        .await
        .unwrap();

    let partitions: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT DISTINCT aggregate_type, event_type, organization_id FROM log_events
          WHERE aggregate_type IN ('user', 'organization', 'project', 'issue')
            AND event_type IN ('UserCreated', 'OrganizationCreated', 'ProjectCreated',
                               'IssueCreated', 'EventIngested')
          ORDER BY 1, 2",
    )
    .fetch_all(&setup.pool)
    .await
    .unwrap();
    let heads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stream_heads WHERE aggregate_type = 'issue' AND organization_id = $1",
    )
    .bind(org_id)
    .fetch_one(&setup.pool)
    .await
    .unwrap();

    assert_eq!(status, 200);
    assert_eq!(
        partitions,
        [
            ("issue".into(), "EventIngested".into(), org_id),
            ("issue".into(), "IssueCreated".into(), org_id),
            ("organization".into(), "OrganizationCreated".into(), org_id),
            ("project".into(), "ProjectCreated".into(), org_id),
            ("user".into(), "UserCreated".into(), 0),
        ]
    );
    assert_eq!(heads, 1);
}
