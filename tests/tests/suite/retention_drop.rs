//! Retention drops whole partitions of ingested events once every project's retention
//! has passed over them, after summarizing them in the log: the issues keep their
//! counts, and read models rebuilt from what the log still holds equal the live ones.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    acme_backend, age_first_partition, another_project, ingest_tally,
    move_log_past_first_partition, run_faultline, send_event, AcmeBackend, Api, ProjectKey,
    TestServer,
};

async fn send(server: &TestServer, project: &ProjectKey, kind: &str, user: &str, release: &str) {
    let event = json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "level": "error",
        "release": release,
        "environment": "production",
        "user": {"id": user},
        "tags": {"shard": kind},
        "exception": {"values": [{"type": "DropError", "value": kind}]},
    });
    send_event(server, project, &event).await;
}

/// What the API says of an issue: counts, times, users, tag values and events.
async fn seen(api: &Api, id: i64) -> Value {
    let issue = api
        .get_ok(&format!("/api/0/organizations/acme/issues/{id}/"))
        .await;
    let shards = api
        .get_ok(&format!(
            "/api/0/organizations/acme/issues/{id}/tags/shard/"
        ))
        .await;
    json!({
        "count": issue["count"],
        "userCount": issue["userCount"],
        "firstSeen": issue["firstSeen"],
        "lastSeen": issue["lastSeen"],
        "level": issue["level"],
        "shards": shards["topValues"],
    })
}

/// Waits until `projection` has applied every issue event of the log.
async fn caught_up(pool: &sqlx::PgPool, projection: &str) {
    for _ in 0..300 {
        let behind: bool = sqlx::query_scalar(
            "SELECT coalesce(max(c.last_position), 0) < (SELECT max(position) FROM log_events
                                                          WHERE aggregate_type = 'issue')
               FROM (SELECT 1) AS one
               LEFT JOIN projection_checkpoints c ON c.name = $1",
        )
        .bind(projection)
        .fetch_one(pool)
        .await
        .unwrap();
        if !behind {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{projection} never caught up");
}

#[tokio::test]
async fn an_old_partition_is_summarized_and_dropped_and_a_rebuild_stays_exact() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    // The alerting reactor is held back (its runner cannot take its lock): it applies
    // none of the events below until the lock is let go.
    let mut held = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(4001, hashtext('alerting'))")
        .execute(&mut *held)
        .await
        .unwrap();
    // The first partition: events of two issues, then the log jumps into the next one.
    for user in ["1", "2", "1"] {
        send(&server, &project, "a", user, "shop@1").await;
    }
    send(&server, &project, "b", "7", "shop@1").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    move_log_past_first_partition(&pool).await;
    for user in ["3", "1"] {
        send(&server, &project, "a", user, "shop@2").await;
    }
    ingest_tally(&pool, Duration::from_secs(30)).await;
    // As if the first partition had been written 100 days ago (past the 90-day
    // default): only its storage ages, the events' own times stay.
    age_first_partition(&pool, 100).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM issues ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let (a, b) = (ids[0], ids[1]);
    let before = [seen(&api, a).await, seen(&api, b).await];

    let verified_before = run_faultline(&url, &["verify", "--all"], &[]);
    let held_back = run_faultline(&url, &["retention", "run"], &[]);
    let ready_held = reqwest::get(server.at("/_ready"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    held.rollback().await.unwrap();
    caught_up(&pool, "alerting").await;
    let dry = run_faultline(&url, &["retention", "run", "--dry-run"], &[]);
    // A rebuild left half-done may have folded the partition's events: no drop until
    // it is finished.
    run_faultline(
        &url,
        &[
            "replay",
            "--projection",
            "issues",
            "--batch-size",
            "1",
            "--stop-after",
            "2",
        ],
        &[],
    );
    let during_rebuild = run_faultline(&url, &["retention", "run"], &[]);
    let kept =
        sqlx::query_scalar::<_, String>("SELECT name FROM ingested_partitions ORDER BY lower")
            .fetch_all(&pool)
            .await
            .unwrap();
    run_faultline(&url, &["replay", "--projection", "issues"], &[]);
    let ran = run_faultline(&url, &["retention", "run"], &[]);
    let again = run_faultline(&url, &["retention", "run"], &[]);
    let after = [seen(&api, a).await, seen(&api, b).await];
    let events_of_a = api
        .get_ok(&format!("/api/0/organizations/acme/issues/{a}/events/"))
        .await;
    let partitions: Vec<String> =
        sqlx::query_scalar("SELECT name FROM ingested_partitions ORDER BY lower")
            .fetch_all(&pool)
            .await
            .unwrap();
    let summaries: Vec<Value> = sqlx::query_scalar(
        "SELECT metadata FROM events WHERE event_type = 'OccurrencesSummarized' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let ready_after = reqwest::get(server.at("/_ready"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let verified = run_faultline(&url, &["verify", "--all"], &[]);
    let status: Value = serde_json::from_str(&run_faultline(
        &url,
        &["retention", "status", "--json"],
        &[],
    ))
    .unwrap();

    assert!(
        held_back.contains(
            "kept ingested_events_p1 and later partitions: read model alerting has not applied it yet"
        ),
        "{held_back}"
    );
    assert!(!verified_before.contains("DIFFERENT"), "{verified_before}");
    assert!(
        verified_before.contains("issues.issues: identical"),
        "{verified_before}"
    );
    assert_eq!(ready_held["status"], "ready", "{ready_held}");
    assert_eq!(
        ready_held["retention"]["heldBack"]["partition"],
        "ingested_events_p1"
    );
    assert_eq!(
        ready_held["retention"]["heldBack"]["reason"],
        "read model alerting has not applied it yet"
    );
    assert_eq!(
        ready_after["retention"]["heldBack"],
        Value::Null,
        "{ready_after}"
    );
    assert!(
        dry.contains("would drop ingested_events_p1: 4 event(s)"),
        "{dry}"
    );
    assert!(
        during_rebuild.contains(
            "kept ingested_events_p1 and later partitions: a rebuild of the read models is in progress"
        ),
        "{during_rebuild}"
    );
    assert_eq!(kept[0], "ingested_events_p1");
    assert!(
        ran.contains("dropped ingested_events_p1: 4 event(s)"),
        "{ran}"
    );
    // Summarized during the refused pass already: not again.
    assert!(
        ran.contains("0 issue stream(s) and 0 monitor stream(s) summarized"),
        "{ran}"
    );
    assert!(
        ran.contains(
            "kept ingested_events_p1000000 and later partitions: the log still writes into it"
        ),
        "{ran}"
    );
    assert!(!again.contains("dropped"), "{again}");
    assert_eq!(after, before);
    assert_eq!(before[0]["count"], "5");
    assert_eq!(before[0]["userCount"], 3);
    assert_eq!(events_of_a.as_array().unwrap().len(), 2, "{events_of_a}");
    assert_eq!(partitions[0], "ingested_events_p1000000");
    assert_eq!(summaries.len(), 2);
    assert!(summaries
        .iter()
        .all(|metadata| metadata["actor"] == "system:retention"));
    assert_eq!(status["droppedPartitions"][0]["name"], "ingested_events_p1");
    assert_eq!(status["droppedPartitions"][0]["events"], 4);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
    assert!(verified.contains("issues.issues: identical"), "{verified}");
    assert!(
        verified.contains("issues.issue_tag_values: identical"),
        "{verified}"
    );
    assert!(
        verified.contains("issues.release_environments: identical"),
        "{verified}"
    );
}

#[tokio::test]
async fn a_project_keeps_no_more_event_bodies_than_its_maximum_after_concurrent_ingestion() {
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
        Some(json!({"maxStoredEvents": 3})),
    )
    .await;
    let users: Vec<String> = (0..10).map(|n| n.to_string()).collect();
    let sends = users
        .iter()
        .map(|user| send(&server, &project, "capped", user, "shop@1"));
    futures::future::join_all(sends).await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM issues")
        .fetch_one(&pool)
        .await
        .unwrap();
    let before = seen(&api, id).await;

    let ran = run_faultline(&url, &["retention", "run"], &[]);
    let again = run_faultline(&url, &["retention", "run"], &[]);
    let after = seen(&api, id).await;
    let events = api
        .get_ok(&format!("/api/0/organizations/acme/issues/{id}/events/"))
        .await;
    let newest: Vec<String> = sqlx::query_scalar(
        "SELECT payload -> 'EventIngested' ->> 'event_id' FROM ingested_events
          ORDER BY position DESC LIMIT 3",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let status: Value = serde_json::from_str(&run_faultline(
        &url,
        &["retention", "status", "--json"],
        &[],
    ))
    .unwrap();
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(
        ran.contains("evicted the bodies of 7 event(s) of acme/backend over its maximum"),
        "{ran}"
    );
    assert!(!again.contains("evicted"), "{again}");
    assert_eq!(after, before);
    assert_eq!(after["count"], "10");
    assert_eq!(after["userCount"], 10);
    let mut listed: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["eventID"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut newest = newest;
    newest.sort();
    assert_eq!(listed, newest, "{events}");
    assert_eq!(status["projects"][0]["events"], 3);
    assert_eq!(status["projects"][0]["over_max"], 0);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

#[tokio::test]
async fn a_project_with_a_shorter_retention_loses_its_old_event_bodies_before_the_partition_goes() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project: long,
    } = acme_backend().await;
    let short = another_project(&api, "acme", "short").await;
    api.expect(
        200,
        "PUT",
        "/api/0/projects/acme/short/",
        Some(json!({"eventRetentionDays": 5})),
    )
    .await;
    send(&server, &long, "kept", "1", "shop@1").await;
    send(&server, &short, "thinned", "2", "shop@1").await;
    send(&server, &short, "thinned", "3", "shop@1").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    // Stored ten days ago: past the short project's 5 days, within the server's 90.
    age_first_partition(&pool, 10).await;

    let ran = run_faultline(&url, &["retention", "run"], &[]);
    let bodies: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT project_id, body IS NOT NULL FROM ingested_events ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let verified = run_faultline(&url, &["verify", "--all"], &[]);

    assert!(
        ran.contains("evicted the bodies of 2 event(s) of acme/short past its retention"),
        "{ran}"
    );
    assert_eq!(
        bodies,
        [
            (long.project_id, true),
            (short.project_id, false),
            (short.project_id, false)
        ]
    );
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}
