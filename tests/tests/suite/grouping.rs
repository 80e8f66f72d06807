//! Grouping end to end: a project's fingerprint and stack trace rules, saved through
//! Sentry's project API (checked with line-numbered errors), steer a real Python SDK's
//! events; grouping info tells what decided; and an upgrade from the legacy grouping
//! keeps an existing issue's events in it, before and after a redeploy changes the
//! generated names the legacy grouping split on.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, project_with_key, send_event, Api, TestServer};

const SCRIPT: &str = r#"
import sys, sentry_sdk
sentry_sdk.init(dsn=sys.argv[1])

class DatabaseUnavailable(Exception):
    pass

def connect():
    raise DatabaseUnavailable("primary down")

def query():
    raise DatabaseUnavailable("replica down")

def log_and_raise():
    raise ValueError("bad cart")

def checkout(via_log):
    if via_log:
        log_and_raise()
    raise ValueError("bad cart")

for action in (connect, query, lambda: checkout(True), lambda: checkout(False)):
    try:
        action()
    except Exception as error:
        sentry_sdk.capture_exception(error)
sentry_sdk.flush()
"#;

/// The project's issues once their counts add up to `events`.
async fn issues_when(api: &Api, path: &str, events: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let issues = api.get_ok(path).await;
        let issues = issues.as_array().unwrap().clone();
        let counted: u64 = issues
            .iter()
            .map(|i| i["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        assert!(Instant::now() < deadline, "{issues:?}");
        if counted == events {
            return issues;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn project_rules_steer_the_grouping_of_a_real_sdk_and_grouping_info_says_so() {
    let python = std::env::var("FAULTLINE_TEST_PYTHON").expect("run scripts/test");
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "owner@example.test", false));
    let project = project_with_key(&api, "shop", "web").await;

    let refused = api
        .expect(
            400,
            "PUT",
            "/api/0/projects/shop/web/",
            Some(json!({"fingerprintingRules": "error.type:A -> a\nerror.tpye:B -> b"})),
        )
        .await;
    assert_eq!(
        refused,
        json!({"fingerprintingRules": ["Unknown matcher 'error.tpye' (line 2, column 1)"]})
    );
    let fingerprinting =
        "# outages\nerror.type:DatabaseUnavailable -> system-down title=\"Database down\"";
    let enhancements = "stack.function:log_* -group";
    let saved = api
        .expect(
            200,
            "PUT",
            "/api/0/projects/shop/web/",
            Some(json!({"fingerprintingRules": fingerprinting, "groupingEnhancements": enhancements})),
        )
        .await;
    assert_eq!(saved["fingerprintingRules"], fingerprinting);
    assert_eq!(saved["groupingEnhancements"], enhancements);

    let output = Command::new(&python)
        .args(["-c", SCRIPT, &project.dsn])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let issues = issues_when(&api, "/api/0/projects/shop/web/issues/", 4).await;

    assert_eq!(issues.len(), 2, "{issues:?}");
    let down = issues
        .iter()
        .find(|i| i["title"] == "Database down")
        .unwrap();
    assert_eq!(down["count"], "2");
    let cart = issues
        .iter()
        .find(|i| i["title"] == "ValueError: bad cart")
        .unwrap();
    assert_eq!(cart["count"], "2");

    let latest = api
        .get_ok(&format!(
            "/api/0/organizations/shop/issues/{}/events/latest/",
            down["id"].as_str().unwrap()
        ))
        .await;
    let info = api
        .get_ok(&format!(
            "/api/0/projects/shop/web/events/{}/grouping-info/",
            latest["eventID"].as_str().unwrap()
        ))
        .await;
    assert_eq!(info["grouping_config"], "faultline:2026-12");
    let variant = &info["variants"]["custom_fingerprint"];
    assert_eq!(variant["contributes"], true);
    assert_eq!(variant["values"], json!(["system-down"]));
    assert_eq!(
        variant["matched_rule"],
        "error.type:DatabaseUnavailable -> system-down title=\"Database down\""
    );
    assert_eq!(variant["hashMismatch"], false);
    assert_eq!(latest["groupingConfig"]["id"], "faultline:2026-12");
}

/// A Java error through a reflective call, from an SDK that marks no frame in-app (so
/// every frame groups, the generated accessor's name too).
fn java_error(accessor: u32) -> Value {
    json!({
        "platform": "java",
        "exception": {"values": [{"type": "IllegalStateException", "value": "no cart",
            "stacktrace": {"frames": [
                {"module": "com.shop.Main", "function": "main"},
                {"module": format!("sun.reflect.GeneratedMethodAccessor{accessor}"), "function": "invoke"},
                {"module": "com.shop.Checkout", "function": "pay"}
            ]}}]}
    })
}

#[tokio::test]
async fn an_upgrade_from_the_legacy_grouping_keeps_existing_issues_whole() {
    let (url, _pool) = fresh_database().await;
    let legacy = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_GROUPING_CONFIG", "faultline:legacy"),
    ]);
    let token = create_user(&url, "owner@example.test", false);
    let api = Api::new(&legacy, &token);
    let project = project_with_key(&api, "shop", "web").await;
    let issues_path = "/api/0/projects/shop/web/issues/";
    send_event(&legacy, &project, &java_error(123)).await;
    let before = issues_when(&api, issues_path, 1).await;
    drop(legacy);

    // The same error under the current grouping, then after a redeploy renumbered the
    // generated accessor: both join the issue the legacy grouping made.
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &token);
    send_event(&server, &project, &java_error(123)).await;
    send_event(&server, &project, &java_error(456)).await;
    let after = issues_when(&api, issues_path, 3).await;

    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], before[0]["id"]);
    let latest = api
        .get_ok(&format!(
            "/api/0/organizations/shop/issues/{}/events/latest/",
            after[0]["id"].as_str().unwrap()
        ))
        .await;
    let info = api
        .get_ok(&format!(
            "/api/0/projects/shop/web/events/{}/grouping-info/",
            latest["eventID"].as_str().unwrap()
        ))
        .await;
    assert_eq!(info["variants"]["system"]["fallback"], "legacy", "{info}");
}
