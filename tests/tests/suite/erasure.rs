//! `faultline forget user`: one person erased from an organization's stored events, so
//! that a dump of the whole database holds nothing of them, while the issues keep their
//! counts and read models rebuilt from the log equal the live ones.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    acme_backend, age_first_partition, ingest_tally, move_log_past_first_partition, run_faultline,
    send_event, AcmeBackend, ProjectKey, TestServer,
};

async fn send(server: &TestServer, project: &ProjectKey, user: Value, address: &str) {
    let event = json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "level": "error",
        "user": user,
        "request": {"url": "https://shop.test/cart", "env": {"REMOTE_ADDR": address}},
        "exception": {"values": [{"type": "CartError", "value": "empty cart"}]},
    });
    send_event(server, project, &event).await;
}

/// The whole database as `pg_dump` writes it.
fn dump(url: &str) -> String {
    let output = Command::new("pg_dump")
        .arg("--data-only")
        .arg(url)
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn a_forgotten_person_leaves_no_trace_in_a_dump_and_the_counts_stay() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    let ada = json!({"id": "u-4242", "email": "ada@example.test", "ip_address": "203.0.113.9"});
    for _ in 0..3 {
        send(&server, &project, ada.clone(), "203.0.113.9").await;
    }
    for _ in 0..2 {
        let bob = json!({"id": "u-77", "email": "bob@example.test"});
        send(&server, &project, bob, "198.51.100.20").await;
    }
    ingest_tally(&pool, Duration::from_secs(30)).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let issue_path = format!("/api/0/organizations/acme/issues/{id}/");
    let before = api.get_ok(&issue_path).await;
    let events_path = format!("{issue_path}events/?full=true");
    // Bodies are stored compressed: the events as the API decodes them show what the
    // bodies hold, the dump what every plain column and read model holds.
    let bodies_before = api.get_ok(&events_path).await.to_string();
    let dumped_before = dump(&url);

    let erased = run_faultline(
        &url,
        &[
            "forget",
            "user",
            "--org",
            "acme",
            "--email",
            "ada@example.test",
        ],
        &[],
    );
    let after = api.get_ok(&issue_path).await;
    let users = api.get_ok(&format!("{issue_path}tags/user/")).await;
    let bodies = api.get_ok(&events_path).await;
    let dumped = dump(&url);
    let exported = run_faultline(&url, &["log", "export", "--org", "acme"], &[]);
    let erasures: Vec<(Value, Value)> =
        sqlx::query_as("SELECT payload, metadata FROM events WHERE event_type = 'PersonErased'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(bodies_before.contains("ada@example.test"));
    assert!(bodies_before.contains("203.0.113.9"));
    assert!(
        dumped_before.contains("u-4242"),
        "the dump reads the stored heads"
    );
    assert!(
        erased.contains("erased the person from 3 stored event(s), counted under 1 user key(s)"),
        "{erased}"
    );
    assert_eq!(after["count"], before["count"]);
    assert_eq!(after["userCount"], 2, "{after}");
    assert_eq!(users["totalValues"], 5, "{users}");
    for trace in ["ada@example.test", "u-4242", "203.0.113.9"] {
        assert!(!dumped.contains(trace), "the dump still holds {trace}");
        assert!(!exported.contains(trace), "the export still holds {trace}");
        assert!(!users.to_string().contains(trace), "{users}");
        assert!(
            !bodies.to_string().contains(trace),
            "a body still holds {trace}"
        );
    }
    assert_eq!(bodies.as_array().unwrap().len(), 5);
    assert!(bodies.to_string().contains("bob@example.test"));
    assert_eq!(erasures.len(), 1);
    assert_eq!(erasures[0].0["PersonErased"]["events"], 3);
    assert_eq!(erasures[0].1["actor"], "system:erasure");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
    assert!(
        verified.contains("issues.issue_users: identical"),
        "{verified}"
    );
}

#[tokio::test]
async fn a_person_whose_events_retention_dropped_is_erased_from_the_summaries() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    let ada = json!({"id": "u-4242", "email": "ada@example.test"});
    send(&server, &project, ada, "203.0.113.9").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    // The log moves to a second partition; the first is made old and dropped.
    move_log_past_first_partition(&pool).await;
    let bob = json!({"id": "u-77", "email": "bob@example.test"});
    send(&server, &project, bob, "198.51.100.20").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    age_first_partition(&pool, 100).await;
    let dropped = run_faultline(&url, &["retention", "run"], &[]);
    let dumped_before = dump(&url);

    run_faultline(
        &url,
        &["forget", "user", "--org", "acme", "--id", "u-4242"],
        &[],
    );
    let dumped = dump(&url);
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let issue = api
        .get_ok(&format!("/api/0/organizations/acme/issues/{id}/"))
        .await;
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(
        dropped.contains("dropped ingested_events_p1: 1 event(s)"),
        "{dropped}"
    );
    assert!(
        dumped_before.contains("id:u-4242"),
        "the summary names the person"
    );
    assert!(
        !dumped.contains("u-4242"),
        "the dump still holds the person"
    );
    assert_eq!(issue["userCount"], 2, "{issue}");
    assert_eq!(issue["count"], "2", "{issue}");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

#[tokio::test]
async fn an_owner_erases_a_person_over_the_api() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    let ada = json!({"id": "u-4242", "email": "ada@example.test"});
    send(&server, &project, ada, "203.0.113.9").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;

    let both = api
        .call(
            "POST",
            "/api/0/organizations/acme/erasures/",
            Some(json!({"email": "ada@example.test", "id": "u-4242"})),
        )
        .await;
    let elsewhere = api
        .call(
            "POST",
            "/api/0/organizations/nowhere/erasures/",
            Some(json!({"id": "u-4242"})),
        )
        .await;
    let accepted = api
        .call(
            "POST",
            "/api/0/organizations/acme/erasures/",
            Some(json!({"id": "u-4242"})),
        )
        .await;
    let mut recorded: Vec<Value> = Vec::new();
    for _ in 0..100 {
        recorded =
            sqlx::query_scalar("SELECT metadata FROM events WHERE event_type = 'PersonErased'")
                .fetch_all(&pool)
                .await
                .unwrap();
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let bodies = api
        .get_ok(&format!(
            "/api/0/organizations/acme/issues/{id}/events/?full=true"
        ))
        .await;

    assert_eq!(both.0, 400, "{:?}", both.1);
    assert_eq!(elsewhere.0, 404);
    assert_eq!(accepted.0, 202, "{:?}", accepted.1);
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0]["actor"].as_str().unwrap().starts_with("user:"));
    assert!(!bodies.to_string().contains("ada@example.test"), "{bodies}");
    assert!(!dump(&url).contains("u-4242"));
}

#[tokio::test]
async fn a_person_whose_event_bodies_were_evicted_is_erased_from_the_heads() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    api.expect(
        200,
        "PUT",
        "/api/0/projects/acme/backend/",
        Some(json!({"maxStoredEvents": 1})),
    )
    .await;
    let ada = json!({"id": "u-4242", "email": "ada@example.test"});
    send(&server, &project, ada.clone(), "203.0.113.9").await;
    send(&server, &project, ada, "203.0.113.9").await;
    let bob = json!({"id": "u-77", "email": "bob@example.test"});
    send(&server, &project, bob, "198.51.100.20").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    let evicted = run_faultline(&url, &["retention", "run"], &[]);
    let dumped_before = dump(&url);

    run_faultline(
        &url,
        &["forget", "user", "--org", "acme", "--id", "u-4242"],
        &[],
    );
    let dumped = dump(&url);
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(
        evicted.contains("evicted the bodies of 2 event(s)"),
        "{evicted}"
    );
    assert!(
        dumped_before.contains("u-4242"),
        "the evicted heads name the person"
    );
    assert!(
        !dumped.contains("u-4242"),
        "the dump still holds the person"
    );
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

#[tokio::test]
async fn a_person_found_by_address_is_erased_from_all_their_events() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    // One person (id u-4242) seen from two addresses; erased by one of them.
    let home = json!({"id": "u-4242", "ip_address": "203.0.113.9"});
    let office = json!({"id": "u-4242", "ip_address": "198.51.100.99"});
    send(&server, &project, home, "203.0.113.9").await;
    send(&server, &project, office, "198.51.100.99").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;

    run_faultline(
        &url,
        &["forget", "user", "--org", "acme", "--ip", "203.0.113.9"],
        &[],
    );
    let dumped = dump(&url);
    let verified = run_faultline(&url, &["verify", "--all"], &[]);
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let issue = api
        .get_ok(&format!("/api/0/organizations/acme/issues/{id}/"))
        .await;

    assert!(
        !dumped.contains("u-4242"),
        "the dump still holds the person"
    );
    assert_eq!(issue["userCount"], 1, "{issue}");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

#[tokio::test]
async fn an_event_stored_in_an_older_format_is_erased_too() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    let ada = json!({"id": "u-4242", "email": "ada@example.test"});
    send(&server, &project, ada, "203.0.113.9").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    // As an EventIngested 3.0 row stores it: the body inline in the payload, no column.
    let (position, column): (i64, Vec<u8>) =
        sqlx::query_as("SELECT position, body FROM ingested_events")
            .fetch_one(&pool)
            .await
            .unwrap();
    let body = faultline_domain::issue::body::decode(
        &faultline_domain::issue::body::stored_string(&column),
    )
    .unwrap();
    let inline = faultline_domain::issue::body::encode(&body).unwrap();
    sqlx::query("ALTER TABLE ingested_events_p1 DISABLE TRIGGER USER")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE ingested_events_p1
            SET payload = jsonb_set(payload, '{EventIngested,data}', to_jsonb($2::text)),
                body = NULL, event_version = '3.0'
          WHERE position = $1",
    )
    .bind(position)
    .bind(&inline)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE ingested_events_p1 ENABLE TRIGGER USER")
        .execute(&pool)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let events_path = format!("/api/0/organizations/acme/issues/{id}/events/?full=true");
    let before = api.get_ok(&events_path).await.to_string();

    run_faultline(
        &url,
        &[
            "forget",
            "user",
            "--org",
            "acme",
            "--email",
            "ada@example.test",
        ],
        &[],
    );
    let after = api.get_ok(&events_path).await.to_string();
    let dumped = dump(&url);
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(before.contains("ada@example.test"), "{before}");
    assert!(!after.contains("ada@example.test"), "{after}");
    assert!(
        !dumped.contains("u-4242"),
        "the dump still holds the person"
    );
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}
