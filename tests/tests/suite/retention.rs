//! Retention settings: the server's default (`--event-retention-days`), a project's
//! own days and maximum count set through `PUT /api/0/projects/{org}/{project}/`,
//! recorded as attributed events in the audit log, and `faultline retention status`
//! reporting what each project stores against them.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    another_project, create_user, fresh_database, ingest_tally, project_with_key, run_faultline,
    send_event, Api, ProjectKey, TestServer,
};

/// `faultline retention status --json` on the database at `url`, with `env`.
fn status(url: &str, env: &[(&str, &str)]) -> Value {
    serde_json::from_str(&run_faultline(url, &["retention", "status", "--json"], env)).unwrap()
}

fn retention(detail: &Value) -> Value {
    json!([
        detail["eventRetentionDays"],
        detail["effectiveEventRetentionDays"],
        detail["maxStoredEvents"]
    ])
}

#[tokio::test]
async fn a_projects_retention_is_set_over_the_api_recorded_and_reported_by_retention_status() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_EVENT_RETENTION_DAYS", "60"),
    ]);
    let token = create_user(&url, "owner@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    let path = "/api/0/projects/acme/backend/";

    let initial = api.get_ok(path).await;
    let set = api
        .expect(
            200,
            "PUT",
            path,
            Some(json!({"eventRetentionDays": 30, "maxStoredEvents": 3})),
        )
        .await;
    let refused = api
        .expect(
            400,
            "PUT",
            path,
            Some(json!({"eventRetentionDays": 0, "maxStoredEvents": "many", "name": "Renamed"})),
        )
        .await;
    let too_long = api
        .expect(400, "PUT", path, Some(json!({"eventRetentionDays": 3651})))
        .await;
    let after_refusals = api.get_ok(path).await;
    let back_to_default = api
        .expect(200, "PUT", path, Some(json!({"eventRetentionDays": null})))
        .await;
    let unchanged = api
        .expect(200, "PUT", path, Some(json!({"maxStoredEvents": 3})))
        .await;
    for n in 0..5 {
        let event = json!({
            "event_id": format!("{:032x}", 0x7e7e_0000 + n),
            "level": "error",
            "exception": {"values": [{"type": "KeyError", "value": format!("kept {n}")}]},
        });
        send_event(&server, &project, &event).await;
    }
    let tally = ingest_tally(&pool, Duration::from_secs(30)).await;
    let recorded: Vec<(Value,)> = sqlx::query_as(
        "SELECT payload FROM events WHERE event_type = 'RetentionChanged' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let audit = api
        .get_ok("/api/0/organizations/acme/audit-logs/?event=project.edit")
        .await;
    let report = status(&url, &[("FAULTLINE_EVENT_RETENTION_DAYS", "60")]);
    let report_default = status(&url, &[]);

    assert_eq!(retention(&initial), json!([null, 60, null]));
    assert_eq!(retention(&set), json!([30, 30, 3]));
    assert_eq!(
        refused,
        json!({
            "eventRetentionDays": ["Ensure this value is a whole number between 1 and 3650."],
            "maxStoredEvents": ["A valid integer is required."],
        })
    );
    assert_eq!(
        too_long,
        json!({"eventRetentionDays": ["Ensure this value is a whole number between 1 and 3650."]})
    );
    assert_eq!(after_refusals["name"], "backend");
    assert_eq!(retention(&after_refusals), json!([30, 30, 3]));
    assert_eq!(retention(&back_to_default), json!([null, 60, 3]));
    assert_eq!(retention(&unchanged), json!([null, 60, 3]));
    let payloads: Vec<&Value> = recorded.iter().map(|(payload,)| payload).collect();
    assert_eq!(
        payloads,
        [
            &json!({"RetentionChanged": {"retention": {"days": 30, "max_events": 3}, "at": set_at(&recorded[0].0)}}),
            &json!({"RetentionChanged": {"retention": {"max_events": 3}, "at": set_at(&recorded[1].0)}}),
        ]
    );
    let retention_rows: Vec<&Value> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["note"].as_str().unwrap().contains("retention"))
        .collect();
    assert_eq!(retention_rows.len(), 2, "{audit}");
    assert!(retention_rows
        .iter()
        .all(|row| row["actor"]["email"] == "owner@example.test"));
    assert_eq!(retention_rows[1]["data"]["retention_days"], 30);
    assert_eq!(tally.logged(), 5);
    assert_eq!(report["eventRetentionDays"], 60);
    let backend = &report["projects"][0];
    assert_eq!(backend["org"], "acme");
    assert_eq!(backend["project"], "backend");
    assert_eq!(backend["retention_days"], 60);
    assert_eq!(backend["own_retention"], false);
    assert_eq!(backend["max_events"], 3);
    assert_eq!(backend["events"], 5);
    assert_eq!(backend["expired"], 0);
    assert_eq!(backend["over_max"], 2);
    assert!(backend["bytes"].as_i64().unwrap() > 5 * 100, "{backend}");
    assert!(backend["oldest"].as_str().unwrap().starts_with("20"));
    assert_eq!(report_default["eventRetentionDays"], 90);
    assert_eq!(report_default["projects"][0]["retention_days"], 90);
    let events_table = &report["tables"][0];
    assert_eq!(events_table["table"], "events");
    assert_eq!(events_table["ingested"], 0);
    assert!(events_table["rows"].as_i64().unwrap() > 5);
    assert!(events_table["bytes"].as_i64().unwrap() > 0);
    let first_partition = &report["tables"][1];
    assert_eq!(first_partition["table"], "ingested_events_p1");
    assert_eq!(first_partition["rows"], 5);
    assert_eq!(first_partition["ingested"], 5);
    assert!(first_partition["bytes"].as_i64().unwrap() > 5 * 100);
    assert_eq!(
        report["tables"].as_array().unwrap().last().unwrap()["table"],
        "ingested_events_default"
    );
}

/// The `at` a recorded `RetentionChanged` holds (the server's clock).
fn set_at(payload: &Value) -> Value {
    payload["RetentionChanged"]["at"].clone()
}

/// Sends one event of `kind` to `project`, `days_ago` days in the past.
async fn send_aged(server: &TestServer, project: &ProjectKey, kind: &str, days_ago: i64) {
    let timestamp = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let event = json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "timestamp": timestamp.to_rfc3339(),
        "level": "error",
        "exception": {"values": [{"type": "ExpiryError", "value": kind}]},
    });
    send_event(server, project, &event).await;
}

/// The issue whose title names `kind`, once it is created. Read from the log, not the
/// read model: a retention pass every 0.2 s may delete an old issue before a poll of
/// the read model sees it.
async fn issue_id(pool: &sqlx::PgPool, kind: &str) -> i64 {
    for _ in 0..300 {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT (payload -> 'IssueCreated' ->> 'issue_id')::bigint FROM events
              WHERE event_type = 'IssueCreated' AND payload -> 'IssueCreated' ->> 'title' LIKE $1",
        )
        .bind(format!("%{kind}"))
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(id) = id {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no issue {kind}");
}

/// `faultline retention run ARGS` on the database at `url`; its stdout.
fn run_retention(url: &str, args: &[&str]) -> String {
    let mut all = vec!["retention", "run", "--event-retention-days", "20"];
    all.extend_from_slice(args);
    run_faultline(url, &all, &[])
}

#[tokio::test]
async fn issues_past_their_projects_retention_are_deleted_through_the_log_one_pass_at_a_time() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_EVENT_RETENTION_DAYS", "20"),
    ]);
    let token = create_user(&url, "owner@example.test", false);
    let api = Api::new(&server, &token);
    let backend = project_with_key(&api, "acme", "backend").await;
    let frontend = another_project(&api, "acme", "frontend").await;
    api.expect(
        200,
        "PUT",
        "/api/0/projects/acme/backend/",
        Some(json!({"eventRetentionDays": 5})),
    )
    .await;
    // Old only, in a 5-day project: expires. Old and new: stays. Old in a project on
    // the server's 20 days: stays.
    send_aged(&server, &backend, "old-backend", 10).await;
    send_aged(&server, &backend, "mixed-backend", 0).await;
    send_aged(&server, &backend, "mixed-backend", 10).await;
    send_aged(&server, &frontend, "old-frontend", 10).await;
    let old = issue_id(&pool, "old-backend").await;
    let mixed = issue_id(&pool, "mixed-backend").await;
    let other = issue_id(&pool, "old-frontend").await;
    ingest_tally(&pool, Duration::from_secs(30)).await;

    let dry = run_retention(&url, &["--dry-run"]);
    let issue_path = |id: i64| format!("/api/0/organizations/acme/issues/{id}/");
    let after_dry = api.call("GET", &issue_path(old), None).await.0;
    let ran = run_retention(&url, &[]);
    let rerun = run_retention(&url, &[]);
    let deleted_by: Vec<(Value,)> = sqlx::query_as(
        "SELECT metadata FROM events WHERE event_type = 'IssueDeleted' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut old_status = 0;
    for _ in 0..100 {
        old_status = api.call("GET", &issue_path(old), None).await.0;
        if old_status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mixed_status = api.call("GET", &issue_path(mixed), None).await.0;
    let other_status = api.call("GET", &issue_path(other), None).await.0;

    // Two servers passing every second: they take turns, never overlap.
    let fast = [
        ("DATABASE_URL", url.as_str()),
        ("FAULTLINE_EVENT_RETENTION_DAYS", "20"),
        ("FAULTLINE_RETENTION_INTERVAL", "0.2"),
    ];
    let first = TestServer::spawn(&fast);
    let second = TestServer::spawn(&fast);
    send_aged(&first, &backend, "late-backend", 10).await;
    let late = issue_id(&pool, "late-backend").await;
    let mut late_status = 0;
    for _ in 0..100 {
        late_status = api.call("GET", &issue_path(late), None).await.0;
        if late_status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut scraped = Vec::new();
    for server in [&first, &second] {
        let text = reqwest::get(server.at("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        scraped.push(text);
    }
    let runs: Vec<RunRow> = sqlx::query_as(
        "SELECT process, started_at, finished_at, expired_issues FROM retention_runs
              ORDER BY started_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    drop((first, second));

    assert!(dry.contains("would delete acme/backend BACKEND-1"), "{dry}");
    assert!(dry.contains("would delete 1 issue(s)\n"), "{dry}");
    assert_eq!(after_dry, 200);
    assert!(ran.contains("deleted acme/backend BACKEND-1"), "{ran}");
    assert!(ran.contains("\ndeleted 1 issue(s)\n"), "{ran}");
    assert!(rerun.contains("deleted 0 issue(s)\n"), "{rerun}");
    assert_eq!(deleted_by.len(), 1);
    assert_eq!(
        deleted_by[0].0["actor"],
        json!("system:retention"),
        "{:?}",
        deleted_by[0]
    );
    assert_eq!(
        [old_status, mixed_status, other_status, late_status],
        [404, 200, 200, 404]
    );
    let processes: std::collections::BTreeSet<&str> =
        runs.iter().map(|(process, ..)| process.as_str()).collect();
    assert!(processes.len() >= 3, "{runs:?}");
    for pair in runs.windows(2) {
        let ended = pair[0].2.expect("a pass that ended");
        assert!(ended <= pair[1].1, "passes overlap: {pair:?}");
    }
    assert_eq!(runs.iter().map(|run| run.3).sum::<i64>(), 2, "{runs:?}");
    let expired_by_servers: f64 = scraped
        .iter()
        .map(|text| sample(text, "faultline_retention_expired_issues_total"))
        .sum();
    assert_eq!(expired_by_servers, 1.0);
    assert!(
        sample(
            &scraped[0],
            "faultline_retention_last_pass_timestamp_seconds"
        ) > 1.7e9
    );
    assert!(sample(&scraped[0], "faultline_log_table_bytes{table=\"events\"}") > 0.0);
}

/// A `retention_runs` row: process, started, finished, issues expired.
type RunRow = (String, Time, Option<Time>, i64);
type Time = chrono::DateTime<chrono::Utc>;

/// The value of the sample `name` (with its labels) in a Prometheus text scrape.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name}"))
}
