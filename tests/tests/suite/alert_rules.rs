//! Alert workflows, error detectors and service hooks over HTTP, against a real
//! server: Sentry's shapes (checked against its OpenAPI document where it has
//! them), per-field 400s, another organization's ids answering 404, the audit log
//! rows, and `faultline verify` after a workload of changes.

use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::openapi::assert_matches_sentry;
use crate::replay::{faultline, stdout};

const WORKFLOWS: &str = "/api/0/organizations/{organization_id_or_slug}/workflows/";
const WORKFLOW: &str = "/api/0/organizations/{organization_id_or_slug}/workflows/{workflow_id}/";
const DETECTORS: &str = "/api/0/organizations/{organization_id_or_slug}/detectors/";
const DETECTOR: &str = "/api/0/organizations/{organization_id_or_slug}/detectors/{detector_id}/";
const HOOKS: &str = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/hooks/";
const HOOK: &str =
    "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/hooks/{hook_id}/";

/// A workflow on `detector`: first seen or regression, error level and up, an email
/// to the issue's owners and a webhook without a secret.
pub(crate) fn new_issue_alert(name: &str, detector: i64) -> Value {
    json!({
        "name": name,
        "environment": "production",
        "config": {"frequency": 60},
        "detectorIds": [detector.to_string()],
        "triggers": {"logicType": "any-short", "conditions": [
            {"type": "first_seen_event", "comparison": true, "conditionResult": true},
            {"type": "regression_event", "comparison": true, "conditionResult": true}]},
        "actionFilters": [{"logicType": "all",
            "conditions": [{"type": "level", "comparison": {"level": 40, "match": "gte"},
                            "conditionResult": true}],
            "actions": [
                {"type": "email", "config": {"targetType": "issue_owners"},
                 "data": {"fallthroughType": "ActiveMembers"}},
                {"type": "webhook", "config": {"targetIdentifier": "https://hooks.example.com/a"}}]}],
    })
}

fn webhook_secret(workflow: &Value) -> &str {
    workflow["actionFilters"][0]["actions"][1]["data"]["secret"]
        .as_str()
        .unwrap()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect()
}

/// Organization `acme` with projects `backend` and `web`; returns their ids.
async fn acme(api: &Api) -> (i64, i64) {
    let backend = project_with_key(api, "acme", "backend").await.project_id;
    let web = api
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/team/projects/",
            Some(json!({"name": "web", "slug": "web"})),
        )
        .await;
    (backend, web["id"].as_str().unwrap().parse().unwrap())
}

/// Workflow `alert` in `acme` and a service hook on `event.created` to `hook_url` in
/// its project `backend`, as created.
async fn workflow_and_hook(api: &Api, alert: Value, hook_url: &str) -> (Value, Value) {
    let workflow = api
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/workflows/",
            Some(alert),
        )
        .await;
    let hook = api
        .expect(
            201,
            "POST",
            "/api/0/projects/acme/backend/hooks/",
            Some(json!({"url": hook_url, "events": ["event.created"]})),
        )
        .await;
    (workflow, hook)
}

/// A few of every change an alert rule or a service hook can have, in `acme`:
/// workflows created, renamed, disabled in bulk and deleted, hooks registered,
/// changed and removed.
pub(crate) async fn alert_rule_workload(api: &Api, backend: i64) {
    let base = "/api/0/organizations/acme/workflows/";
    let mut created = Vec::new();
    for n in 0..4 {
        let workflow = api
            .expect(
                201,
                "POST",
                base,
                Some(new_issue_alert(&format!("alert {n}"), backend)),
            )
            .await;
        created.push(workflow["id"].as_str().unwrap().to_owned());
    }
    api.expect(
        200,
        "PUT",
        &format!("{base}{}/", created[0]),
        Some(json!({"name": "renamed", "detectorIds": []})),
    )
    .await;
    api.expect(
        200,
        "PUT",
        &format!("{base}?id={}&id={}", created[1], created[2]),
        Some(json!({"enabled": false})),
    )
    .await;
    api.expect(204, "DELETE", &format!("{base}{}/", created[3]), None)
        .await;
    let hooks = "/api/0/projects/acme/backend/hooks/";
    let mut hook_ids = Vec::new();
    for n in 0..2 {
        let hook = api
            .expect(
                201,
                "POST",
                hooks,
                Some(
                    json!({"url": format!("https://example.com/{n}"), "events": ["event.created"]}),
                ),
            )
            .await;
        hook_ids.push(hook["id"].as_str().unwrap().to_owned());
    }
    api.expect(
        200,
        "PUT",
        &format!("{hooks}{}/", hook_ids[0]),
        Some(json!({"events": ["event.alert", "event.created"]})),
    )
    .await;
    api.expect(204, "DELETE", &format!("{hooks}{}/", hook_ids[1]), None)
        .await;
}

#[tokio::test]
async fn workflows_are_created_listed_changed_and_deleted_in_sentrys_shapes() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let (backend, web) = acme(&owner).await;
    let base = "/api/0/organizations/acme/workflows/";

    let created = owner
        .expect(
            201,
            "POST",
            base,
            Some(new_issue_alert("New errors", backend)),
        )
        .await;
    assert_matches_sentry("post", WORKFLOWS, 201, &created);
    let id = created["id"].as_str().unwrap().to_owned();
    let detail = format!("{base}{id}/");
    assert_eq!(created["detectorIds"], json!([backend.to_string()]));
    assert_eq!(created["config"], json!({"frequency": 60}));
    assert_eq!(
        created["triggers"]["conditions"][1]["type"],
        "regression_event"
    );
    let secret = webhook_secret(&created).to_owned();
    assert_eq!(secret.len(), 64, "the server makes the webhook's secret");

    let fetched = owner.get_ok(&detail).await;
    assert_matches_sentry("get", WORKFLOW, 200, &fetched);
    assert_eq!(fetched, created);
    let listed = owner.get_ok(base).await;
    assert_matches_sentry("get", WORKFLOWS, 200, &listed);
    assert_eq!(ids(&listed), [id.as_str()]);

    // A whole definition without the webhook's secret keeps the secret it had.
    let mut renamed = new_issue_alert("Renamed errors", backend);
    renamed["detectorIds"] = json!([backend, web]);
    let updated = owner.expect(200, "PUT", &detail, Some(renamed)).await;
    assert_matches_sentry("put", WORKFLOW, 200, &updated);
    assert_eq!(updated["name"], "Renamed errors");
    assert_eq!(webhook_secret(&updated), secret);
    assert_eq!(updated["dateCreated"], created["dateCreated"]);

    let second = owner
        .expect(201, "POST", base, Some(new_issue_alert("Another", web)))
        .await;
    let second_id = second["id"].as_str().unwrap();
    let both = [id.as_str(), second_id];
    assert_eq!(
        ids(&owner.get_ok(&format!("{base}?project=backend")).await),
        [id.as_str()]
    );
    assert_eq!(
        ids(&owner.get_ok(&format!("{base}?project={web}")).await),
        both
    );
    assert_eq!(
        ids(&owner.get_ok(&format!("{base}?query=RENAMED")).await),
        [id.as_str()]
    );
    assert_eq!(
        ids(&owner.get_ok(&format!("{base}?sortBy=-id")).await),
        [second_id, &id]
    );
    owner
        .expect(400, "GET", &format!("{base}?sortBy=bogus"), None)
        .await;

    let detectors = owner
        .get_ok(&format!(
            "/api/0/organizations/acme/detectors/?project={web}"
        ))
        .await;
    assert_matches_sentry("get", DETECTORS, 200, &detectors);
    assert_eq!(detectors[0]["id"], web.to_string());
    assert_eq!(detectors[0]["type"], "error");
    assert_eq!(detectors[0]["workflowIds"], json!(both));
    let detector = owner
        .get_ok(&format!("/api/0/organizations/acme/detectors/{backend}/"))
        .await;
    assert_matches_sentry("get", DETECTOR, 200, &detector);
    assert_eq!(detector["workflowIds"], json!([id]));
    let refused = owner
        .expect(
            400,
            "PUT",
            &format!("/api/0/organizations/acme/detectors/{backend}/"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("cannot be changed"));

    let disabled = owner
        .expect(
            200,
            "PUT",
            &format!("{base}?id={id}&id={second_id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_matches_sentry("put", WORKFLOWS, 200, &disabled);
    assert_eq!(disabled[0]["enabled"], false);
    assert_eq!(disabled[1]["enabled"], false);
    owner
        .expect(400, "PUT", base, Some(json!({"enabled": true})))
        .await;

    owner
        .expect(204, "DELETE", &format!("{base}?id={second_id}"), None)
        .await;
    owner.expect(204, "DELETE", &detail, None).await;
    owner.expect(404, "GET", &detail, None).await;
    assert_eq!(owner.get_ok(base).await, json!([]));
}

#[tokio::test]
async fn bad_workflow_bodies_are_answered_with_per_field_errors() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let outsider = Api::new(&server, &create_user(&url, "owner@globex.test", false));
    let (backend, _) = acme(&owner).await;
    let globex = project_with_key(&outsider, "globex", "other")
        .await
        .project_id;
    let base = "/api/0/organizations/acme/workflows/";
    let post = |body: Value| owner.expect(400, "POST", base, Some(body));

    let mut unknown_trigger = new_issue_alert("n", backend);
    unknown_trigger["triggers"]["conditions"][0]["type"] = json!("new_high_priority_issue");
    let mut bad_url = new_issue_alert("n", backend);
    bad_url["actionFilters"][0]["actions"][1]["config"]["targetIdentifier"] = json!("ftp://x");
    let elsewhere = new_issue_alert("n", globex);
    let mut nameless = new_issue_alert("n", backend);
    nameless.as_object_mut().unwrap().remove("name");
    nameless["enabled"] = json!("yes");

    let answer = post(unknown_trigger).await;
    assert!(answer["triggers"][0]
        .as_str()
        .unwrap()
        .contains("new_high_priority_issue"));
    let answer = post(bad_url).await;
    assert_eq!(
        answer,
        json!({"actionFilters": ["targetIdentifier must be an http or https URL"]})
    );
    let answer = post(elsewhere).await;
    assert_eq!(
        answer,
        json!({"detectorIds": [format!("Detector {globex} does not exist in this organization.")]})
    );
    let answer = post(nameless).await;
    assert_eq!(
        answer,
        json!({"name": ["This field is required."], "enabled": ["Must be a valid boolean."]})
    );
    let answer = post(json!({"name": "n", "config": {"frequency": 50_000}})).await;
    assert_eq!(
        answer,
        json!({"config": ["frequency must be between 0 and 43200 minutes"]})
    );
    assert_eq!(owner.get_ok(base).await, json!([]));
}

#[tokio::test]
async fn service_hooks_are_registered_changed_and_removed_in_sentrys_shape() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    acme(&owner).await;
    let base = "/api/0/projects/acme/backend/hooks/";

    let created = owner
        .expect(
            201,
            "POST",
            base,
            Some(json!({"url": "https://empowerplant.io/sentry-hook",
                        "events": ["event.created", "event.alert"]})),
        )
        .await;
    assert_matches_sentry("post", HOOKS, 201, &created);
    assert_eq!(created["events"], json!(["event.alert", "event.created"]));
    assert_eq!(created["status"], "active");
    assert_eq!(created["secret"].as_str().unwrap().len(), 64);
    let detail = format!("{base}{}/", created["id"].as_str().unwrap());

    let listed = owner.get_ok(base).await;
    assert_matches_sentry("get", HOOKS, 200, &listed);
    assert_eq!(listed, json!([created]));
    assert!(owner.get_ok("/api/0/projects/acme/web/hooks/").await == json!([]));
    let updated = owner
        .expect(
            200,
            "PUT",
            &detail,
            Some(json!({"events": ["event.alert"]})),
        )
        .await;
    assert_matches_sentry("put", HOOK, 200, &updated);
    assert_eq!(updated["url"], created["url"]);
    assert_eq!(updated["secret"], created["secret"]);
    assert_eq!(owner.get_ok(&detail).await, updated);

    let bad_url = owner
        .expect(
            400,
            "POST",
            base,
            Some(json!({"url": "ftp://x", "events": []})),
        )
        .await;
    assert_eq!(bad_url, json!({"url": ["Enter a valid URL."]}));
    let bad_event = owner
        .expect(
            400,
            "PUT",
            &detail,
            Some(json!({"events": ["event.created", "issue.created"]})),
        )
        .await;
    assert_eq!(
        bad_event,
        json!({"events": ["Invalid event name: issue.created"]})
    );
    let missing = owner.expect(400, "POST", base, Some(json!({}))).await;
    assert_eq!(
        missing,
        json!({"url": ["This field is required."], "events": ["This field is required."]})
    );

    owner.expect(204, "DELETE", &detail, None).await;
    owner.expect(404, "GET", &detail, None).await;
}

#[tokio::test]
async fn another_organizations_workflows_detectors_and_hooks_answer_404() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let outsider = Api::new(&server, &create_user(&url, "owner@globex.test", false));
    let (backend, _) = acme(&owner).await;
    project_with_key(&outsider, "globex", "backend").await;
    let (workflow, hook) = workflow_and_hook(
        &owner,
        new_issue_alert("mine", backend),
        "https://example.com/",
    )
    .await;
    let (workflow, hook) = (
        workflow["id"].as_str().unwrap(),
        hook["id"].as_str().unwrap(),
    );

    for (method, path) in [
        (
            "GET",
            format!("/api/0/organizations/globex/workflows/{workflow}/"),
        ),
        (
            "PUT",
            format!("/api/0/organizations/globex/workflows/{workflow}/"),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/globex/workflows/{workflow}/"),
        ),
        (
            "GET",
            format!("/api/0/organizations/globex/detectors/{backend}/"),
        ),
        (
            "PUT",
            format!("/api/0/organizations/globex/detectors/{backend}/"),
        ),
        (
            "GET",
            format!("/api/0/projects/globex/backend/hooks/{hook}/"),
        ),
        (
            "PUT",
            format!("/api/0/projects/globex/backend/hooks/{hook}/"),
        ),
        (
            "DELETE",
            format!("/api/0/projects/globex/backend/hooks/{hook}/"),
        ),
        ("GET", "/api/0/organizations/acme/workflows/".to_owned()),
        ("GET", "/api/0/projects/acme/backend/hooks/".to_owned()),
    ] {
        let body = matches!(method, "PUT").then(|| json!({"name": "pwned", "enabled": false}));
        let (status, answer) = outsider.call(method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    let detectors = outsider
        .get_ok(&format!(
            "/api/0/organizations/globex/detectors/?id={backend}"
        ))
        .await;
    assert_eq!(detectors, json!([]));
    // The globex workflow list and bulk changes never reach acme's workflow.
    outsider
        .expect(
            200,
            "PUT",
            &format!("/api/0/organizations/globex/workflows/?id={workflow}"),
            Some(json!({"enabled": false})),
        )
        .await;
    let mine = owner
        .get_ok(&format!("/api/0/organizations/acme/workflows/{workflow}/"))
        .await;
    assert_eq!(mine["enabled"], true);
}

#[tokio::test]
async fn changes_are_audited_and_verify_rebuilds_identical_read_models() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let (backend, _) = acme(&owner).await;

    alert_rule_workload(&owner, backend).await;

    let log = owner
        .get_ok("/api/0/organizations/acme/audit-logs/?per_page=100")
        .await;
    let mut counts = std::collections::BTreeMap::new();
    for row in log["rows"].as_array().unwrap() {
        *counts.entry(row["event"].as_str().unwrap()).or_insert(0) += 1;
    }
    let alert_rows: Vec<(&str, i32)> = counts
        .into_iter()
        .filter(|(event, _)| event.starts_with("alertrule") || event.starts_with("servicehook"))
        .collect();
    assert_eq!(
        alert_rows,
        [
            ("alertrule.add", 4),
            ("alertrule.edit", 3),
            ("alertrule.remove", 1),
            ("servicehook.add", 2),
            ("servicehook.edit", 1),
            ("servicehook.remove", 1),
        ]
    );
    let removed = owner
        .get_ok("/api/0/organizations/acme/audit-logs/?event=alertrule.remove")
        .await;
    assert_eq!(removed["rows"][0]["note"], "removed alert rule \"alert 3\"");
    let hooks = owner.get_ok("/api/0/projects/acme/backend/hooks/").await;
    let secret = hooks[0]["secret"].as_str().unwrap();
    assert!(
        !log.to_string().contains(secret),
        "no audit row holds a hook's secret"
    );

    let verified = faultline(
        &url,
        &[
            "verify",
            "--projection",
            "alert_rules",
            "--projection",
            "audit_log",
        ],
    )
    .await;
    let out = stdout(&verified);
    assert!(verified.status.success(), "{out}");
    assert!(
        out.contains("alert_rules.workflows: identical (3 rows)"),
        "{out}"
    );
    assert!(
        out.contains("alert_rules.service_hooks: identical (1 rows)"),
        "{out}"
    );
    assert!(
        out.contains("audit_log.audit_workflows: identical"),
        "{out}"
    );
}

/// The rules' events as the alerting reactor folds them: a workflow and a service
/// hook made over the API put their rows into the outbox when a new issue appears
/// (delivery itself is `notifications.rs`'s; here the loopback target is refused).
#[tokio::test]
async fn a_workflow_and_a_hook_made_over_the_api_fire_on_a_new_issue() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let project = project_with_key(&owner, "acme", "backend").await;
    let mut alert = new_issue_alert("New errors", project.project_id);
    alert["environment"] = Value::Null;
    let (workflow, hook) = workflow_and_hook(&owner, alert, "http://127.0.0.1:9/hook").await;

    let sent = reqwest::Client::new()
        .post(server.at(&format!(
            "/api/{}/store/?sentry_key={}",
            project.project_id, project.key
        )))
        .json(&json!({"level": "error", "platform": "python", "message": "boom"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let rows: Vec<OutboxRow> = loop {
        let rows = sqlx::query_as(
            "SELECT workflow_id, hook_id, channel, secret FROM notifications ORDER BY channel",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        if rows.len() >= 3 || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let expected: Vec<OutboxRow> = vec![
        (text(&workflow["id"]), None, "email".into(), None),
        (
            None,
            text(&hook["id"]),
            "service_hook".into(),
            text(&hook["secret"]),
        ),
        (
            text(&workflow["id"]),
            None,
            "webhook".into(),
            Some(webhook_secret(&workflow).to_owned()),
        ),
    ];
    assert_eq!(rows, expected, "{}", server.logs());
}

/// An outbox row's workflow, hook, channel and secret.
type OutboxRow = (Option<String>, Option<String>, String, Option<String>);
