//! Environments: the ones events and deploys named, listed by organization and
//! project in Sentry's shapes, hidden and shown again per project (recorded and
//! audited), another organization's answering 404.

use serde_json::{json, Value};

use crate::helpers::{
    create_user, fresh_database, ingest_tally, project_with_key, send_event, Api, TestServer,
};
use crate::openapi::assert_matches_sentry;

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn environments_come_from_events_and_deploys_and_hide_per_project() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "dev@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "shop", "backend").await;
    for environment in ["production", "staging"] {
        let event = json!({
            "event_id": uuid::Uuid::new_v4().simple().to_string(),
            "environment": environment,
            "exception": {"values": [{"type": "EnvError", "value": environment}]},
        });
        send_event(&server, &project, &event).await;
    }
    ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    api.expect(
        201,
        "POST",
        "/api/0/projects/shop/backend/releases/",
        Some(json!({"version": "shop@1.0.0"})),
    )
    .await;
    api.expect(
        201,
        "POST",
        "/api/0/organizations/shop/releases/shop@1.0.0/deploys/",
        Some(json!({"environment": "canary"})),
    )
    .await;
    let base = "/api/0/projects/shop/backend/environments/";

    let in_org = api.get_ok("/api/0/organizations/shop/environments/").await;
    let in_project = api.get_ok(base).await;
    let hidden = api
        .expect(
            200,
            "PUT",
            &format!("{base}staging/"),
            Some(json!({"isHidden": true})),
        )
        .await;
    let visible = api.get_ok(base).await;
    let only_hidden = api.get_ok(&format!("{base}?visibility=hidden")).await;
    let org_visible = api.get_ok("/api/0/organizations/shop/environments/").await;
    let shown = api
        .expect(
            200,
            "PUT",
            base,
            Some(json!({"environmentNames": ["staging", "canary"], "isHidden": false})),
        )
        .await;
    let detail = api.get_ok(&format!("{base}staging/")).await;
    let unknown = api.call("GET", &format!("{base}nowhere/"), None).await.0;
    let unknown_put = api
        .call(
            "PUT",
            &format!("{base}nowhere/"),
            Some(json!({"isHidden": true})),
        )
        .await
        .0;
    let bad = api
        .expect(400, "PUT", &format!("{base}staging/"), Some(json!({})))
        .await;
    let audit = api
        .get_ok("/api/0/organizations/shop/audit-logs/?event=project.edit")
        .await;
    let outsider = Api::new(&server, &create_user(&url, "other@example.test", false));
    project_with_key(&outsider, "other", "app").await;
    let across = outsider.call("GET", base, None).await.0;

    assert_eq!(names(&in_org), ["canary", "production", "staging"]);
    assert_eq!(names(&in_project), ["canary", "production", "staging"]);
    assert_eq!(hidden["isHidden"], true);
    assert_eq!(names(&visible), ["canary", "production"]);
    assert_eq!(names(&only_hidden), ["staging"]);
    assert_eq!(names(&org_visible), ["canary", "production"]);
    assert_eq!(names(&shown), ["canary", "staging"]);
    assert_eq!(detail["isHidden"], false);
    assert_eq!(detail["id"], in_project[2]["id"]);
    assert_eq!([unknown, unknown_put, across], [404, 404, 404]);
    assert_eq!(bad, json!({"isHidden": ["This field is required."]}));
    let notes: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["note"].as_str().unwrap())
        .filter(|note| note.contains("environment"))
        .collect();
    assert_eq!(notes.len(), 2, "{audit}");
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/environments/",
        200,
        &in_org,
    );
    assert_matches_sentry(
        "get",
        "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/environments/",
        200,
        &in_project,
    );
    assert_matches_sentry(
        "get",
        "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/environments/{environment}/",
        200,
        &detail,
    );
}
