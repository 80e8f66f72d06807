//! Source maps end to end with the real tools: a two-file app bundled and minified by
//! esbuild, debug ids injected and the bundle uploaded by sentry-cli (3.x, and 2.x for a
//! rebuild), the minified app run under node with @sentry/node so it throws inside
//! `chargeCard` of `src/orders.js`. The issue's event shows the original frames and
//! keeps the minified ones as `rawStacktrace`; a rebuild with other minified names and
//! debug ids lands in the same issue; an event sent before its bundle stays as it was
//! recorded; a chunk whose bytes do not match its name is refused; another
//! organization can neither list the bundles nor assemble or resolve through them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    assemble, create_user, fresh_database, project_with_key, run_faultline, sha1_hex, Api,
    TestServer,
};
use crate::openapi::assert_matches_sentry;

const ORDERS: &str = r#"// Orders: the code path that fails.
const TAX = 0.2;

export function chargeCard(order) {
  const total = order.amount * (1 + TAX);
  if (order.card === "declined") {
    throw new Error("card declined for order " + order.id);
  }
  return total;
}

export function checkout(order) {
  const receipt = chargeCard(order);
  return { id: order.id, receipt };
}
"#;

/// The entry point; `extra` is an unrelated line that differs between builds.
fn main_js(extra: &str) -> String {
    format!(
        r#"import * as Sentry from "@sentry/node";
import {{ checkout }} from "./orders.js";

{extra}
Sentry.init({{ dsn: process.env.DSN, release: process.env.RELEASE }});

async function main() {{
  try {{
    checkout({{ id: 42, amount: 10, card: "declined" }});
  }} catch (error) {{
    Sentry.captureException(error);
  }}
  await Sentry.flush(10000);
}}
main();
"#
    )
}

fn js_tools() -> PathBuf {
    PathBuf::from(
        std::env::var("FAULTLINE_TEST_JS_TOOLS")
            .expect("FAULTLINE_TEST_JS_TOOLS must name the npm prefix of esbuild and @sentry/node: run scripts/test"),
    )
    .join("node_modules")
}

fn cli(env: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| panic!("{env} must name sentry-cli: run scripts/test"))
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh app directory whose `dist/app.min.js` (and map) esbuild built from the two
/// sources, `extra` being the unrelated line of this build.
fn build(extra: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fl-js-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/orders.js"), ORDERS).unwrap();
    std::fs::write(dir.join("src/main.js"), main_js(extra)).unwrap();
    run(Command::new(js_tools().join(".bin/esbuild"))
        .current_dir(&dir)
        .args([
            "src/main.js",
            "--bundle",
            "--minify",
            "--sourcemap",
            "--platform=node",
            "--external:@sentry/node",
            "--outfile=dist/app.min.js",
            "--log-level=warning",
        ]));
    dir
}

fn sentry_cli(cli: &str, server: &TestServer, token: &str, dir: &Path, args: &[&str]) -> String {
    run(Command::new(cli)
        .args(args)
        .current_dir(dir)
        .env("SENTRY_URL", &server.url)
        .env("SENTRY_AUTH_TOKEN", token)
        .env("SENTRY_ORG", "shop")
        .env("SENTRY_PROJECT", "web")
        .env("SENTRY_LOG_LEVEL", "warn"))
}

/// Runs the minified app under node, sending to `dsn` as `release`.
fn run_app(dir: &Path, dsn: &str, release: &str) {
    run(Command::new("node")
        .arg("dist/app.min.js")
        .current_dir(dir)
        .env("NODE_PATH", js_tools())
        .env("DSN", dsn)
        .env("RELEASE", release));
}

/// The debug id sentry-cli injected into the build's minified file.
fn debug_id(dir: &Path) -> String {
    let js = std::fs::read_to_string(dir.join("dist/app.min.js")).unwrap();
    let at = js
        .rfind("//# debugId=")
        .expect("sentry-cli injected a debug id");
    js[at + 12..].split_whitespace().next().unwrap().to_owned()
}

/// The project's issues once there are `count` of them with `events` events in all.
async fn issues_when(api: &Api, count: usize, events: u64) -> Vec<Value> {
    for _ in 0..100 {
        let issues = api.get_ok("/api/0/projects/shop/web/issues/").await;
        let issues = issues.as_array().unwrap().clone();
        let total: u64 = issues
            .iter()
            .map(|i| i["count"].as_str().unwrap().parse::<u64>().unwrap())
            .sum();
        if issues.len() == count && total == events {
            return issues;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {count} issues with {events} events");
}

fn crash_frame(event: &Value, stacktrace: &str) -> Value {
    let exception = event["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exception")
        .expect("an exception entry");
    let frames = exception["data"]["values"][0][stacktrace]["frames"]
        .as_array()
        .unwrap();
    frames.last().unwrap().clone()
}

#[tokio::test]
async fn sentry_cli_uploads_bundles_and_node_stack_traces_come_back_original_and_grouped() {
    let (cli3, cli2) = (
        cli("FAULTLINE_TEST_SENTRY_CLI3"),
        cli("FAULTLINE_TEST_SENTRY_CLI"),
    );
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "ci@example.test", false);
    let api = Api::new(&server, &token);
    let web = project_with_key(&api, "shop", "web").await;

    // An event sent before any bundle exists is recorded with its minified frames and
    // says why; uploading its bundle afterwards does not change it.
    let first = build("const build = 1;");
    sentry_cli(
        &cli3,
        &server,
        &token,
        &first,
        &["sourcemaps", "inject", "dist"],
    );
    run_app(&first, &web.dsn, "shop@1.0.0");
    let issues = issues_when(&api, 1, 1).await;
    let unresolved_issue = issues[0]["id"].as_str().unwrap().to_owned();
    let early_path = format!("/api/0/organizations/shop/issues/{unresolved_issue}/events/latest/");
    let early = api.get_ok(&early_path).await;
    let early_crash = crash_frame(&early, "stacktrace");
    assert!(
        early_crash["filename"]
            .as_str()
            .unwrap()
            .ends_with("dist/app.min.js"),
        "{early_crash}"
    );
    assert_eq!(
        early["errors"][0]["type"], "js_no_source",
        "{}",
        early["errors"]
    );

    let uploaded = sentry_cli(
        &cli3,
        &server,
        &token,
        &first,
        &["sourcemaps", "upload", "--release", "shop@1.0.0", "dist"],
    );
    assert!(uploaded.contains("~/app.min.js.map"), "{uploaded}");
    assert_eq!(api.get_ok(&early_path).await, early);

    // Sent now, the same error resolves through the bundle.
    run_app(&first, &web.dsn, "shop@1.0.0");
    let issues = issues_when(&api, 2, 2).await;
    let issue = issues
        .iter()
        .find(|i| i["id"] != unresolved_issue.as_str())
        .unwrap();
    let issue_id = issue["id"].as_str().unwrap().to_owned();
    assert_eq!(issue["culprit"], "chargeCard(src/orders)");
    let latest_path = format!("/api/0/organizations/shop/issues/{issue_id}/events/latest/");
    let event = api.get_ok(&latest_path).await;
    let crash = crash_frame(&event, "stacktrace");
    assert_eq!(crash["function"], "chargeCard");
    assert_eq!(crash["filename"], "src/orders.js");
    assert_eq!(crash["lineNo"], 7);
    assert_eq!(crash["inApp"], true);
    assert_eq!(
        crash["context"][5],
        json!([
            7,
            "    throw new Error(\"card declined for order \" + order.id);"
        ])
    );
    assert_eq!(crash["data"]["resolved_with"], "debug-id");
    let raw = crash_frame(&event, "rawStacktrace");
    assert!(
        raw["filename"]
            .as_str()
            .unwrap()
            .ends_with("dist/app.min.js"),
        "{raw}"
    );
    assert_eq!(raw["lineNo"], crash_frame(&early, "stacktrace")["lineNo"]);
    assert_ne!(raw["function"], "chargeCard");
    assert_eq!(event["errors"], json!([]));

    // The source map debugger, in Sentry's schema.
    let debug_path = format!(
        "/api/0/projects/shop/web/events/{}/source-map-debug/",
        event["eventID"].as_str().unwrap()
    );
    let debug = api.get_ok(&debug_path).await;
    assert_matches_sentry(
        "GET",
        "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}/source-map-debug/",
        200,
        &debug,
    );
    let crash_debug = debug["exceptions"][0]["frames"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        crash_debug["debug_id_process"]["debug_id"],
        debug_id(&first)
    );
    assert_eq!(
        crash_debug["debug_id_process"]["uploaded_source_map_with_correct_debug_id"],
        true
    );
    assert_eq!(debug["sdk_debug_id_support"], "full");
    assert_eq!(debug["release"], "shop@1.0.0");

    // A rebuild changes an unrelated line, so the minified file, its names and its debug
    // id change; uploaded by sentry-cli 2.x, its error lands in the same issue.
    let second = build("const build = 2, region = process.env.REGION || \"eu\";");
    sentry_cli(
        &cli3,
        &server,
        &token,
        &second,
        &["sourcemaps", "inject", "dist"],
    );
    assert_ne!(debug_id(&second), debug_id(&first));
    sentry_cli(
        &cli2,
        &server,
        &token,
        &second,
        &["sourcemaps", "upload", "--release", "shop@1.0.1", "dist"],
    );
    run_app(&second, &web.dsn, "shop@1.0.1");
    let issues = issues_when(&api, 2, 3).await;
    let regrouped = issues
        .iter()
        .find(|i| i["id"] == issue_id.as_str())
        .unwrap();
    assert_eq!(regrouped["count"], "2");
    let rebuilt = api.get_ok(&latest_path).await;

    // Without a debug id, the frame's URL in the event's release finds the same map:
    // a browser-style event whose file is served at /app.min.js (`~/app.min.js`).
    let raw_crash = crash_frame(&rebuilt, "rawStacktrace");
    let browser_event = json!({
        "platform": "javascript",
        "release": "shop@1.0.1",
        "exception": {"values": [{"type": "Error", "value": "card declined for order 42",
            "stacktrace": {"frames": [{
                "abs_path": "http://shop.example/app.min.js?v=2",
                "filename": "/app.min.js",
                "function": raw_crash["function"],
                "lineno": raw_crash["lineNo"],
                "colno": raw_crash["colNo"],
                "in_app": true
            }]}}]}
    });
    crate::helpers::send_event(&server, &web, &browser_event).await;
    let issues = issues_when(&api, 3, 4).await;
    let browser_issue = issues
        .iter()
        .find(|i| i["id"] != issue_id.as_str() && i["id"] != unresolved_issue.as_str())
        .unwrap();
    let browser = api
        .get_ok(&format!(
            "/api/0/organizations/shop/issues/{}/events/latest/",
            browser_issue["id"].as_str().unwrap()
        ))
        .await;
    let resolved = crash_frame(&browser, "stacktrace");
    assert_eq!(resolved["function"], "chargeCard", "{resolved}");
    assert_eq!(resolved["filename"], "src/orders.js");
    assert_eq!(resolved["data"]["resolved_with"], "release");
    assert_eq!(
        crash_frame(&rebuilt, "stacktrace")["function"],
        "chargeCard"
    );
    assert_eq!(crash_frame(&rebuilt, "stacktrace")["lineNo"], 7);

    // The settings list shows both bundles; deleting one leaves the other.
    let bundles = api
        .get_ok("/api/0/projects/shop/web/files/artifact-bundles/")
        .await;
    assert_eq!(bundles.as_array().unwrap().len(), 2, "{bundles}");
    assert_eq!(bundles[0]["associations"][0]["release"], "shop@1.0.1");
    assert_eq!(bundles[0]["fileCount"], 2);
    let doomed = bundles[1]["bundleId"].as_str().unwrap();
    // Each upload is an attributed event of the bundle's stream.
    let history = run_faultline(
        &url,
        &["log", "show", "artifact-bundle", &format!("shop/{doomed}")],
        &[],
    );
    assert!(history.contains("BundleUploaded"), "{history}");
    assert!(history.contains("user:"), "{history}");
    api.expect(
        204,
        "DELETE",
        &format!("/api/0/projects/shop/web/files/artifact-bundles/?bundleId={doomed}"),
        None,
    )
    .await;
    let left = api
        .get_ok("/api/0/projects/shop/web/files/artifact-bundles/")
        .await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["associations"][0]["release"], "shop@1.0.1");

    // A chunk whose bytes do not match its name is refused, and nothing is stored.
    let options = api.get_ok("/api/0/organizations/shop/chunk-upload/").await;
    assert_eq!(options["hashAlgorithm"], "sha1");
    let claimed = sha1_hex(b"the bytes the name promises");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"other bytes".to_vec()).file_name(claimed.clone()),
    );
    let refused = reqwest::Client::new()
        .post(options["url"].as_str().unwrap())
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Checksum mismatch"),
        "{body}"
    );
    let answer = assemble(&api, "shop", &claimed, std::slice::from_ref(&claimed)).await;
    assert_eq!(answer["state"], "not_found");
    assert_eq!(answer["missingChunks"], json!([claimed]));

    // Another organization sees none of it and cannot use it, even knowing every hash.
    let rival_token = create_user(&url, "rival@example.test", false);
    let rival = Api::new(&server, &rival_token);
    let rival_web = project_with_key(&rival, "rival", "web").await;
    rival
        .expect(
            404,
            "GET",
            "/api/0/projects/shop/web/files/artifact-bundles/",
            None,
        )
        .await;
    rival.expect(404, "GET", &debug_path, None).await;
    let bundle = std::fs::read(second.join("dist/app.min.js.map")).unwrap();
    let answer = assemble(&rival, "rival", &sha1_hex(&bundle), &[sha1_hex(&bundle)]).await;
    assert_eq!(answer["state"], "not_found");
    run_app(&second, &rival_web.dsn, "shop@1.0.1");
    let rival_issues = wait_for_issue(&rival, "rival").await;
    let rival_event = rival
        .get_ok(&format!(
            "/api/0/organizations/rival/issues/{}/events/latest/",
            rival_issues["id"].as_str().unwrap()
        ))
        .await;
    assert_ne!(
        crash_frame(&rival_event, "stacktrace")["function"],
        "chargeCard"
    );
    assert_eq!(rival_event["errors"][0]["type"], "js_no_source");
}

async fn wait_for_issue(api: &Api, org: &str) -> Value {
    for _ in 0..100 {
        let issues = api
            .get_ok(&format!("/api/0/projects/{org}/web/issues/"))
            .await;
        if let Some(issue) = issues.as_array().unwrap().first() {
            return issue.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no issue in {org}");
}
