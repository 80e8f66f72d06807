//! Faultline on a real Citus cluster (a coordinator and two workers): the same binary,
//! the log distributed by organization, SDK events of two organizations kept on
//! different workers, issues and their workflow through two `serve` processes, and a
//! rebuild identical to the live read models.

use std::process::Command;

use faultline::scheduler::tick;
use faultline_commands::store::stream_sql;
use faultline_commands::CommandBus;
use faultline_domain::log_position::LogPosition;
use faultline_domain::search::{parse, IssueSort};
use faultline_projections::alerts::queries::WORKFLOW_SQL;
use faultline_projections::issues::queries::{issue_sql, latest_event_sql};
use faultline_projections::issues::search::{explain, Assignees, Search, SearchScope};
use faultline_projections::log::{read_partition_after, read_sql, Columns};
use serde_json::json;

use crate::alerts::{first_seen_webhook, received};
use crate::citus_cluster::CitusCluster;
use crate::helpers::{
    create_user, ingested_per_organization, issues_once_counted, post_event, project_with_key,
    run_faultline, send_event, Api, ProjectKey, TestServer,
};
use crate::receivers::Receiver;
use crate::scheduler::ignore_an_hour_two_hours_ago;

#[tokio::test]
async fn two_organizations_on_two_workers_ingest_triage_and_rebuild_through_the_coordinator() {
    let python = std::env::var("FAULTLINE_TEST_PYTHON")
        .expect("FAULTLINE_TEST_PYTHON must name a python with sentry-sdk: run scripts/test");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/python_capture.py");
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;

    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    // Each table (not its partitions), and whether it is co-located with the log.
    let distributed: Vec<(String, bool)> = sqlx::query_as(
        "SELECT logicalrelid::text, colocationid = (SELECT colocationid FROM pg_dist_partition
                                                     WHERE logicalrelid = 'events'::regclass)
           FROM pg_dist_partition JOIN pg_class ON pg_class.oid = logicalrelid
          WHERE NOT relispartition ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let first = TestServer::on_database(&cluster.url);
    let second = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "ops@example.test", false);
    let via_first = Api::new(&first, &token);
    let via_second = Api::new(&second, &token);
    let alpha = project_with_key(&via_first, "alpha", "web").await;
    let beta = project_with_key(&via_second, "beta", "api").await;
    let alpha_worker = cluster.worker_of(&pool, 1).await;
    let beta_worker = cluster.worker_of(&pool, 2).await;

    let sent_to_alpha = Command::new(&python)
        .args([script, &alpha.dsn, "2"])
        .output()
        .expect("run python");
    let sent_to_beta = Command::new(&python)
        .args([script, &beta.dsn, "3"])
        .output()
        .expect("run python");
    let alpha_issues =
        issues_once_counted(&via_second, "/api/0/projects/alpha/web/issues/", 2).await;
    let beta_issues = issues_once_counted(&via_first, "/api/0/projects/beta/api/issues/", 3).await;
    let alpha_issue = alpha_issues[0]["id"].as_str().unwrap().to_owned();
    let resolved = via_first
        .expect(
            200,
            "PUT",
            &format!("/api/0/organizations/alpha/issues/{alpha_issue}/"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    // Read-your-writes across processes: the other server lists it resolved at once.
    let resolved_list = via_second
        .get_ok("/api/0/projects/alpha/web/issues/?query=is:resolved")
        .await;
    let latest = via_second
        .get_ok(&format!(
            "/api/0/organizations/alpha/issues/{alpha_issue}/events/latest/"
        ))
        .await;
    let beta_from_alpha = via_first
        .call(
            "GET",
            &format!(
                "/api/0/organizations/alpha/issues/{}/",
                beta_issues[0]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let occurrences = ingested_per_organization(&pool).await;
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);
    let alpha_verified = run_faultline(
        &cluster.url,
        &[
            "verify",
            "--projection",
            "issues",
            "--organization",
            "alpha",
        ],
        &[],
    );
    run_faultline(&cluster.url, &["replay", "--all"], &[]);
    let reverified = run_faultline(&cluster.url, &["verify", "--all"], &[]);
    let after_replay = via_first.get_ok("/api/0/projects/beta/api/issues/").await;

    assert!(sent_to_alpha.status.success(), "{sent_to_alpha:?}");
    assert!(sent_to_beta.status.success(), "{sent_to_beta:?}");
    assert_eq!(
        distributed,
        [
            ("alert_fires".to_owned(), true),
            ("alert_issue_minute_users".to_owned(), true),
            ("alert_issue_minutes".to_owned(), true),
            ("alert_issues".to_owned(), true),
            ("alert_service_hooks".to_owned(), true),
            ("alert_workflows".to_owned(), true),
            ("artifact_bundle_files".to_owned(), true),
            ("artifact_bundle_projects".to_owned(), true),
            ("artifact_bundles".to_owned(), true),
            ("events".to_owned(), true),
            ("ingested_events".to_owned(), true),
            ("issue_activity".to_owned(), true),
            ("issue_bookmarks".to_owned(), true),
            ("issue_comments".to_owned(), true),
            ("issue_events".to_owned(), true),
            ("issue_seen".to_owned(), true),
            ("issue_subscriptions".to_owned(), true),
            ("issue_tag_values".to_owned(), true),
            ("issue_users".to_owned(), true),
            ("issues".to_owned(), true),
            ("monitor_check_ins".to_owned(), true),
            ("monitor_environments".to_owned(), true),
            ("monitor_incident_issues".to_owned(), true),
            ("monitors".to_owned(), true),
            ("projection_checkpoints".to_owned(), true),
            ("release_commits".to_owned(), true),
            ("release_deploys".to_owned(), true),
            ("release_environments".to_owned(), true),
            ("release_projects".to_owned(), true),
            ("release_repositories".to_owned(), true),
            ("releases".to_owned(), true),
            ("service_hooks".to_owned(), true),
            ("stream_heads".to_owned(), true),
            ("workflows".to_owned(), true),
        ]
    );
    assert_ne!(
        alpha_worker, beta_worker,
        "the organizations share a worker"
    );
    assert_eq!(alpha_issues.as_array().unwrap().len(), 1, "{alpha_issues}");
    assert_eq!(alpha_issues[0]["count"], "2");
    assert_eq!(beta_issues.as_array().unwrap().len(), 1, "{beta_issues}");
    assert_eq!(beta_issues[0]["count"], "3");
    assert_eq!(
        beta_issues[0]["title"],
        "ValueError: card declined for cart 0"
    );
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved_list[0]["id"], alpha_issue.as_str());
    assert_eq!(latest["groupID"], alpha_issue.as_str());
    assert_eq!(beta_from_alpha.0, 404);
    assert_eq!(occurrences, [(1, 2), (2, 3)]);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
    // Alpha's rows alone: its one issue, its two events.
    assert!(
        alpha_verified.contains("issues.issues: identical (1 rows)"),
        "{alpha_verified}"
    );
    assert!(
        alpha_verified.contains("issues.issue_events: identical (2 rows)"),
        "{alpha_verified}"
    );
    assert!(!reverified.contains("DIFFERENT"), "{reverified}");
    assert_eq!(after_replay[0]["count"], "3");
    drop((first, second));
}

#[tokio::test]
async fn a_worker_down_stops_only_its_organizations_and_loses_nothing_when_it_returns() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &cluster.url),
        ("FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", "1"),
    ]);
    let token = create_user(&cluster.url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    // Alpha's new issues alert a webhook: the reactor reads their events from the log,
    // and counts them per minute on alpha's worker for the frequency filter.
    let receiver = Receiver::ok().await;
    let mut new_issues = first_seen_webhook("New issues", &receiver.url("/hook"), alpha.project_id);
    new_issues["actionFilters"][0]["conditions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "event_frequency_count",
                     "comparison": {"value": 0, "interval": "1h"}, "conditionResult": true}));
    api.expect(
        201,
        "POST",
        "/api/0/organizations/alpha/workflows/",
        Some(new_issues),
    )
    .await;
    let beta_worker = cluster.worker_of(&pool, 2).await;
    send_event(&server, &alpha, &checkout_failed("before")).await;
    send_event(&server, &beta, &checkout_failed("before")).await;
    let alpha_issue = issues_once_counted(&api, "/api/0/projects/alpha/web/issues/", 1).await[0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let beta_issue = issues_once_counted(&api, "/api/0/projects/beta/api/issues/", 1).await[0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();

    cluster.stop_worker(beta_worker);
    let alpha_during = post_event(&server, &alpha, &checkout_failed("during")).await;
    // A new issue: its first event appends to both tables of the log at once.
    let alpha_new_issue = post_event(
        &server,
        &alpha,
        &json!({"message": "payment declined", "level": "error"}),
    )
    .await;
    let beta_during = post_event(&server, &beta, &checkout_failed("during")).await;
    let alpha_listed = issues_once_counted(&api, "/api/0/projects/alpha/web/issues/", 3).await;
    let alpha_resolved = api
        .call(
            "PUT",
            &issue_path("alpha", &alpha_issue),
            Some(json!({"status": "resolved"})),
        )
        .await;
    let beta_resolved = api
        .call(
            "PUT",
            &issue_path("beta", &beta_issue),
            Some(json!({"status": "resolved"})),
        )
        .await;
    let beta_listed = api
        .call("GET", "/api/0/projects/beta/api/issues/", None)
        .await;
    // Alpha's issue page reads its tags, activity, releases and viewer state, and its
    // organization's releases and environments list, all on alpha's worker.
    let alpha_detail = api
        .call("GET", &issue_path("alpha", &alpha_issue), None)
        .await;
    // Named by its id alone, alpha's issue is looked for in the caller's organizations
    // one at a time, alpha (the first joined) first: beta's worker is not asked.
    let alpha_by_id = api
        .call("GET", &format!("/api/0/issues/{alpha_issue}/"), None)
        .await;
    let alpha_releases = api
        .call("GET", "/api/0/organizations/alpha/releases/", None)
        .await;
    let alpha_environments = api
        .call("GET", "/api/0/organizations/alpha/environments/", None)
        .await;
    // An issue's events are read from the log, on its organization's worker alone.
    let alpha_latest = api
        .call("GET", &latest_event_path("alpha", &alpha_issue), None)
        .await;
    let alpha_events = api
        .call(
            "GET",
            &format!("{}events/", issue_path("alpha", &alpha_issue)),
            None,
        )
        .await;
    let beta_latest = api
        .call("GET", &latest_event_path("beta", &beta_issue), None)
        .await;
    let alerts = received(&receiver, "/hook", 2).await;
    // Workflows are distributed by organization: alpha's answer from its worker.
    let alpha_workflows = api
        .call("GET", "/api/0/organizations/alpha/workflows/", None)
        .await;
    cluster.start_worker(beta_worker);
    let beta_after = accepted_within(&server, &beta, &checkout_failed("after"), 30).await;
    let beta_recovered = issues_once_counted(&api, "/api/0/projects/beta/api/issues/", 2).await;
    let beta_resolved_after = resolved_within(&api, &issue_path("beta", &beta_issue), 30).await;
    let occurrences = ingested_per_organization(&pool).await;
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);

    assert_eq!(alpha_during, 200);
    assert_eq!(alpha_new_issue, 200);
    assert_eq!(beta_during, 503);
    assert_eq!(alpha_listed.as_array().unwrap().len(), 2, "{alpha_listed}");
    assert_eq!(alpha_resolved.0, 200, "{}", alpha_resolved.1);
    assert_eq!(alpha_resolved.1["status"], "resolved");
    assert_eq!(beta_resolved.0, 503, "{}", beta_resolved.1);
    // The issues' read model is on the workers too: beta's list waits for its worker.
    assert_eq!(beta_listed.0, 503, "{}", beta_listed.1);
    assert_eq!(alpha_detail.0, 200, "{}", alpha_detail.1);
    assert_eq!(alpha_detail.1["status"], "resolved");
    assert_eq!(alpha_detail.1["count"], "2");
    assert_eq!(alpha_by_id.0, 200, "{}", alpha_by_id.1);
    assert_eq!(alpha_by_id.1["count"], "2");
    assert_eq!(alpha_releases.0, 200, "{}", alpha_releases.1);
    assert_eq!(alpha_environments.0, 200, "{}", alpha_environments.1);
    assert_eq!(alpha_latest.0, 200, "{}", alpha_latest.1);
    assert_eq!(alpha_latest.1["context"]["when"], "during");
    assert_eq!(alpha_events.0, 200, "{}", alpha_events.1);
    assert_eq!(alpha_events.1.as_array().unwrap().len(), 2);
    assert_eq!(beta_latest.0, 503, "{}", beta_latest.1);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alpha_workflows.0, 200, "{}", alpha_workflows.1);
    assert_eq!(alpha_workflows.1[0]["name"], "New issues");
    assert_eq!(alerts[1]["data"]["issue"]["title"], "payment declined");
    let event = alerts[1]["data"]["event"].to_string();
    assert!(event.contains("payment declined"), "{event}");
    assert_eq!(beta_after, 200);
    assert_eq!(beta_recovered[0]["count"], "2");
    assert_eq!(beta_resolved_after.0, 200, "{}", beta_resolved_after.1);
    assert_eq!(occurrences, [(1, 3), (2, 2)]);
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

#[tokio::test]
async fn a_person_is_erased_from_the_log_on_their_organizations_worker_alone() {
    let cluster = CitusCluster::start(2);
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    project_with_key(&api, "beta", "api").await;
    let pool = cluster.pool().await;
    let alpha_worker = cluster.worker_of(&pool, 1).await;
    let beta_worker = cluster.worker_of(&pool, 2).await;
    for email in ["ada@example.test", "ada@example.test", "bob@example.test"] {
        send_event(&server, &alpha, &cart_error_of(email)).await;
    }
    let issue = issues_once_counted(&api, "/api/0/projects/alpha/web/issues/", 3).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events_path = format!("{}events/?full=true", issue_path("alpha", &issue));
    let before = api.get_ok(&events_path).await.to_string();

    // Every statement of alpha's erasure names alpha: beta's worker is not needed.
    cluster.stop_worker(beta_worker);
    let erased = run_faultline(
        &cluster.url,
        &[
            "forget",
            "user",
            "--org",
            "alpha",
            "--email",
            "ada@example.test",
        ],
        &[],
    );
    let after = api.get_ok(&events_path).await;
    cluster.start_worker(beta_worker);
    let verified = run_faultline(&cluster.url, &["verify", "--all"], &[]);

    assert_ne!(
        alpha_worker, beta_worker,
        "the organizations share a worker"
    );
    assert!(before.contains("ada@example.test"), "{before}");
    assert!(
        erased.contains("erased the person from 2 stored event(s)"),
        "{erased}"
    );
    assert_eq!(after.as_array().unwrap().len(), 3, "{after}");
    assert!(!after.to_string().contains("ada@example.test"), "{after}");
    assert!(after.to_string().contains("bob@example.test"), "{after}");
    assert!(!verified.contains("DIFFERENT"), "{verified}");
}

fn cart_error_of(email: &str) -> serde_json::Value {
    json!({
        "level": "error",
        "user": {"email": email},
        "exception": {"values": [{"type": "CartError", "value": "empty cart"}]},
    })
}

fn checkout_failed(when: &str) -> serde_json::Value {
    json!({"message": "checkout failed", "level": "error", "extra": {"when": when}})
}

fn issue_path(org: &str, issue: &str) -> String {
    format!("/api/0/organizations/{org}/issues/{issue}/")
}

fn latest_event_path(org: &str, issue: &str) -> String {
    format!("{}events/latest/", issue_path(org, issue))
}

/// Sends `event` until it is accepted or `seconds` pass; the last status. A worker
/// just started again is reached by the coordinator's next connection.
async fn accepted_within(
    server: &TestServer,
    project: &ProjectKey,
    event: &serde_json::Value,
    seconds: u64,
) -> u16 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let status = post_event(server, project, event).await;
        if status == 200 || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Resolves the issue at `path` until that is answered 200 or `seconds` pass; the last
/// answer. After a worker's restart, a coordinator connection that had reached it
/// fails its next statement once (503, retry later) before it connects again.
async fn resolved_within(api: &Api, path: &str, seconds: u64) -> (u16, serde_json::Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let answer = api
            .call("PUT", path, Some(json!({"status": "resolved"})))
            .await;
        if answer.0 == 200 || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn one_organizations_tail_is_read_on_the_one_worker_that_holds_it() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);

    let issues = explain_tail(&pool, &["issue"]).await;
    let audit = explain_tail(&pool, &["organization", "project", "monitor"]).await;
    let stream = explain_stream(&pool).await;
    let latest_event = explain_latest_event(&pool).await;
    let workflow = explain_workflow(&pool).await;
    let issue_list = explain_issue_list(&pool).await;
    let issue = explain_issue(&pool).await;

    assert!(issues.contains("Task Count: 1"), "{issues}");
    assert!(issue_list.contains("Task Count: 1"), "{issue_list}");
    assert!(issue.contains("Task Count: 1"), "{issue}");
    assert!(audit.contains("Task Count: 1"), "{audit}");
    assert!(stream.contains("Task Count: 1"), "{stream}");
    assert!(latest_event.contains("Task Count: 1"), "{latest_event}");
    assert!(workflow.contains("Task Count: 1"), "{workflow}");
}

/// The plan of a page of the issue list, with filters on tags, the first release and
/// bookmarks: every table it reads is the organization's, on its worker.
async fn explain_issue_list(pool: &sqlx::PgPool) -> String {
    let query = parse(
        "is:unresolved release:latest firstRelease:1.0 bookmarks:me browser:Firefox",
        chrono::Utc::now(),
    )
    .unwrap();
    let scope = SearchScope {
        org_id: 7,
        project_ids: Some(vec![3]),
        environments: vec!["production".into()],
        user_id: Some(1),
    };
    let search = Search {
        query: &query,
        sort: IssueSort::Date,
        scope: &scope,
        cursor: None,
        limit: 25,
    };
    let plan: Vec<String> = explain(&search, &Assignees::default())
        .build_query_scalar()
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}

/// The plan of one issue's read (its page).
async fn explain_issue(pool: &sqlx::PgPool) -> String {
    plan_of(pool, &issue_sql(), (7, 1)).await
}

/// The plan of one workflow's read (its page, and every change to it).
async fn explain_workflow(pool: &sqlx::PgPool) -> String {
    let sql = format!("{WORKFLOW_SQL} WHERE w.org_id = $1 AND w.id = $2");
    plan_of(pool, &sql, (1, 5)).await
}

/// The plan of an issue's latest event (the issue's page): the issue's rows of the
/// read model joined with the log, on the organization's worker.
async fn explain_latest_event(pool: &sqlx::PgPool) -> String {
    plan_of(pool, &latest_event_sql(), (7, 1)).await
}

/// `EXPLAIN` of `sql` with `$1` and `$2` bound to `binds`.
async fn plan_of(pool: &sqlx::PgPool, sql: &str, binds: (i64, i64)) -> String {
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
        .bind(binds.0)
        .bind(binds.1)
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}

#[tokio::test]
async fn a_reader_of_one_organization_waits_for_its_slow_transaction_with_the_lower_position() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let insert = "INSERT INTO events (organization_id, aggregate_type, aggregate_id, sequence,
                                      event_type, event_version, payload, metadata)
                  VALUES (7, 'counter', $1, 1, 'Added', '1.0', '{}', '{}') RETURNING position";
    let mut slow = pool.begin().await.unwrap();
    let slow_position: i64 = sqlx::query_scalar(insert)
        .bind("slow")
        .fetch_one(&mut *slow)
        .await
        .unwrap();
    let fast_position: i64 = sqlx::query_scalar(insert)
        .bind("fast")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();

    let before = read_partition_after(
        &mut conn,
        &["counter"],
        Columns::ALL,
        7,
        LogPosition::START,
        10,
    )
    .await
    .unwrap();
    slow.commit().await.unwrap();
    // Citus's own background transactions on the coordinator may hold the horizon back
    // for a moment.
    let mut after = Vec::new();
    for _ in 0..500 {
        after = read_partition_after(
            &mut conn,
            &["counter"],
            Columns::ALL,
            7,
            LogPosition::START,
            10,
        )
        .await
        .unwrap();
        if after.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    assert!(slow_position < fast_position);
    assert!(
        before.is_empty(),
        "nothing past a running transaction is readable: {before:?}"
    );
    let order: Vec<&str> = after.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(order, ["slow", "fast"]);
}

/// The plan of a command's load of one stream of a known organization.
async fn explain_stream(pool: &sqlx::PgPool) -> String {
    let sql = format!("EXPLAIN {}", stream_sql(true));
    let plan: Vec<String> = sqlx::query_scalar(&sql)
        .bind("issue")
        .bind("6a1f7c3e-0000-4000-8000-000000000000")
        .bind(0_i64)
        .bind(7_i64)
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}

/// The plan of the runner's read of one organization's tail of `aggregate_types`.
async fn explain_tail(pool: &sqlx::PgPool, aggregate_types: &[&str]) -> String {
    let sql = format!("EXPLAIN {}", read_sql(aggregate_types, Columns::ALL, true));
    let plan: Vec<String> = sqlx::query_scalar(&sql)
        .bind(aggregate_types)
        .bind("0")
        .bind(0_i64)
        .bind("18446744073709551615")
        .bind(i64::MAX)
        .bind(100_i64)
        .bind("1000")
        .bind(7_i64)
        .fetch_all(pool)
        .await
        .unwrap();
    plan.join("\n")
}

#[tokio::test]
async fn an_ignore_ends_in_one_organization_while_another_organizations_worker_is_down() {
    let cluster = CitusCluster::start(2);
    let pool = cluster.pool().await;
    run_faultline(&cluster.url, &["migrate", "--citus"], &[]);
    let server = TestServer::on_database(&cluster.url);
    let token = create_user(&cluster.url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let alpha = project_with_key(&api, "alpha", "web").await;
    let beta = project_with_key(&api, "beta", "api").await;
    let alpha_id: i64 = api.get_ok("/api/0/organizations/alpha/").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let beta_worker = cluster.worker_of(&pool, 2).await;
    send_event(&server, &alpha, &checkout_failed("before")).await;
    send_event(&server, &beta, &checkout_failed("before")).await;
    issues_once_counted(&api, "/api/0/projects/alpha/web/issues/", 1).await;
    issues_once_counted(&api, "/api/0/projects/beta/api/issues/", 1).await;
    let stream: String = sqlx::query_scalar(
        "SELECT aggregate_id FROM events
          WHERE organization_id = $1 AND event_type = 'IssueCreated'",
    )
    .bind(alpha_id)
    .fetch_one(&pool)
    .await
    .unwrap();

    cluster.stop_worker(beta_worker);
    let bus = CommandBus::new(pool.clone());
    ignore_an_hour_two_hours_ago(&bus, Some(alpha_id), &stream).await;
    issues_once_counted(
        &api,
        "/api/0/projects/alpha/web/issues/?query=is:ignored",
        1,
    )
    .await;
    // The server's own scheduler may end it first: what matters is that it ends, once.
    let ended = tick(&pool, &bus).await.unwrap();
    let unignored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events
          WHERE organization_id = $1 AND event_type = 'IssueUnignored'",
    )
    .bind(alpha_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    cluster.start_worker(beta_worker);

    assert!(ended <= 1, "{ended}");
    assert_eq!(unignored, 1);
}
