//! Cron monitors driven by real clients: sentry-cli `monitors run` and `monitors
//! list` (3.x, and 2.x), the Python SDK's `@monitor` and `capture_checkin`, curl on
//! the HTTP check-in endpoint; the monitors API in Sentry's shapes and its audit log
//! rows; another organization's monitor answering 404.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{
    another_project, create_user, fresh_database, project_with_key, Api, ProjectKey, TestServer,
};
use crate::issue_workflow::wait_for;
use crate::openapi::assert_matches_sentry;

const MONITOR: &str =
    "/api/0/organizations/{organization_id_or_slug}/monitors/{monitor_id_or_slug}/";
const MONITORS: &str = "/api/0/organizations/{organization_id_or_slug}/monitors/";
const CHECK_INS: &str =
    "/api/0/organizations/{organization_id_or_slug}/monitors/{monitor_id_or_slug}/checkins/";

/// A server with organization `shop`, project `backend` and a user's token.
async fn shop() -> (TestServer, String, Api, ProjectKey) {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "ops@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "shop", "backend").await;
    (server, token, api, project)
}

fn cli(env: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| panic!("{env} must name sentry-cli: run scripts/test"))
}

/// `sentry-cli ARGS` with the DSN, token and organization of the test's server.
fn sentry_cli(
    cli: &str,
    server: &TestServer,
    token: &str,
    project: &ProjectKey,
    args: &[&str],
) -> std::process::Output {
    Command::new(cli)
        .args(args)
        .env("SENTRY_URL", &server.url)
        .env("SENTRY_DSN", &project.dsn)
        .env("SENTRY_AUTH_TOKEN", token)
        .env("SENTRY_ORG", "shop")
        .env("SENTRY_LOG_LEVEL", "warn")
        .output()
        .expect("run sentry-cli")
}

pub(crate) fn curl(args: &[&str]) -> (u16, String) {
    let output = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    let text = String::from_utf8(output.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), body.to_owned())
}

/// The monitor's check-ins once their statuses are `expected`, newest first (a
/// check-in is answered once committed; the read model follows).
async fn check_ins(api: &Api, slug: &str, expected: &[&str]) -> Value {
    wait_for(
        api,
        &format!("/api/0/organizations/shop/monitors/{slug}/checkins/"),
        |list| list.is_array() && statuses(list) == expected,
    )
    .await
}

pub(crate) fn statuses(check_ins: &Value) -> Vec<&str> {
    check_ins
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn sentry_cli_monitors_run_records_an_ok_and_an_error_run_and_lists_the_monitor() {
    let cli = cli("FAULTLINE_TEST_SENTRY_CLI3");
    let (server, token, api, project) = shop().await;

    let ok = sentry_cli(
        &cli,
        &server,
        &token,
        &project,
        &[
            "monitors",
            "run",
            "-s",
            "*/5 * * * *",
            "--check-in-margin",
            "2",
            "--max-runtime",
            "10",
            "--timezone",
            "Europe/Vienna",
            "nightly-job",
            "--",
            "sleep",
            "0.3",
        ],
    );
    let failed = sentry_cli(
        &cli,
        &server,
        &token,
        &project,
        &[
            "monitors",
            "run",
            "-s",
            "*/5 * * * *",
            "nightly-job",
            "--",
            "false",
        ],
    );
    let check_ins = check_ins(&api, "nightly-job", &["error", "ok"]).await;
    let listed = sentry_cli(&cli, &server, &token, &project, &["monitors", "list"]);

    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(failed.status.code(), Some(1), "the job's own exit code");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!stderr.contains("Failed to send"), "{stderr}");
    let list = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(list.contains("nightly-job"), "{list}");
    assert!(list.contains("active"), "{list}");

    let monitor = api
        .get_ok("/api/0/organizations/shop/monitors/nightly-job/")
        .await;
    assert_matches_sentry("get", MONITOR, 200, &monitor);
    assert_eq!(monitor["slug"], "nightly-job");
    assert_eq!(monitor["config"]["schedule_type"], "crontab");
    assert_eq!(monitor["config"]["schedule"], "*/5 * * * *");
    assert_eq!(monitor["config"]["checkin_margin"], 2);
    assert_eq!(monitor["config"]["max_runtime"], 10);
    assert_eq!(monitor["config"]["timezone"], "Europe/Vienna");
    assert_eq!(monitor["project"]["slug"], "backend");
    assert_eq!(monitor["environments"][0]["name"], "production");
    assert_eq!(monitor["environments"][0]["status"], "error");

    assert_matches_sentry("get", CHECK_INS, 200, &check_ins);
    assert_eq!(statuses(&check_ins), ["error", "ok"]);
    let ok_run = &check_ins[1];
    let duration = ok_run["duration"].as_i64().unwrap();
    assert!((300..5_000).contains(&duration), "duration {duration} ms");
    assert!(ok_run["dateInProgress"].is_string());
    assert_eq!(ok_run["environment"], "production");
}

#[tokio::test]
async fn sentry_cli_2_monitors_run_checks_in_too() {
    let cli = cli("FAULTLINE_TEST_SENTRY_CLI");
    let (server, token, api, project) = shop().await;

    let run = sentry_cli(
        &cli,
        &server,
        &token,
        &project,
        &[
            "monitors",
            "run",
            "-s",
            "0 * * * *",
            "-e",
            "staging",
            "hourly-sync",
            "--",
            "true",
        ],
    );

    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let check_ins = check_ins(&api, "hourly-sync", &["ok"]).await;
    assert_eq!(statuses(&check_ins), ["ok"]);
    assert_eq!(check_ins[0]["environment"], "staging");
}

#[tokio::test]
async fn the_python_sdks_monitor_decorator_and_capture_checkin_are_recorded() {
    let python = std::env::var("FAULTLINE_TEST_PYTHON")
        .expect("FAULTLINE_TEST_PYTHON must name a python with sentry-sdk: run scripts/test");
    let (_server, _token, api, project) = shop().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/python_crons.py");

    let output = Command::new(&python)
        .args([script, &project.dsn])
        .output()
        .expect("run python");

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let runs = check_ins(&api, "py-import", &["error", "ok"]).await;
    let manual = check_ins(&api, "py-manual", &["ok"]).await;
    let decorated = api
        .get_ok("/api/0/organizations/shop/monitors/py-import/")
        .await;
    assert_eq!(decorated["config"]["schedule_type"], "interval");
    assert_eq!(decorated["config"]["schedule"], json!([1, "hour"]));
    assert_eq!(decorated["config"]["checkin_margin"], 5);
    assert_eq!(decorated["environments"][0]["name"], "prod");
    assert_eq!(statuses(&runs), ["error", "ok"]);
    let ok_ms = runs[1]["duration"].as_i64().unwrap();
    assert!((200..5_000).contains(&ok_ms), "duration {ok_ms} ms");
    assert_eq!(statuses(&manual), ["ok"]);
    assert_eq!(manual[0]["duration"], 2500);
    let listed = api.get_ok("/api/0/organizations/shop/monitors/").await;
    assert_matches_sentry("get", MONITORS, 200, &listed);
    let slugs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["py-import", "py-manual"]);
}

#[tokio::test]
async fn curl_checks_in_by_url_and_bad_check_ins_get_a_clear_error() {
    let (server, _token, api, project) = shop().await;
    let base = server.at(&format!(
        "/api/{}/cron/backup/{}/",
        project.project_id, project.key
    ));
    let upsert = json!({"status": "in_progress", "monitor_config": {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "timezone": "America/New_York"}});

    let (created, created_body) = curl(&[
        "-X",
        "POST",
        &base,
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        &upsert.to_string(),
    ]);
    let (finished, _) = curl(&[&format!("{base}?status=ok")]);
    let (heartbeat, _) = curl(&[&format!("{base}?status=error&environment=dev")]);
    let (no_status, no_status_body) = curl(&[&base]);
    let (bad_status, bad_status_body) = curl(&[&format!("{base}?status=missed")]);
    let unknown = server.at(&format!(
        "/api/{}/cron/nope/{}/",
        project.project_id, project.key
    ));
    let (unknown_monitor, unknown_body) = curl(&[&format!("{unknown}?status=ok")]);
    let wrong_key = server.at(&format!(
        "/api/{}/cron/backup/{}/",
        project.project_id,
        "0".repeat(32)
    ));
    let (forbidden, _) = curl(&[&format!("{wrong_key}?status=ok")]);

    assert_eq!((created, created_body.as_str()), (202, ""));
    assert_eq!(finished, 202);
    assert_eq!(heartbeat, 202);
    assert_eq!(no_status, 400, "{no_status_body}");
    assert!(no_status_body.contains("status"), "{no_status_body}");
    assert_eq!(bad_status, 400, "{bad_status_body}");
    assert_eq!(unknown_monitor, 404, "{unknown_body}");
    assert_eq!(forbidden, 403);
    let check_ins = check_ins(&api, "backup", &["error", "ok"]).await;
    let monitor = api
        .get_ok("/api/0/organizations/shop/monitors/backup/")
        .await;
    assert_eq!(monitor["config"]["timezone"], "America/New_York");
    assert_eq!(statuses(&check_ins), ["error", "ok"]);
    assert_eq!(check_ins[0]["environment"], "dev");
    assert!(
        check_ins[1]["dateInProgress"].is_string(),
        "the in_progress run was finished"
    );
    let dev_only = api
        .get_ok("/api/0/organizations/shop/monitors/backup/checkins/?environment=dev")
        .await;
    assert_eq!(statuses(&dev_only), ["error"]);
}

#[tokio::test]
async fn monitors_are_created_changed_and_deleted_through_the_api() {
    let (_server, _token, api, _project) = shop().await;

    let created = api
        .expect(
            201,
            "POST",
            "/api/0/organizations/shop/monitors/",
            Some(json!({"project": "backend", "name": "Nightly Import", "config": {"schedule_type": "interval", "schedule": [6, "hour"], "checkin_margin": 10, "failure_issue_threshold": 2}})),
        )
        .await;
    let taken = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/shop/monitors/",
            Some(json!({"project": "backend", "name": "Nightly Import", "config": {"schedule": "0 * * * *"}})),
        )
        .await;
    let invalid = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/shop/monitors/",
            Some(json!({"project": "backend", "name": "Bad", "config": {"schedule": "99 * * * *", "timezone": "Mars/Base"}})),
        )
        .await;
    let updated = api
        .expect(
            200,
            "PUT",
            "/api/0/projects/shop/backend/monitors/nightly-import/",
            Some(json!({"status": "disabled", "isMuted": true, "config": {"schedule_type": "crontab", "schedule": "30 1 * * *"}})),
        )
        .await;

    assert_matches_sentry("post", MONITORS, 201, &created);
    assert_eq!(created["slug"], "nightly-import");
    assert_eq!(created["name"], "Nightly Import");
    assert_eq!(created["config"]["schedule"], json!([6, "hour"]));
    assert_eq!(created["config"]["failure_issue_threshold"], 2);
    assert_eq!(created["environments"], json!([]));
    assert_eq!(created["owner"], Value::Null);
    assert!(taken["slug"].is_array(), "{taken}");
    assert!(invalid["config"].is_array(), "{invalid}");
    assert_matches_sentry("put", MONITOR, 200, &updated);
    assert_eq!(updated["status"], "disabled");
    assert_eq!(updated["isMuted"], true);
    assert_eq!(updated["config"]["schedule"], "30 1 * * *");
    let by_id = api
        .get_ok(&format!(
            "/api/0/organizations/shop/monitors/{}/",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id["slug"], "nightly-import");
    api.expect(
        202,
        "DELETE",
        "/api/0/organizations/shop/monitors/nightly-import/",
        None,
    )
    .await;
    api.expect(
        404,
        "GET",
        "/api/0/organizations/shop/monitors/nightly-import/",
        None,
    )
    .await;
    let audit = api.get_ok("/api/0/organizations/shop/audit-logs/").await;
    let monitor_rows: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["event"].as_str().unwrap())
        .filter(|event| event.starts_with("monitor."))
        .collect();
    assert_eq!(
        monitor_rows,
        ["monitor.remove", "monitor.edit", "monitor.add"]
    );
}

#[tokio::test]
async fn another_organizations_or_projects_monitor_is_a_404() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let alice = Api::new(&server, &create_user(&url, "alice@example.test", false));
    let bob = Api::new(&server, &create_user(&url, "bob@example.test", false));
    project_with_key(&alice, "acme", "jobs").await;
    another_project(&alice, "acme", "web").await;
    project_with_key(&bob, "globex", "jobs").await;
    alice
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/monitors/",
            Some(
                json!({"project": "jobs", "name": "billing", "config": {"schedule": "0 * * * *"}}),
            ),
        )
        .await;

    for path in [
        "/api/0/organizations/globex/monitors/billing/",
        "/api/0/organizations/globex/monitors/billing/checkins/",
        "/api/0/projects/globex/jobs/monitors/billing/",
    ] {
        bob.expect(404, "GET", path, None).await;
    }
    bob.expect(
        404,
        "GET",
        "/api/0/organizations/acme/monitors/billing/",
        None,
    )
    .await;
    bob.expect(
        404,
        "DELETE",
        "/api/0/organizations/acme/monitors/billing/",
        None,
    )
    .await;
    alice
        .expect(
            404,
            "GET",
            "/api/0/projects/acme/web/monitors/billing/",
            None,
        )
        .await;
    let listed = bob.get_ok("/api/0/organizations/globex/monitors/").await;
    assert_eq!(listed, json!([]));
    alice
        .expect(
            200,
            "GET",
            "/api/0/projects/acme/jobs/monitors/billing/",
            None,
        )
        .await;
}
