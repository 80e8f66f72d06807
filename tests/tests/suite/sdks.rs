//! Real Sentry SDKs pointed at a live Faultline: the issue shows up through the API.

use std::process::Command;
use std::time::Duration;

use crate::helpers::{
    create_user, fresh_database, issues_once_counted, project_with_key, Api, TestServer,
};

#[tokio::test]
async fn the_python_sdk_reports_a_real_exception_as_one_issue() {
    let python = std::env::var("FAULTLINE_TEST_PYTHON")
        .expect("FAULTLINE_TEST_PYTHON must name a python with sentry-sdk: run scripts/test");
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "py@example.test", false));
    let project = project_with_key(&api, "shop", "checkout").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/python_capture.py");

    let output = Command::new(&python)
        .args([script, &project.dsn, "2"])
        .output()
        .expect("run python");
    let issues = issues_once_counted(&api, "/api/0/projects/shop/checkout/issues/", 2).await;

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(issues.as_array().unwrap().len(), 1, "{issues}");
    let issue = &issues[0];
    assert_eq!(issue["count"], "2");
    assert_eq!(issue["userCount"], 1);
    assert_eq!(issue["metadata"]["type"], "ValueError");
    assert_eq!(issue["title"], "ValueError: card declined for cart 0");
    assert_eq!(issue["culprit"], "__main__ in checkout");
    assert_eq!(issue["platform"], "python");
    let id = issue["id"].as_str().unwrap();
    let tags = api
        .get_ok(&format!("/api/0/organizations/shop/issues/{id}/tags/"))
        .await;
    let keys: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"customer_tier"), "{tags}");
    assert!(keys.contains(&"release"), "{tags}");
    let latest = api
        .get_ok(&format!(
            "/api/0/organizations/shop/issues/{id}/events/latest/"
        ))
        .await;
    let release_tag = latest["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tag| tag["key"] == "release")
        .expect("the event carries its release as a tag");
    assert_eq!(release_tag["value"], "shop@1.2.3");
    assert_eq!(latest["environment"], "staging");
}

#[tokio::test]
async fn the_rust_sdk_reports_errors_messages_and_panics() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "rs@example.test", false));
    let project = project_with_key(&api, "forge", "anvil").await;

    let dsn = project.dsn.clone();
    std::thread::spawn(move || {
        let mut options = sentry::ClientOptions::new();
        options.release = Some("anvil@0.1.0".into());
        let guard = sentry::init((dsn, options));
        sentry::configure_scope(|scope| scope.set_tag("forge", "main"));
        let error = std::io::Error::new(std::io::ErrorKind::NotFound, "ore not found");
        sentry::capture_error(&error);
        sentry::capture_error(&error);
        sentry::capture_message("the anvil is cold", sentry::Level::Warning);
        let _ = std::panic::catch_unwind(|| panic!("hammer slipped"));
        guard.flush(Some(Duration::from_secs(10)));
    })
    .join()
    .unwrap();
    let issues = issues_once_counted(&api, "/api/0/projects/forge/anvil/issues/", 4).await;

    let titles: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    let by_title = |title: &str| {
        issues
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("no issue titled {title:?} in {titles:?}"))
            .clone()
    };
    assert_eq!(issues.as_array().unwrap().len(), 3, "{titles:?}");
    assert_eq!(by_title("Custom: ore not found")["count"], "2");
    assert_eq!(by_title("the anvil is cold")["level"], "warning");
    assert_eq!(by_title("the anvil is cold")["count"], "1");
    let panicked = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("hammer slipped"))
        .expect("the panic is an issue");
    assert_eq!(panicked["count"], "1");
    let id = by_title("Custom: ore not found")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let values = api
        .get_ok(&format!(
            "/api/0/organizations/forge/issues/{id}/tags/forge/values/"
        ))
        .await;
    assert_eq!(values[0]["value"], "main");
}

#[tokio::test]
async fn sentry_cli_reads_accounts_sends_an_event_and_lists_the_issue() {
    let cli = std::env::var("FAULTLINE_TEST_SENTRY_CLI")
        .expect("FAULTLINE_TEST_SENTRY_CLI must name sentry-cli: run scripts/test");
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "cli@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "tools", "cli").await;
    let run = |args: &[&str]| {
        let output = Command::new(&cli)
            .args(args)
            .env("SENTRY_URL", &server.url)
            .env("SENTRY_AUTH_TOKEN", &token)
            .env("SENTRY_DSN", &project.dsn)
            .env("SENTRY_LOG_LEVEL", "warn")
            .output()
            .expect("run sentry-cli");
        assert!(
            output.status.success(),
            "sentry-cli {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };

    let info = run(&["info"]);
    let organizations = run(&["organizations", "list"]);
    let projects = run(&["projects", "list", "-o", "tools"]);
    run(&["send-event", "-m", "hello from sentry-cli"]);
    issues_once_counted(&api, "/api/0/projects/tools/cli/issues/", 1).await;
    let issues = run(&["issues", "list", "-o", "tools", "-p", "cli"]);

    assert!(info.contains("User: cli@example.test"), "{info}");
    assert!(info.contains("project:write"), "{info}");
    assert!(organizations.contains("| tools"), "{organizations}");
    assert!(projects.contains("| cli"), "{projects}");
    assert!(issues.contains("CLI-1"), "{issues}");
    assert!(issues.contains("hello from sentry-cli"), "{issues}");
}
