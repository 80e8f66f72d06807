//! Issues and events over HTTP, against a real server: events written by the ingestor,
//! projected, and read back in Sentry's shapes; nothing reachable from another
//! organization.

use std::time::{Duration, Instant};

use chrono::Utc;
use faultline_commands::ingest::{ingested_payload, IngestJob, Ingestor, IssueDraft};
use faultline_domain::event::{grouping_hash, normalize, summarize, NormalizeContext};
use faultline_domain::issue::Occurrence;
use faultline_domain::metadata::{Actor, EventMetadata};
use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, Api, TestServer};
use crate::openapi::assert_matches_sentry;

const ORG_ISSUES: &str = "/api/0/organizations/{organization_id_or_slug}/issues/";
const PROJECT_ISSUES: &str =
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/";
const ISSUE_DETAIL: &str = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/";
const ISSUE_EVENTS: &str =
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/";
const ISSUE_EVENT: &str =
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/";
const PROJECT_EVENT: &str =
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}/";
const TAG_DETAIL: &str =
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/tags/{key}/";
const TAG_VALUES: &str =
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/tags/{key}/values/";

/// A sentry-python Django error event: an exception with frames, tags, a user, a
/// request, breadcrumbs and contexts.
pub(crate) fn django_error(
    event_id: &str,
    minutes_ago: i64,
    kind: &str,
    value: &str,
    user_id: &str,
) -> Value {
    let timestamp = Utc::now() - chrono::Duration::minutes(minutes_ago);
    json!({
        "event_id": event_id,
        "timestamp": timestamp.to_rfc3339(),
        "platform": "python",
        "level": "error",
        "logger": "django.request",
        "release": "backend@1.4.2",
        "environment": "production",
        "server_name": "web-1",
        "tags": { "browser": "Firefox" },
        "user": { "id": user_id, "email": format!("user{user_id}@example.com") },
        "request": {
            "url": "https://shop.example.com/checkout",
            "method": "POST",
            "query_string": "step=2",
            "headers": { "User-Agent": "Mozilla/5.0" },
        },
        "exception": { "values": [{
            "type": kind,
            "value": value,
            "module": "builtins",
            "mechanism": { "type": "django", "handled": false },
            "stacktrace": { "frames": [
                {
                    "filename": "django/core/handlers/base.py",
                    "abs_path": "/usr/lib/python3.12/site-packages/django/core/handlers/base.py",
                    "module": "django.core.handlers.base",
                    "function": "_get_response",
                    "lineno": 197,
                    "in_app": false,
                },
                {
                    "filename": "shop/views.py",
                    "abs_path": "/srv/shop/views.py",
                    "module": "shop.views",
                    "function": "checkout",
                    "lineno": 42,
                    "pre_context": ["def checkout(request):"],
                    "context_line": "    quantity = int(request.POST['quantity'])",
                    "post_context": ["    return render(request, 'checkout.html')"],
                    "in_app": true,
                },
            ]},
        }]},
        "breadcrumbs": { "values": [
            { "timestamp": timestamp.timestamp() as f64 - 1.5, "category": "django.db", "message": "SELECT 1" },
        ]},
        "contexts": { "runtime": { "type": "runtime", "name": "CPython", "version": "3.12.1" } },
        "sdk": { "name": "sentry.python.django", "version": "2.19.0" },
    })
}

/// The ingest job for `raw` in project `project_id`, as the ingest endpoint builds it.
pub(crate) fn job(org_id: i64, project_id: i64, raw: Value) -> IngestJob {
    let received = Utc::now();
    let event = normalize(
        sonic_rs::from_str(&raw.to_string()).expect("the event is JSON"),
        &NormalizeContext {
            received,
            client_ip: Some("203.0.113.7".into()),
            event_id: None,
            sdk_name_version: None,
            platform_hint: None,
        },
    )
    .expect("the event normalizes");
    let summary = summarize(&event);
    let hash = grouping_hash(&event);
    let title = summary.title.clone();
    let culprit = summary.culprit.clone();
    let occurrence = Occurrence {
        event_id: event.event_id.clone(),
        timestamp: event.timestamp,
        received,
        level: event.level.clone(),
        release: event.release.clone(),
        environment: event.environment.clone(),
        user_key: event.user_key.clone(),
        tags: event.tags.clone(),
        title,
        culprit,
        data: Value::Null,
    };
    let (occurrence, ingested_payload) = ingested_payload(occurrence, &event.data).unwrap();
    IngestJob {
        project_id,
        org_id,
        hash,
        draft: IssueDraft {
            title: summary.title.clone(),
            culprit: summary.culprit.clone(),
            metadata: summary.metadata.clone(),
            issue_type: summary.issue_type.clone(),
            level: summary.level.clone(),
            platform: summary.platform.clone(),
        },
        occurrence,
        ingested_payload,
        metadata: EventMetadata {
            actor: Actor::Key("test".into()),
            request_id: None,
            ip_address: None,
            time: received,
        },
    }
}

/// The `cursor="…"` of the `rel="next"` part of a `Link` header.
pub(crate) fn next_cursor(link: &str) -> String {
    let next = link
        .split(", <")
        .find(|part| part.contains("rel=\"next\""))
        .expect("a next link");
    next.split("cursor=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches('"')
        .to_owned()
}

/// The `Link` header of `GET path`.
pub(crate) async fn link_of(server: &TestServer, token: &str, path: &str) -> String {
    let response = reqwest::Client::new()
        .get(server.at(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.headers()["link"].to_str().unwrap().to_owned()
}

/// Waits (bounded) until the organization's issues add up to `events` events.
pub(crate) async fn wait_for_events(api: &Api, org: &str, events: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = api
            .get_ok(&format!("/api/0/organizations/{org}/issues/"))
            .await;
        let seen: u64 = last
            .as_array()
            .unwrap()
            .iter()
            .map(|issue| issue["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        if seen == events {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the issues projection did not reach {events} events within 20 s: {last}");
}

pub(crate) fn id(value: &Value) -> i64 {
    value["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn ingested_events_are_readable_as_sentry_issues_events_and_tags() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner_token = create_user(&url, "owner@example.com", false);
    let outsider_token = create_user(&url, "outsider@example.com", false);
    let owner = Api::new(&server, &owner_token);
    let outsider = Api::new(&server, &outsider_token);

    let org = owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({ "name": "Acme", "slug": "acme" })),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({ "slug": "core" })),
        )
        .await;
    let project = owner
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/core/projects/",
            Some(json!({ "name": "Backend", "slug": "backend", "platform": "python" })),
        )
        .await;
    outsider
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({ "name": "Globex", "slug": "globex" })),
        )
        .await;
    let (org_id, project_id) = (id(&org), id(&project));

    let e: Vec<String> = (0..4)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let value_error = "invalid literal for int() with base 10: 'abc'";
    let (ingestor, _task) = Ingestor::start(pool.clone(), Default::default());
    for raw in [
        django_error(&e[0], 30, "ValueError", value_error, "1"),
        django_error(&e[1], 20, "ValueError", value_error, "2"),
        django_error(&e[2], 10, "ValueError", value_error, "1"),
        django_error(&e[3], 5, "KeyError", "'quantity'", "3"),
    ] {
        ingestor.submit(job(org_id, project_id, raw)).await.unwrap();
    }

    // Lists: last seen first, paged by cursor.
    let issues = wait_for_events(&owner, "acme", 4).await;
    assert_matches_sentry("GET", ORG_ISSUES, 200, &issues);
    let titles: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "KeyError: 'quantity'",
            "ValueError: invalid literal for int() with base 10: 'abc'"
        ]
    );
    let (key_error, value_error_issue) = (id(&issues[0]), id(&issues[1]));
    let in_project = owner.get_ok("/api/0/projects/acme/backend/issues/").await;
    assert_matches_sentry("GET", PROJECT_ISSUES, 200, &in_project);
    assert_eq!(in_project, issues);
    let filtered = owner
        .get_ok(&format!(
            "/api/0/organizations/acme/issues/?project={project_id}&limit=1"
        ))
        .await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(id(&filtered[0]), key_error);
    let link = link_of(
        &server,
        &owner_token,
        "/api/0/organizations/acme/issues/?limit=1",
    )
    .await;
    assert!(link.contains("rel=\"next\"; results=\"true\""), "{link}");
    let cursor = next_cursor(&link);
    assert!(
        cursor.ends_with(&format!(":{key_error}:0")),
        "the next cursor is keyed on the last row: {cursor}"
    );
    let second = owner
        .get_ok(&format!(
            "/api/0/organizations/acme/issues/?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(id(&second[0]), value_error_issue);
    let link = link_of(
        &server,
        &owner_token,
        &format!("/api/0/organizations/acme/issues/?limit=1&cursor={cursor}"),
    )
    .await;
    assert!(link.contains("rel=\"next\"; results=\"false\""), "{link}");

    // The issue detail.
    let issue_path = format!("/api/0/organizations/acme/issues/{value_error_issue}/");
    let detail = owner.get_ok(&issue_path).await;
    assert_matches_sentry("GET", ISSUE_DETAIL, 200, &detail);
    assert_eq!(detail["id"], json!(value_error_issue.to_string()));
    assert_eq!(detail["shortId"], json!("BACKEND-1"));
    assert_eq!(detail["count"], json!("3"));
    assert_eq!(detail["userCount"], json!(2));
    assert_eq!(
        detail["title"],
        json!("ValueError: invalid literal for int() with base 10: 'abc'")
    );
    assert_eq!(detail["culprit"], json!("shop.views in checkout"));
    assert_eq!(
        detail["metadata"],
        json!({
            "type": "ValueError",
            "value": value_error,
            "filename": "shop/views.py",
            "function": "checkout",
        })
    );
    assert_eq!(detail["level"], json!("error"));
    assert_eq!(detail["status"], json!("unresolved"));
    assert_eq!(detail["substatus"], json!("new"));
    assert_eq!(detail["platform"], json!("python"));
    assert_eq!(
        detail["project"],
        json!({ "id": project_id.to_string(), "name": "Backend", "slug": "backend", "platform": "python" })
    );
    assert_eq!(
        detail["permalink"],
        json!(format!(
            "{}/organizations/acme/issues/{value_error_issue}/",
            server.url
        ))
    );
    assert_eq!(
        owner
            .get_ok(&format!("/api/0/issues/{value_error_issue}/"))
            .await["shortId"],
        json!("BACKEND-1")
    );
    assert_eq!(
        owner
            .get_ok(&format!("/api/0/organizations/acme/issues/{key_error}/"))
            .await["shortId"],
        json!("BACKEND-2")
    );

    // Its events: newest first, latest, oldest, and by id with neighbours.
    let events_path = format!("{issue_path}events/");
    let events = owner.get_ok(&events_path).await;
    assert_matches_sentry("GET", ISSUE_EVENTS, 200, &events);
    let ids: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![e[2].as_str(), e[1].as_str(), e[0].as_str()]);
    assert_eq!(events[0]["groupID"], json!(value_error_issue.to_string()));
    let latest = owner.get_ok(&format!("{events_path}latest/")).await;
    assert_matches_sentry("GET", ISSUE_EVENT, 200, &latest);
    assert_eq!(latest["eventID"], json!(e[2]));
    assert_eq!(latest["previousEventID"], json!(e[1]));
    assert_eq!(latest["nextEventID"], Value::Null);
    let oldest = owner.get_ok(&format!("{events_path}oldest/")).await;
    assert_eq!(oldest["eventID"], json!(e[0]));
    assert_eq!(oldest["previousEventID"], Value::Null);

    let event_path = format!("/api/0/projects/acme/backend/events/{}/", e[1]);
    let event = owner.get_ok(&event_path).await;
    assert_matches_sentry("GET", PROJECT_EVENT, 200, &event);
    assert_eq!(event["id"], json!(e[1]));
    assert_eq!(event["groupID"], json!(value_error_issue.to_string()));
    assert_eq!(event["projectID"], json!(project_id.to_string()));
    assert_eq!(event["previousEventID"], json!(e[0]));
    assert_eq!(event["nextEventID"], json!(e[2]));
    assert_eq!(
        event["title"],
        json!("ValueError: invalid literal for int() with base 10: 'abc'")
    );
    assert_eq!(event["culprit"], json!("shop.views in checkout"));
    assert_eq!(event["platform"], json!("python"));
    assert_eq!(event["type"], json!("error"));
    assert_eq!(event["environment"], json!("production"));
    assert_eq!(event["user"]["id"], json!("2"));
    assert_eq!(
        event["sdk"],
        json!({ "name": "sentry.python.django", "version": "2.19.0" })
    );
    assert_eq!(event["contexts"]["runtime"]["name"], json!("CPython"));
    assert!(event["tags"]
        .as_array()
        .unwrap()
        .contains(&json!({ "key": "user", "value": "id:2" })));
    assert!(event["tags"]
        .as_array()
        .unwrap()
        .contains(&json!({ "key": "server_name", "value": "web-1" })));
    let entry_types: Vec<&str> = event["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(entry_types, vec!["exception", "breadcrumbs", "request"]);
    let exception = &event["entries"][0]["data"]["values"][0];
    assert_eq!(exception["type"], json!("ValueError"));
    assert_eq!(
        exception["stacktrace"]["frames"][1]["function"],
        json!("checkout")
    );
    assert_eq!(exception["stacktrace"]["frames"][1]["lineNo"], json!(42));
    assert_eq!(exception["stacktrace"]["frames"][1]["inApp"], json!(true));
    assert_eq!(
        exception["stacktrace"]["frames"][1]["context"][1],
        json!([42, "    quantity = int(request.POST['quantity'])"])
    );
    assert_eq!(
        event["entries"][1]["data"]["values"][0]["message"],
        json!("SELECT 1")
    );
    assert_eq!(
        event["entries"][2]["data"]["url"],
        json!("https://shop.example.com/checkout")
    );
    assert_eq!(event["entries"][2]["data"]["query"], json!([["step", "2"]]));
    let by_id = owner.get_ok(&format!("{events_path}{}/", e[1])).await;
    assert_eq!(by_id, event);

    // Tags: counts and top values, and the values of one key, paged.
    let tags = owner.get_ok(&format!("{issue_path}tags/")).await;
    let user_tag = tags
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == json!("user"))
        .unwrap()
        .clone();
    assert_eq!(user_tag["totalValues"], json!(3));
    assert_eq!(user_tag["uniqueValues"], json!(2));
    let top: Vec<(&str, i64)> = user_tag["topValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(top, vec![("id:1", 2), ("id:2", 1)]);
    let level_tag = owner.get_ok(&format!("{issue_path}tags/level/")).await;
    assert_matches_sentry("GET", TAG_DETAIL, 200, &level_tag);
    assert_eq!(level_tag["totalValues"], json!(3));
    let values = owner
        .get_ok(&format!("{issue_path}tags/user/values/"))
        .await;
    assert_matches_sentry("GET", TAG_VALUES, 200, &values);
    assert_eq!(values.as_array().unwrap().len(), 2);
    assert_eq!(values[0]["value"], json!("id:1"));
    assert_eq!(values[0]["count"], json!(2));
    let first_page = owner
        .get_ok(&format!("{issue_path}tags/user/values/?limit=1"))
        .await;
    assert_eq!(first_page.as_array().unwrap().len(), 1);
    let link = link_of(
        &server,
        &owner_token,
        &format!("{issue_path}tags/user/values/?limit=1"),
    )
    .await;
    assert!(link.contains("rel=\"next\"; results=\"true\""), "{link}");

    // Another organization's member sees none of it.
    for path in [
        "/api/0/organizations/acme/issues/".to_owned(),
        "/api/0/projects/acme/backend/issues/".to_owned(),
        issue_path.clone(),
        format!("/api/0/issues/{value_error_issue}/"),
        format!("/api/0/organizations/globex/issues/{value_error_issue}/"),
        events_path.clone(),
        format!("{events_path}latest/"),
        format!("{events_path}oldest/"),
        format!("{events_path}{}/", e[1]),
        format!("/api/0/organizations/globex/issues/{value_error_issue}/events/"),
        format!("/api/0/issues/{value_error_issue}/events/latest/"),
        event_path.clone(),
        format!("{issue_path}tags/"),
        format!("{issue_path}tags/user/values/"),
        format!("/api/0/organizations/globex/issues/{value_error_issue}/tags/"),
        format!("/api/0/organizations/globex/issues/{value_error_issue}/tags/user/values/"),
    ] {
        outsider.expect(404, "GET", &path, None).await;
    }
    let foreign = outsider
        .get_ok(&format!(
            "/api/0/organizations/globex/issues/?project={project_id}"
        ))
        .await;
    assert_eq!(foreign, json!([]));
}

/// `clients` senders, each submitting `each` events one after the other (as SDK
/// connections do), over ten fingerprints, to an ingestor started with `config` on a
/// fresh database; returns its pool once every event is answered.
async fn ingest_concurrently(
    config: faultline_commands::ingest::IngestorConfig,
    clients: usize,
    each: usize,
) -> sqlx::PgPool {
    let (_url, pool) = fresh_database().await;
    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let (ingestor, _task) = Ingestor::start(pool.clone(), config);
    let senders = (0..clients).map(|client| {
        let ingestor = ingestor.clone();
        async move {
            for n in 0..each {
                let id = client * each + n;
                let kind = format!("Error{}", id % 10);
                let raw = django_error(&format!("{id:032x}"), 1, &kind, "boom", "1");
                ingestor.submit(job(1, 1, raw)).await.unwrap();
            }
        }
    });
    futures::future::join_all(senders).await;
    pool
}

/// The log holds ten issue streams of `per_issue` ingested events each, every stream
/// gapless and in sequence order when read in log order.
async fn assert_ten_gapless_streams_in_log_order(pool: &sqlx::PgPool, per_issue: i64) {
    let streams = issue_streams(pool).await;
    assert_eq!(streams.len(), 10);
    assert!(
        streams
            .iter()
            .all(|(ingested, _, _, _)| *ingested == per_issue),
        "{streams:?}"
    );
    assert!(
        streams.iter().all(|(_, count, last, _)| count == last),
        "{streams:?}"
    );
    assert!(
        streams.iter().all(|(_, _, _, in_order)| *in_order),
        "{streams:?}"
    );
}

/// Per issue stream: (EventIngested count, events, last sequence, whether reading in
/// log order (`tx_id`, `position`), as projections do, gives sequence order).
async fn issue_streams(pool: &sqlx::PgPool) -> Vec<(i64, i64, i64, bool)> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE event_type = 'EventIngested'), count(*), max(sequence),
                array_agg(sequence ORDER BY tx_id, position) = array_agg(sequence ORDER BY sequence)
           FROM log_events WHERE aggregate_type = 'issue' GROUP BY aggregate_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn several_ingest_tasks_store_every_event_of_many_issues_in_gapless_streams() {
    let config = faultline_commands::ingest::IngestorConfig {
        workers: 3,
        ..Default::default()
    };

    let pool = ingest_concurrently(config, 60, 1).await;

    assert_ten_gapless_streams_in_log_order(&pool, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn senders_one_after_another_on_many_connections_keep_each_issue_stream_gapless_and_in_log_order(
) {
    let pool = ingest_concurrently(Default::default(), 20, 20).await;

    assert_ten_gapless_streams_in_log_order(&pool, 40).await;
}
