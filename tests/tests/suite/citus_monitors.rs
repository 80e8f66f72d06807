//! Cron monitors on a real Citus cluster: their read model is distributed by
//! organization, co-located with the log, so two organizations' monitors live on
//! different workers. Check-ins by curl, the failure issue an error opens and a
//! success resolves (the monitors' clock run by the test), a rebuild swapped in that
//! stays distributed (whole, and of one organization), the hot statements planned on one worker, and one organization's
//! check-ins recorded and listed, and its failure issue reopened by the clock, while
//! the other's worker is down.

use chrono::Utc;
use faultline::monitors::pass;
use faultline_api::state::AppState;
use faultline_projections::monitors::apply::CHECK_IN_RECORDED_SQL;
use faultline_projections::monitors::queries::CHECK_INS_SQL;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::citus_cluster::CitusCluster;
use crate::crons::{curl, statuses};
use crate::helpers::{create_user, project_with_key, run_faultline, Api, ProjectKey, TestServer};
use crate::issue_workflow::wait_for;

/// The monitor read model's tables and whether each is co-located with the log.
const MONITOR_TABLES: &str = "SELECT logicalrelid::text,
                                     colocationid = (SELECT colocationid FROM pg_dist_partition
                                                      WHERE logicalrelid = 'events'::regclass)
                                FROM pg_dist_partition
                               WHERE logicalrelid::text LIKE 'monitor%' ORDER BY 1";

#[tokio::test]
async fn monitors_of_two_organizations_live_on_their_workers_and_rebuild_distributed() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::on_database(&cluster.url);
    let api = Api::new(
        &server,
        &create_user(&cluster.url, "ops@example.test", false),
    );
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    let (clock, _ingest) = AppState::detached(pool.clone(), &server.url);
    let alpha_worker = cluster.worker_of(&pool, 1).await;
    let beta_worker = cluster.worker_of(&pool, 2).await;

    check_in(&server, &alpha, "in_progress").await;
    check_in(&server, &alpha, "error").await;
    check_in(&server, &beta, "ok").await;
    let alpha_runs = listed(&api, "alpha", &["error"]).await;
    let beta_runs = listed(&api, "beta", &["ok"]).await;
    pass(&clock, Utc::now()).await.expect("a clock pass");
    let opened = failures(&api, "alpha", "unresolved").await;
    check_in(&server, &alpha, "ok").await;
    listed(&api, "alpha", &["ok", "error"]).await;
    pass(&clock, Utc::now()).await.expect("a clock pass");
    let resolved = failures(&api, "alpha", "resolved").await;
    let check_ins_plan = explain_check_ins(&pool).await;
    let recorded_plan = explain_check_in_recorded(&pool).await;
    let verified = run_faultline(&cluster.url, &["verify", "--projection", "monitors"], &[]);
    run_faultline(&cluster.url, &["replay", "--projection", "monitors"], &[]);
    let reverified = run_faultline(&cluster.url, &["verify", "--projection", "monitors"], &[]);
    let alpha_only = ["--projection", "monitors", "--organization", "alpha"];
    let alpha_verified = run_faultline(&cluster.url, &[&["verify"], &alpha_only[..]].concat(), &[]);
    run_faultline(&cluster.url, &[&["replay"], &alpha_only[..]].concat(), &[]);
    let after_replay: Vec<(String, bool)> = sqlx::query_as(MONITOR_TABLES)
        .fetch_all(&pool)
        .await
        .unwrap();

    cluster.stop_worker(beta_worker);
    check_in(&server, &alpha, "error").await;
    let alpha_while_beta_down = listed(&api, "alpha", &["error", "ok", "error"]).await;
    // The clock's reads across organizations fail with a worker down: it passes
    // alpha on its own and reopens alpha's failure issue.
    pass(&clock, Utc::now()).await.expect("a clock pass");
    let reopened = failures(&api, "alpha", "unresolved").await;
    let (beta_down, _) = api
        .call("GET", "/api/0/organizations/beta/monitors/backup/", None)
        .await;
    cluster.start_worker(beta_worker);

    assert_ne!(
        alpha_worker, beta_worker,
        "the organizations share a worker"
    );
    assert_eq!(statuses(&alpha_runs), ["error"]);
    assert!(
        alpha_runs[0]["dateInProgress"].is_string(),
        "the error finished the run in progress"
    );
    assert_eq!(statuses(&beta_runs), ["ok"]);
    assert_eq!(opened[0]["title"], "Monitor failure: backup");
    assert_eq!(resolved[0]["id"], opened[0]["id"]);
    assert!(check_ins_plan.contains("Task Count: 1"), "{check_ins_plan}");
    assert!(recorded_plan.contains("Task Count: 1"), "{recorded_plan}");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
    assert!(
        reverified.contains("monitors.monitor_check_ins: identical"),
        "{reverified}"
    );
    assert!(
        alpha_verified.contains("monitors.monitor_check_ins: identical (2 rows)"),
        "only alpha's check-ins are compared: {alpha_verified}"
    );
    assert_eq!(
        after_replay,
        [
            ("monitor_check_ins".to_owned(), true),
            ("monitor_environments".to_owned(), true),
            ("monitor_incident_issues".to_owned(), true),
            ("monitors".to_owned(), true),
        ]
    );
    assert_eq!(alpha_while_beta_down.as_array().unwrap().len(), 3);
    assert_eq!(reopened[0]["id"], opened[0]["id"]);
    assert_eq!(beta_down, 503);
}

/// Checks in to monitor `backup` of `project` with `status`, creating the monitor on
/// the first call.
async fn check_in(server: &TestServer, project: &ProjectKey, status: &str) {
    let url = server.at(&format!(
        "/api/{}/cron/backup/{}/",
        project.project_id, project.key
    ));
    let upsert = json!({"status": status, "monitor_config": {"schedule": {"type": "crontab", "value": "0 2 * * *"}}});
    let (answer, body) = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &upsert.to_string(),
    ]);
    assert_eq!(answer, 202, "{body}");
}

/// Monitor `backup`'s check-ins in `org` once their statuses are `expected`.
async fn listed(api: &Api, org: &str, expected: &[&str]) -> Value {
    wait_for(
        api,
        &format!("/api/0/organizations/{org}/monitors/backup/checkins/"),
        |list| list.is_array() && statuses(list) == expected,
    )
    .await
}

/// The organization's monitor failure issues once the first is `status`.
async fn failures(api: &Api, org: &str, status: &str) -> Value {
    wait_for(
        api,
        &format!("/api/0/organizations/{org}/issues/?query=issue.category:cron&statsPeriod="),
        |list| {
            list.as_array()
                .unwrap()
                .first()
                .is_some_and(|i| i["status"] == status)
        },
    )
    .await
}

/// The plan of monitor check-ins' list in organization 1.
async fn explain_check_ins(pool: &sqlx::PgPool) -> String {
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {CHECK_INS_SQL}"))
        .bind(Uuid::from_u128(1))
        .bind(Vec::<String>::new())
        .bind(50_i64)
        .bind(0_i64)
        .bind(1_i64)
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}

/// The plan of the monitors projection's row for a check-in of organization 1.
async fn explain_check_in_recorded(pool: &sqlx::PgPool) -> String {
    let now = Utc::now();
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {CHECK_IN_RECORDED_SQL}"))
        .bind("1/backup")
        .bind(Uuid::from_u128(2))
        .bind(7_i64)
        .bind("production")
        .bind("ok")
        .bind(Some(5_i64))
        .bind(now)
        .bind(now)
        .bind(None::<chrono::DateTime<Utc>>)
        .bind(10_i32)
        .bind(1_i64)
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}
