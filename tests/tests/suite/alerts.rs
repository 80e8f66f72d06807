//! Alerts end to end: a workflow made through the API, events sent by a real
//! Sentry SDK, the alerting reactor's decision and its delivery to a real HTTP
//! receiver, signed with the workflow's secret; a rebuild of the read models sends
//! nothing again.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{
    create_user, faultline_bin, fresh_database, project_with_key, send_event, Api, ProjectKey,
    TestServer,
};
use crate::issues::wait_for_events;
use crate::receivers::Receiver;

fn exception(function: &str, n: u32) -> Value {
    json!({
        "event_id": format!("{n:032x}"),
        "platform": "python",
        "level": "error",
        "exception": {"values": [{
            "type": "KeyError",
            "value": format!("missing {n}"),
            "stacktrace": {"frames": [
                {"filename": "app.py", "function": function, "module": "app", "in_app": true, "lineno": 7}
            ]}
        }]},
        "tags": {"browser": "Firefox 120"},
    })
}

/// Waits until `receiver` got `count` requests at `path` (or the time is up).
pub(crate) async fn received(receiver: &Receiver, path: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        if receiver.seen_at(path).len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.seen_at(path).iter().map(|s| s.json()).collect()
}

pub(crate) fn first_seen_webhook(name: &str, url: &str, project_id: i64) -> Value {
    json!({
        "name": name,
        "enabled": true,
        "config": {"frequency": 0},
        "triggers": {"logicType": "any-short", "conditions": [
            {"type": "first_seen_event", "comparison": true, "conditionResult": true}]},
        "actionFilters": [{
            "logicType": "all",
            "conditions": [
                {"type": "level", "comparison": {"level": 40, "match": "gte"}, "conditionResult": true}
            ],
            "actions": [{"type": "webhook", "config": {"targetIdentifier": url}}],
        }],
        "detectorIds": [project_id.to_string()],
    })
}

#[tokio::test]
async fn a_first_seen_workflow_notifies_a_webhook_once_per_new_issue_signed_with_its_secret() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", "1"),
    ]);
    let token = create_user(&url, "oncall@example.test", false);
    let api = Api::new(&server, &token);
    let watched = project_with_key(&api, "acme", "backend").await;
    let other = api
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/team/projects/",
            Some(json!({"name": "frontend", "slug": "frontend"})),
        )
        .await;
    let receiver = Receiver::ok().await;
    let workflow = api
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/workflows/",
            Some(first_seen_webhook(
                "New issues",
                &receiver.url("/hook"),
                watched.project_id,
            )),
        )
        .await;
    let secret = workflow["actionFilters"][0]["actions"][0]["data"]["secret"]
        .as_str()
        .expect("the server makes a signing secret")
        .to_owned();
    let other_keys = api.get_ok("/api/0/projects/acme/frontend/keys/").await;
    let other_project = ProjectKey {
        project_id: other["id"].as_str().unwrap().parse().unwrap(),
        key: other_keys[0]["public"].as_str().unwrap().to_owned(),
        dsn: String::new(),
    };

    send_event(&server, &watched, &exception("checkout", 1)).await;
    send_event(&server, &watched, &exception("checkout", 2)).await;
    send_event(&server, &watched, &exception("refund", 3)).await;
    send_event(&server, &other_project, &exception("elsewhere", 4)).await;
    let bodies = received(&receiver, "/hook", 2).await;
    // Rebuilding every read model must not decide anything again.
    let replay = std::process::Command::new(faultline_bin())
        .args(["replay", "--all"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    // Time for a wrong third notification to arrive, if there were one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications")
        .fetch_one(&pool)
        .await
        .unwrap();
    let fired = api
        .get_ok(&format!(
            "/api/0/organizations/acme/workflows/{}/",
            workflow["id"].as_str().unwrap()
        ))
        .await;

    let seen = receiver.seen_at("/hook");
    assert_eq!(workflow["lastTriggered"], Value::Null);
    let last = fired["lastTriggered"].as_str().expect("it fired");
    assert!(last.starts_with("20") && last.ends_with('Z'), "{last}");
    assert!(replay.status.success(), "{replay:?}");
    assert_eq!(outbox, 2);
    assert_eq!(seen.len(), 2, "{bodies:?}");
    let mut titles: Vec<&str> = bodies
        .iter()
        .map(|b| b["data"]["issue"]["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 2);
    assert!(titles.iter().all(|t| t.starts_with("KeyError")));
    for request in &seen {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&request.body);
        let signature = hex::encode(mac.finalize().into_bytes());
        assert_eq!(request.header("x-servicehook-signature"), signature);
    }
    assert_eq!(
        bodies[0]["data"]["workflow"]["id"], workflow["id"],
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn a_disabled_workflow_never_fires_and_a_regression_workflow_fires_after_a_resolve() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", &url),
        ("FAULTLINE_ALLOW_PRIVATE_WEBHOOKS", "1"),
    ]);
    let token = create_user(&url, "oncall@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "acme", "backend").await;
    let receiver = Receiver::ok().await;
    let mut disabled = first_seen_webhook("Off", &receiver.url("/off"), project.project_id);
    disabled["enabled"] = json!(false);
    api.expect(
        201,
        "POST",
        "/api/0/organizations/acme/workflows/",
        Some(disabled),
    )
    .await;
    let mut regression = first_seen_webhook("Back", &receiver.url("/back"), project.project_id);
    regression["triggers"]["conditions"][0]["type"] = json!("regression_event");
    api.expect(
        201,
        "POST",
        "/api/0/organizations/acme/workflows/",
        Some(regression),
    )
    .await;

    send_event(&server, &project, &exception("checkout", 1)).await;
    // Ingestion answers once the event is in the log; the issue list follows it.
    let issues = wait_for_events(&api, "acme", 1).await;
    let issue_id = issues[0]["id"].as_str().unwrap().to_owned();
    let before_resolve = receiver.seen().len();
    api.expect(
        200,
        "PUT",
        &format!("/api/0/organizations/acme/issues/{issue_id}/"),
        Some(json!({"status": "resolved"})),
    )
    .await;
    send_event(&server, &project, &exception("checkout", 2)).await;
    let back = received(&receiver, "/back", 1).await;

    assert_eq!(before_resolve, 0);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["data"]["trigger"], "regression_event");
    assert!(receiver.seen_at("/off").is_empty());
}
