//! Sentry's issue search on the issue lists, against a real server: events written by
//! the ingestor, filtered with `?query=`, sorted, with stats, and paged by keyset
//! cursors while new events arrive.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use faultline_commands::ingest::Ingestor;
use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::issues::{id, job, link_of, next_cursor};
use crate::openapi::assert_matches_sentry;

const ORG_ISSUES: &str = "/api/0/organizations/{organization_id_or_slug}/issues/";

/// An error event of exception type `kind`: one issue per kind.
fn error_event(kind: &str, level: &str, release: &str, environment: &str, browser: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "timestamp": Utc::now().to_rfc3339(),
        "platform": "python",
        "level": level,
        "release": release,
        "environment": environment,
        "tags": { "browser": browser },
        "user": { "id": uuid::Uuid::new_v4().simple().to_string() },
        "exception": { "values": [{
            "type": kind,
            "value": format!("{kind} happened"),
            "stacktrace": { "frames": [{
                "filename": "shop/views.py",
                "module": "shop.views",
                "function": "checkout",
                "lineno": 42,
                "in_app": true,
            }]},
        }]},
    })
}

/// `value` percent-encoded for a query string.
fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The titles of the organization's issues matching `params`.
async fn titles(api: &Api, params: &str) -> Vec<String> {
    api.get_ok(&format!("/api/0/organizations/acme/issues/?{params}"))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (bounded) until every issue together counts `events` events.
async fn wait_for_events(api: &Api, events: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = api
            .get_ok("/api/0/organizations/acme/issues/?query=&limit=100")
            .await;
        let seen: u64 = last
            .as_array()
            .unwrap()
            .iter()
            .map(|issue| issue["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        if seen == events {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the issues projection did not reach {events} events within 20 s: {last}");
}

#[tokio::test]
async fn issue_lists_filter_sort_and_count_by_the_search_query() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "owner@example.com", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    let org_id = id(&api.get_ok("/api/0/organizations/acme/").await);

    let (ingestor, _task) = Ingestor::start(pool.clone(), Default::default());
    let events = [
        ("TypeError", "fatal", "1.0", "staging", "Safari"),
        ("TypeError", "fatal", "1.0", "staging", "Safari"),
        ("KeyError", "warning", "2.0", "staging", "Chrome"),
        ("ValueError", "error", "1.0", "production", "Firefox"),
        ("ValueError", "error", "1.0", "production", "Firefox"),
        ("ValueError", "error", "1.0", "production", "Firefox"),
    ];
    for (kind, level, release, environment, browser) in events {
        let raw = error_event(kind, level, release, environment, browser);
        ingestor
            .submit(job(org_id, project.project_id, raw))
            .await
            .unwrap();
    }
    wait_for_events(&api, 6).await;
    let (value_error, key_error, type_error) = (
        "ValueError: ValueError happened",
        "KeyError: KeyError happened",
        "TypeError: TypeError happened",
    );

    // Several filters at once, negation, lists, free text and the environment scope.
    assert_eq!(
        titles(&api, &format!("query={}", enc("level:error release:1.0"))).await,
        [value_error]
    );
    assert_eq!(
        titles(
            &api,
            &format!("query={}", enc("!level:warning environment:staging"))
        )
        .await,
        [type_error]
    );
    assert_eq!(
        titles(
            &api,
            &format!(
                "query={}",
                enc("is:unresolved release:[1.0,2.0] browser:Chrome")
            )
        )
        .await,
        [key_error]
    );
    assert_eq!(
        titles(&api, &format!("query={}", enc("keyerror happened"))).await,
        [key_error]
    );
    assert_eq!(
        titles(&api, "query=&environment=production").await,
        [value_error]
    );
    assert_eq!(
        titles(&api, "query=is:resolved").await,
        Vec::<String>::new()
    );
    let in_project = api
        .get_ok(&format!(
            "/api/0/projects/acme/backend/issues/?query={}",
            enc("level:fatal times_seen:>=2")
        ))
        .await;
    assert_eq!(in_project.as_array().unwrap().len(), 1);
    assert_eq!(in_project[0]["title"], json!(type_error));

    // Sorts.
    assert_eq!(
        titles(&api, "sort=freq").await,
        [value_error, type_error, key_error]
    );
    assert_eq!(
        titles(&api, &format!("sort=freq&query={}", enc("times_seen:>1"))).await,
        [value_error, type_error]
    );
    assert_eq!(
        titles(&api, "sort=date").await,
        [value_error, key_error, type_error]
    );

    // Stats for the page's issues.
    let with_stats = api
        .get_ok("/api/0/organizations/acme/issues/?sort=freq&statsPeriod=24h")
        .await;
    assert_matches_sentry("GET", ORG_ISSUES, 200, &with_stats);
    let day = with_stats[0]["stats"]["24h"].as_array().unwrap();
    assert_eq!(day.len(), 24);
    assert!(day
        .iter()
        .all(|bucket| bucket.as_array().unwrap().len() == 2));
    let total: i64 = day.iter().map(|bucket| bucket[1].as_i64().unwrap()).sum();
    assert_eq!(total, 3);
    assert_eq!(
        day[1][0].as_i64().unwrap() - day[0][0].as_i64().unwrap(),
        3600
    );
    let weeks = api
        .get_ok("/api/0/organizations/acme/issues/?statsPeriod=14d")
        .await;
    assert_eq!(weeks[0]["stats"]["14d"].as_array().unwrap().len(), 14);

    // Refusals name what was wrong.
    let (status, body) = api
        .call(
            "GET",
            &format!(
                "/api/0/organizations/acme/issues/?query={}",
                enc("is:unresolved level:[error,fatal")
            ),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("level:[error,fatal"),
        "{body}"
    );
    let (status, body) = api
        .call(
            "GET",
            "/api/0/organizations/acme/issues/?query=is:bogus",
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("bogus"), "{body}");
    let (status, body) = api
        .call(
            "GET",
            "/api/0/projects/acme/backend/issues/?sort=loudest",
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("loudest"),
        "{body}"
    );
    let (status, _) = api
        .call(
            "GET",
            "/api/0/organizations/acme/issues/?statsPeriod=7d",
            None,
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_page_walk_lists_every_issue_once_while_events_arrive() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "owner@example.com", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    let org_id = id(&api.get_ok("/api/0/organizations/acme/").await);
    let (ingestor, _task) = Ingestor::start(pool.clone(), Default::default());
    let ingest = |kind: String| {
        let ingestor = ingestor.clone();
        async move {
            let raw = error_event(&kind, "error", "1.0", "production", "Firefox");
            ingestor
                .submit(job(org_id, project.project_id, raw))
                .await
                .unwrap();
        }
    };
    for n in 0..5 {
        ingest(format!("Original{n}Error")).await;
    }
    let mut events = 5;
    wait_for_events(&api, events).await;
    let originals: BTreeSet<i64> = api
        .get_ok("/api/0/organizations/acme/issues/")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(originals.len(), 5);

    let mut listed = Vec::new();
    let mut path = "/api/0/organizations/acme/issues/?limit=2".to_owned();
    for page in 0.. {
        let body = api.get_ok(&path).await;
        let rows = body.as_array().unwrap();
        assert!(rows.len() <= 2);
        listed.extend(rows.iter().map(id));
        let link = link_of(&server, &token, &path).await;
        if link.contains("rel=\"next\"; results=\"false\"") {
            break;
        }
        // Between pages: a listed issue gets a new event (it moves to the top) and a
        // new issue appears (above the cursor too).
        ingest(rows[0]["metadata"]["type"].as_str().unwrap().to_owned()).await;
        ingest(format!("Arrived{page}Error")).await;
        events += 2;
        wait_for_events(&api, events).await;
        path = format!(
            "/api/0/organizations/acme/issues/?limit=2&cursor={}",
            next_cursor(&link)
        );
    }
    let distinct: BTreeSet<i64> = listed.iter().copied().collect();
    assert_eq!(distinct.len(), listed.len(), "no issue twice: {listed:?}");
    assert_eq!(distinct, originals, "every issue of the first page's list");
}
