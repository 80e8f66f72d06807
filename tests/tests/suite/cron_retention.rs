//! Check-ins are ingested data: retention drops them with their partition, after
//! recording each monitor's state in its permanent stream. The monitor and its
//! environments read the same before and after, a rebuild from what the log keeps
//! equals the live read model, and the monitor goes on counting from where it was.

use std::time::Duration;

use serde_json::{json, Value};

use crate::crons::{curl, statuses};
use crate::helpers::{
    acme_backend, age_first_partition, ingest_tally, move_log_past_first_partition, run_faultline,
    send_event, AcmeBackend,
};
use crate::issue_workflow::wait_for;

const MONITOR: &str = "/api/0/organizations/acme/monitors/backup/";
const CHECK_INS: &str = "/api/0/organizations/acme/monitors/backup/checkins/";
const RUN: &str = "00000000-0000-4000-8000-000000000001";

fn check_in(url: &str, body: Value) {
    let (status, text) = curl(&[
        "-X",
        "POST",
        url,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &body.to_string(),
    ]);
    assert_eq!(status, 202, "{text}");
}

fn environment<'a>(monitor: &'a Value, name: &str) -> &'a Value {
    monitor["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|env| env["name"] == name)
        .unwrap()
}

#[tokio::test]
async fn check_ins_leave_with_their_partition_and_the_monitor_reads_the_same() {
    let AcmeBackend {
        url,
        pool,
        server,
        api,
        project,
    } = acme_backend().await;
    let base = server.at(&format!(
        "/api/{}/cron/backup/{}/",
        project.project_id, project.key
    ));
    // The first partition: a failure in staging (its incident opens) and nothing
    // after it there; in production an ok run and one still in progress; an error
    // event of the project beside them.
    check_in(
        &base,
        json!({"status": "error", "environment": "staging",
               "monitor_config": {"schedule": {"type": "crontab", "value": "0 2 * * *"},
                                  "timezone": "Europe/Berlin"}}),
    );
    check_in(&base, json!({"status": "ok", "duration": 1.5}));
    check_in(&base, json!({"status": "in_progress", "check_in_id": RUN}));
    send_event(
        &server,
        &project,
        &json!({"event_id": uuid::Uuid::new_v4().simple().to_string(),
                "exception": {"values": [{"type": "BackupError", "value": "disk"}]}}),
    )
    .await;
    wait_for(&api, CHECK_INS, |list| list.as_array().unwrap().len() == 3).await;
    ingest_tally(&pool, Duration::from_secs(30)).await;
    // The next partition: the run in progress finishes, and production fails.
    move_log_past_first_partition(&pool).await;
    check_in(&base, json!({"status": "ok", "check_in_id": RUN}));
    check_in(&base, json!({"status": "error"}));
    wait_for(&api, MONITOR, |monitor| {
        monitor["environments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|env| env["name"] == "production" && env["status"] == "error")
    })
    .await;
    let listed_before = wait_for(&api, CHECK_INS, |list| {
        statuses(list) == ["error", "ok", "ok", "error"]
    })
    .await;
    age_first_partition(&pool, 100).await;
    let before = api.get_ok(MONITOR).await;
    let permanent_check_ins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events
          WHERE event_type IN ('CheckInRecorded', 'CheckInCompleted')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let ran = run_faultline(&url, &["retention", "run"], &[]);
    let after = api.get_ok(MONITOR).await;
    let listed_after = api.get_ok(CHECK_INS).await;
    let summaries: Vec<Value> = sqlx::query_scalar(
        "SELECT metadata FROM events WHERE event_type = 'CheckInsSummarized' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let verified = run_faultline(&url, &["verify", "--all"], &[]);
    // Staging's incident, opened by a check-in that is gone, ends with the next ok.
    check_in(&base, json!({"status": "ok", "environment": "staging"}));
    let recovered = wait_for(&api, MONITOR, |monitor| {
        environment(monitor, "staging")["status"] == "ok"
    })
    .await;

    assert_eq!(
        permanent_check_ins, 0,
        "check-ins are stored as ingested data"
    );
    assert!(
        ran.contains("dropped ingested_events_p1: 4 event(s)"),
        "{ran}"
    );
    assert!(
        ran.contains("1 issue stream(s) and 1 monitor stream(s) summarized"),
        "{ran}"
    );
    assert_eq!(after, before);
    assert_eq!(environment(&after, "staging")["status"], "error");
    assert!(environment(&after, "production")["lastCheckIn"].is_string());
    // Only the check-in recorded in the kept partition is listed; the run that
    // started in the dropped one went with it.
    assert_eq!(statuses(&listed_before), ["error", "ok", "ok", "error"]);
    assert_eq!(statuses(&listed_after), ["error"]);
    assert_eq!(listed_after[0]["id"], listed_before[0]["id"]);
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0]["actor"], "system:retention");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
    assert!(
        verified.contains("monitors.monitor_environments: identical"),
        "{verified}"
    );
    assert!(
        verified.contains("monitors.monitor_check_ins: identical"),
        "{verified}"
    );
    assert_eq!(
        environment(&recovered, "staging")["dateCreated"],
        environment(&before, "staging")["dateCreated"]
    );
}
