//! The organization audit log over HTTP, against a real server: what an owner's
//! set-up and an issue's workflow leave in it, its filters and pages, and who may
//! read it.
//!
//! Sentry's OpenAPI document (`../shared/sentry-openapi.json`) does not describe
//! `/audit-logs/`, so `openapi::assert_matches_sentry` cannot check it; the row's
//! keys are asserted here instead, and its actor against the member list's user
//! object (the same serializer).

use serde_json::{json, Value};

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, TestServer,
};
use crate::issue_workflow::wait_for;
use crate::issues::id;

const ACME_LOG: &str = "/api/0/organizations/acme/audit-logs/";

fn events_of(body: &Value) -> Vec<&str> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["event"].as_str().unwrap())
        .collect()
}

fn ids_of(body: &Value) -> Vec<String> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET url` with `token`: the body and the `Link` header.
async fn get_with_link(url: &str, token: &str) -> (Value, String) {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    (response.json().await.unwrap(), link)
}

/// The URL of the next page, when the `Link` header says there are results there.
fn next_page(link: &str) -> Option<String> {
    link.split(", <")
        .find(|part| part.contains("rel=\"next\"; results=\"true\""))
        .map(|part| {
            part.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        })
}

#[tokio::test]
async fn the_audit_log_lists_an_orgs_changes_newest_first_to_owners_only() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner_token = create_user(&url, "owner@acme.test", false);
    let member_token = create_user(&url, "member@acme.test", false);
    let outsider_token = create_user(&url, "outsider@globex.test", false);
    let owner = Api::new(&server, &owner_token);
    let member = Api::new(&server, &member_token);
    let outsider = Api::new(&server, &outsider_token);
    let owner_id = owner.get_ok("/api/0/").await["user"]["id"].clone();
    let member_id = member.get_ok("/api/0/").await["user"]["id"].clone();

    // The owner sets up org, team, project (with its default key), one more key,
    // and a member; another user has an organization of their own.
    let project = project_with_key(&owner, "acme", "backend").await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/projects/acme/backend/keys/",
            Some(json!({"name": "ci"})),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "member@acme.test", "orgRole": "member"})),
        )
        .await;
    project_with_key(&outsider, "globex", "web").await;

    // An event opens an issue; the owner resolves and assigns it, the member
    // unresolves it.
    let envelope = event_envelope(&json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "message": "disk full",
        "level": "error",
        "platform": "python",
    }));
    let sent = reqwest::Client::new()
        .post(server.at(&format!("/api/{}/envelope/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    let issues = wait_for(&owner, "/api/0/organizations/acme/issues/?query=", |list| {
        !list.as_array().unwrap().is_empty()
    })
    .await;
    let issue = id(&issues[0]);
    let short_id = issues[0]["shortId"].as_str().unwrap().to_owned();
    let issue_path = format!("/api/0/organizations/acme/issues/{issue}/");
    owner
        .expect(200, "PUT", &issue_path, Some(json!({"status": "resolved"})))
        .await;
    owner
        .expect(
            200,
            "PUT",
            &issue_path,
            Some(json!({"assignedTo": format!("user:{}", owner_id.as_str().unwrap())})),
        )
        .await;
    member
        .expect(
            200,
            "PUT",
            &issue_path,
            Some(json!({"status": "unresolved"})),
        )
        .await;

    // Newest first; ingestion left no row.
    let log = owner.get_ok(ACME_LOG).await;
    assert_eq!(
        events_of(&log),
        vec![
            "issue.unresolve",
            "issue.assign",
            "issue.resolve",
            "member.add",
            "projectkey.create",
            "projectkey.create",
            "project.create",
            "member.join-team",
            "team.create",
            "member.add",
            "org.create",
        ]
    );
    let rows = log["rows"].as_array().unwrap();
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "actor",
            "data",
            "dateCreated",
            "event",
            "id",
            "ipAddress",
            "note",
            "targetObject",
            "targetUser"
        ]
    );
    assert_eq!(rows[0]["actor"]["id"], member_id);
    assert_eq!(rows[0]["actor"]["email"], json!("member@acme.test"));
    assert_eq!(
        rows[0]["note"],
        json!(format!("unresolved issue {short_id}"))
    );
    assert_eq!(rows[1]["actor"]["id"], owner_id);
    assert_eq!(rows[1]["targetObject"], json!(issue));
    assert_eq!(rows[1]["targetUser"]["id"], owner_id);
    assert_eq!(
        rows[1]["note"],
        json!(format!("assigned issue {short_id} to owner@acme.test"))
    );
    assert_eq!(rows[2]["note"], json!(format!("resolved issue {short_id}")));
    assert_eq!(rows[2]["ipAddress"], json!("127.0.0.1"));
    assert_eq!(rows[3]["targetUser"]["id"], member_id);
    assert_eq!(rows[3]["note"], json!("added member member@acme.test"));
    assert_eq!(rows[6]["targetObject"], json!(project.project_id));
    assert_eq!(rows[6]["note"], json!("created project backend"));
    assert_eq!(rows[6]["data"]["slug"], json!("backend"));
    // Creating a team puts its creator on it, as in Sentry.
    assert_eq!(rows[7]["note"], json!("added owner@acme.test to team team"));
    assert_eq!(rows[10]["note"], json!("created the organization"));
    assert!(log["options"]
        .as_array()
        .unwrap()
        .contains(&json!("project.create")));
    // The actor is the user object the member list shows.
    let members = owner.get_ok("/api/0/organizations/acme/members/").await;
    let owner_member = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == json!("owner@acme.test"))
        .unwrap();
    assert_eq!(rows[1]["actor"], owner_member["user"]);

    // Filters.
    let created = owner
        .get_ok(&format!("{ACME_LOG}?event=project.create"))
        .await;
    assert_eq!(events_of(&created), vec!["project.create"]);
    let by_member = owner
        .get_ok(&format!("{ACME_LOG}?actor={}", member_id.as_str().unwrap()))
        .await;
    assert_eq!(events_of(&by_member), vec!["issue.unresolve"]);
    let by_owner = owner
        .get_ok(&format!("{ACME_LOG}?actor={}", owner_id.as_str().unwrap()))
        .await;
    assert_eq!(ids_of(&by_owner), ids_of(&log)[1..].to_vec());
    owner
        .expect(400, "GET", &format!("{ACME_LOG}?actor=someone"), None)
        .await;

    // Pages of 3 walk every row once, in order.
    let mut walked = Vec::new();
    let mut pages = 0;
    let mut next = Some(server.at(&format!("{ACME_LOG}?per_page=3")));
    while let Some(url) = next {
        let (page, link) = get_with_link(&url, &owner_token).await;
        walked.extend(ids_of(&page));
        pages += 1;
        next = next_page(&link);
    }
    assert_eq!(walked, ids_of(&log));
    assert_eq!(pages, 4);

    // A member may not read it; another organization's owner does not see it, and
    // sees only their own organization's rows.
    member.expect(403, "GET", ACME_LOG, None).await;
    outsider.expect(404, "GET", ACME_LOG, None).await;
    let globex = outsider
        .get_ok("/api/0/organizations/globex/audit-logs/")
        .await;
    assert_eq!(
        events_of(&globex),
        vec![
            "projectkey.create",
            "project.create",
            "member.join-team",
            "team.create",
            "member.add",
            "org.create"
        ]
    );
}
