//! Our own OpenAPI document (`/api/0/openapi.json`) against the live server:
//! schemathesis checks that generated requests get no 5xx and that every answer
//! matches its documented schema; the IDOR sweep calls every documented operation
//! that names a resource with another organization's ids and expects 404.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, Api, TestServer};
use crate::issue_workflow::wait_for;

/// Examples schemathesis generates per operation: enough to reach every operation
/// with valid and invalid input, small enough to finish well under a minute.
const MAX_EXAMPLES: &str = "5";

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let st = std::env::var("FAULTLINE_TEST_SCHEMATHESIS")
        .expect("FAULTLINE_TEST_SCHEMATHESIS must name schemathesis' `st`: run scripts/test");
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "st@example.test", false);
    let api = Api::new(&server, &token);
    crate::helpers::project_with_key(&api, "acme", "backend").await;

    // Real slugs for the path parameters, so that operations reach the project's
    // resources instead of answering 404 to random names.
    let config = std::env::temp_dir().join(format!("faultline-st-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        "[parameters]\n\"path.org\" = \"acme\"\n\"path.team\" = \"team\"\n\"path.project\" = \"backend\"\n",
    )
    .expect("write schemathesis config");
    let output = Command::new(&st)
        .args([
            "--config-file",
            config.to_str().unwrap(),
            "run",
            &server.at("/api/0/openapi.json"),
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-shrink",
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .env("NO_COLOR", "1")
        // schemathesis keeps a cache in its working directory: not in the checkout.
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run schemathesis");
    std::fs::remove_file(&config).ok();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The summary (operations, test cases, failures) shows with `--nocapture`.
    println!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis failed:\n{stdout}\n{}\nserver logs:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.logs()
    );
}

/// Documented operations that name a resource but answer another organization's
/// owner with something other than 404, and why.
const NOT_404: &[(&str, &str, &str)] = &[];

/// Path parameters that name a resource (and so must not reach another
/// organization's); `key` (a tag key) only qualifies an issue.
const RESOURCE_PARAMS: [&str; 12] = [
    "org",
    "project",
    "team",
    "member",
    "key_id",
    "issue_id",
    "comment_id",
    "event_id",
    "workflow_id",
    "detector_id",
    "hook_id",
    "monitor",
];

/// Organization A's resources, as path parameter values.
struct Victim {
    params: Vec<(&'static str, String)>,
    /// Paths whose answers must be the same before and after the sweep.
    watched: Vec<String>,
}

async fn victim(server: &TestServer, owner: &Api, member: &Api) -> Victim {
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({"slug": "acme", "name": "Acme"})),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "a-team"})),
        )
        .await;
    let project = owner
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/a-team/projects/",
            Some(json!({"slug": "a-proj", "name": "A project"})),
        )
        .await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let keys = owner.get_ok("/api/0/projects/acme/a-proj/keys/").await;
    let key = keys[0]["public"].as_str().unwrap().to_owned();
    let me = member.get_ok("/api/0/").await;
    let added = owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": me["user"]["email"], "orgRole": "member", "teams": ["a-team"]})),
        )
        .await;
    let member_id = added["id"].as_str().unwrap().to_owned();

    let event_id = "0123456789abcdef0123456789abcdef";
    let sent = reqwest::Client::new()
        .post(server.at(&format!("/api/{project_id}/store/?sentry_key={key}")))
        .json(&json!({
            "event_id": event_id,
            "level": "error",
            "platform": "python",
            "message": "idor sweep",
            "tags": {"release": "a@1"},
        }))
        .send()
        .await
        .expect("event sent");
    assert_eq!(sent.status().as_u16(), 200);
    let issues = wait_for(owner, "/api/0/organizations/acme/issues/?query=", |list| {
        list.as_array().is_some_and(|l| l.len() == 1)
    })
    .await;
    let issue_id = issues[0]["id"].as_str().unwrap().to_owned();
    let comment = owner
        .expect(
            201,
            "POST",
            &format!("/api/0/issues/{issue_id}/comments/"),
            Some(json!({"text": "mine"})),
        )
        .await;
    let comment_id = comment["id"].as_str().unwrap().to_owned();

    let workflow = owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/workflows/",
            Some(json!({"name": "mine", "detectorIds": [project_id]})),
        )
        .await;
    let workflow_id = workflow["id"].as_str().unwrap().to_owned();
    let hook = owner
        .expect(
            201,
            "POST",
            "/api/0/projects/acme/a-proj/hooks/",
            Some(json!({"url": "https://example.com/hook", "events": ["event.created"]})),
        )
        .await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/releases/",
            Some(json!({"version": "a@1.0.0", "projects": ["a-proj"]})),
        )
        .await;

    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/monitors/",
            Some(json!({"project": "a-proj", "name": "A nightly", "config": {"schedule_type": "crontab", "schedule": "0 3 * * *"}})),
        )
        .await;

    let watched = vec![
        "/api/0/organizations/acme/".to_owned(),
        "/api/0/organizations/acme/teams/".to_owned(),
        "/api/0/organizations/acme/members/".to_owned(),
        "/api/0/organizations/acme/projects/".to_owned(),
        "/api/0/projects/acme/a-proj/keys/".to_owned(),
        format!("/api/0/organizations/acme/issues/{issue_id}/"),
        format!("/api/0/issues/{issue_id}/comments/"),
        format!("/api/0/issues/{issue_id}/events/{event_id}/"),
        format!("/api/0/organizations/acme/workflows/{workflow_id}/"),
        format!("/api/0/organizations/acme/detectors/{project_id}/"),
        format!("/api/0/projects/acme/a-proj/hooks/{hook_id}/"),
        "/api/0/organizations/acme/releases/a@1.0.0/".to_owned(),
        "/api/0/organizations/acme/releases/a@1.0.0/deploys/".to_owned(),
        "/api/0/organizations/acme/monitors/a-nightly/".to_owned(),
    ];
    Victim {
        params: vec![
            ("org", "acme".into()),
            ("project", "a-proj".into()),
            ("team", "a-team".into()),
            ("member", member_id),
            ("key_id", key),
            ("issue_id", issue_id.clone()),
            ("comment_id", comment_id),
            ("event_id", event_id.into()),
            ("workflow_id", workflow_id),
            ("detector_id", project_id.clone()),
            ("hook_id", hook_id),
            ("monitor", "a-nightly".into()),
            ("version", "a@1.0.0".into()),
            ("environment", "production".into()),
            ("key", "level".into()),
            // Query parameters of the bulk issue operations.
            ("id", issue_id),
            ("project_query", project_id),
        ],
        watched,
    }
}

/// The caller's view of A's resources (viewer-dependent fields left out).
async fn snapshot(api: &Api, paths: &[String]) -> Vec<Value> {
    let mut views = Vec::new();
    for path in paths {
        let mut body = api.get_ok(path).await;
        if let Some(object) = body.as_object_mut() {
            for viewer_field in ["hasSeen", "seenBy", "lastSeen", "participants"] {
                object.remove(viewer_field);
            }
        }
        views.push(body);
    }
    views
}

#[tokio::test]
async fn every_documented_resource_of_another_organization_answers_404_and_stays_unchanged() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner_a = Api::new(&server, &create_user(&url, "a@acme.test", false));
    let member_a = Api::new(&server, &create_user(&url, "m@acme.test", false));
    let owner_b = Api::new(&server, &create_user(&url, "b@globex.test", false));
    let a = victim(&server, &owner_a, &member_a).await;
    owner_b
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({"slug": "globex", "name": "Globex"})),
        )
        .await;
    let before = snapshot(&owner_a, &a.watched).await;

    let doc = Api::new(&server, "").get_ok("/api/0/openapi.json").await;
    let value = |name: &str| -> String {
        a.params
            .iter()
            .find(|(param, _)| *param == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no value for parameter {name}"))
    };
    // A body valid for every write, so that a 404 cannot hide behind a 400.
    let body = json!({
        "name": "pwned", "slug": "pwned", "text": "pwned", "status": "resolved",
        "email": "pwned@example.test", "orgRole": "member", "isActive": false,
    });
    let mut calls = Vec::new();
    let mut unexpected = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        if !names.iter().any(|name| RESOURCE_PARAMS.contains(name)) {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let mut query = Vec::new();
            for param in operation["parameters"].as_array().into_iter().flatten() {
                match (param["in"].as_str(), param["name"].as_str()) {
                    (Some("query"), Some("id")) => query.push(format!("id={}", value("id"))),
                    (Some("query"), Some("project")) => {
                        query.push(format!("project={}", value("project_query")))
                    }
                    _ => {}
                }
            }
            // Everything A's, then (where the organization is in the path) B's own
            // organization with A's resources under it.
            let mut variants = vec![None];
            if names.contains(&"org") && names.len() > 1 {
                variants.push(Some("globex"));
            }
            for org in variants {
                let mut filled = path.clone();
                for name in &names {
                    let v = match (*name, org) {
                        ("org", Some(own)) => own.to_owned(),
                        _ => value(name),
                    };
                    filled = filled.replace(&format!("{{{name}}}"), &v);
                }
                if !query.is_empty() {
                    filled = format!("{filled}?{}", query.join("&"));
                }
                let send = matches!(method.as_str(), "POST" | "PUT").then(|| body.clone());
                let (status, answer) = owner_b.call(&method, &filled, send).await;
                calls.push(format!("{method} {filled}"));
                let allowed = NOT_404
                    .iter()
                    .find(|(m, p, _)| *m == method && *p == path)
                    .is_some();
                if status != 404 && !allowed {
                    unexpected.push(format!("{method} {filled} -> {status} {answer}"));
                }
            }
        }
    }
    println!("IDOR sweep: {} calls", calls.len());
    assert_eq!(unexpected, Vec::<String>::new());
    // Every resource-naming operation was called (the document has them all).
    assert!(calls.len() >= 60, "only {} calls: {calls:#?}", calls.len());
    assert_eq!(snapshot(&owner_a, &a.watched).await, before);
}
