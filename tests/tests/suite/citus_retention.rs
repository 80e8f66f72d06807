//! Retention on a Citus cluster: `retention status` measures the log where its rows
//! are (the shards on the workers), event bodies past a project's retention or over its
//! maximum are evicted there, and an old partition of ingested events is summarized and
//! dropped there, the issues keeping their counts.

use std::time::Duration;

use serde_json::{json, Value};

use crate::citus_cluster::CitusCluster;
use crate::helpers::{
    another_project, create_user, issues_once_counted, move_log_past_first_partition,
    project_with_key, run_faultline, send_event, Api, TestServer,
};

#[tokio::test]
async fn retention_measures_evicts_and_drops_an_old_partition_on_the_workers() {
    let cluster = CitusCluster::start(2);
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let pool = cluster.pool().await;
    let server = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    let short = another_project(&api, "alpha", "api").await;
    api.expect(
        200,
        "PUT",
        "/api/0/projects/alpha/api/",
        Some(json!({"eventRetentionDays": 30})),
    )
    .await;
    api.expect(
        200,
        "PUT",
        "/api/0/projects/alpha/web/",
        Some(json!({"maxStoredEvents": 4})),
    )
    .await;
    let issues_path = "/api/0/projects/alpha/web/issues/";
    for user in ["1", "2", "3"] {
        send_event(&server, &alpha, &stock_error_of(user)).await;
    }
    issues_once_counted(&api, issues_path, 3).await;
    move_log_past_first_partition(&pool).await;
    for user in ["1", "4"] {
        send_event(&server, &alpha, &stock_error_of(user)).await;
    }
    send_event(&server, &short, &stock_error_of("5")).await;
    let before = issues_once_counted(&api, issues_path, 5).await;
    issues_once_counted(&api, "/api/0/projects/alpha/api/issues/", 1).await;
    // The first partition past the server's 90 days, the second past api's 30 only.
    age_partition_on_the_workers(&pool, "ingested_events_p1", 100).await;
    age_partition_on_the_workers(&pool, "ingested_events_p1000000", 50).await;

    let status_before = retention_status(&cluster.url);
    let ran = retention_runs_until_a_drop(&cluster.url);
    let status_after = retention_status(&cluster.url);
    let after = api.get_ok(issues_path).await;
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);

    let tables = &status_before["tables"];
    assert_eq!(tables[0]["table"], "events", "{tables}");
    // 32 shards of a table with indexes: far more than the coordinator's empty shell.
    assert!(tables[0]["bytes"].as_i64().unwrap() > 32 * 8192, "{tables}");
    assert_eq!(tables[1]["table"], "ingested_events_p1", "{tables}");
    assert_eq!(tables[1]["rows"], 3, "{tables}");
    assert!(tables[1]["bytes"].as_i64().unwrap() > 32 * 8192, "{tables}");
    assert_eq!(tables[2]["table"], "ingested_events_p1000000", "{tables}");
    assert_eq!(tables[2]["rows"], 3, "{tables}");
    let (api_before, web_before) = (&status_before["projects"][0], &status_before["projects"][1]);
    assert_eq!(api_before["project"], "api", "{status_before}");
    assert_eq!(api_before["expired"], 1, "{status_before}");
    assert_eq!(web_before["events"], 5, "{status_before}");
    assert_eq!(web_before["expired"], 3, "{status_before}");
    assert!(
        ran.contains("evicted the bodies of 1 event(s) of alpha/api past its retention"),
        "{ran}"
    );
    assert!(
        ran.contains("evicted the bodies of 1 event(s) of alpha/web over its maximum"),
        "{ran}"
    );
    assert!(
        ran.contains("dropped ingested_events_p1: 3 event(s)"),
        "{ran}"
    );
    let dropped = &status_after["droppedPartitions"][0];
    assert_eq!(dropped["name"], "ingested_events_p1", "{dropped}");
    assert_eq!(dropped["events"], 3, "{dropped}");
    assert!(dropped["bytes"].as_i64().unwrap() > 32 * 8192, "{dropped}");
    assert_eq!(
        status_after["tables"][1]["table"], "ingested_events_p1000000",
        "{status_after}"
    );
    assert_eq!(status_after["projects"][0]["events"], 0, "{status_after}");
    assert_eq!(status_after["projects"][1]["events"], 2, "{status_after}");
    assert_eq!(after[0]["count"], "5", "{after}");
    assert_eq!(after[0]["userCount"], before[0]["userCount"], "{after}");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

fn stock_error_of(user: &str) -> Value {
    json!({
        "level": "error",
        "user": {"id": user},
        "exception": {"values": [{"type": "StockError", "value": "out of stock"}]},
    })
}

/// Ages the rows of `partition` by `days` on the workers' shards, with the
/// immutability triggers off there: only when they were stored changes (what retention
/// looks at), never the facts. The `SET LOCAL`s reach the shards through Citus, which
/// ships an UPDATE only with immutable functions of its columns: the arithmetic is on
/// UTC timestamps.
async fn age_partition_on_the_workers(pool: &sqlx::PgPool, partition: &str, days: i32) {
    let mut tx = pool.begin().await.unwrap();
    for setting in [
        "SET LOCAL citus.propagate_set_commands = 'local'",
        "SET LOCAL citus.enable_unsafe_triggers = on",
        "SET LOCAL session_replication_role = replica",
    ] {
        sqlx::query(setting).execute(&mut *tx).await.unwrap();
    }
    sqlx::query(&format!(
        "UPDATE {partition}
            SET recorded_at = (recorded_at AT TIME ZONE 'UTC' - interval '{days} days')
                              AT TIME ZONE 'UTC'"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn retention_status(url: &str) -> Value {
    serde_json::from_str(&run_faultline(url, &["retention", "status", "--json"], &[])).unwrap()
}

/// What `retention run` printed, pass after pass, until one dropped a partition: a
/// pass waits for every read model to have applied the partition and its summaries,
/// which the runners do in their own time.
fn retention_runs_until_a_drop(url: &str) -> String {
    let mut passes = String::new();
    for _ in 0..100 {
        passes.push_str(&run_faultline(url, &["retention", "run"], &[]));
        if passes.contains("dropped ") {
            return passes;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("no partition was dropped: {passes}");
}
