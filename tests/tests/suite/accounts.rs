//! Accounts over HTTP: roles and scopes, cross-organization isolation, slug races.

use serde_json::json;

use crate::helpers::{create_user, fresh_database, Api, TestServer};
use crate::openapi::assert_matches_sentry;

/// An organization `acme` owned by `owner`, with a manager, an admin and a member,
/// and a team `backend`.
struct Acme {
    server: TestServer,
    url: String,
    owner: Api,
    manager: Api,
    admin: Api,
    member: Api,
}

async fn acme() -> Acme {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
    let manager = Api::new(&server, &create_user(&url, "manager@acme.test", false));
    let admin = Api::new(&server, &create_user(&url, "admin@acme.test", false));
    let member = Api::new(&server, &create_user(&url, "member@acme.test", false));
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({"name": "Acme", "slug": "acme"})),
        )
        .await;
    owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "backend"})),
        )
        .await;
    for (email, role) in [
        ("manager@acme.test", "manager"),
        ("admin@acme.test", "admin"),
        ("member@acme.test", "member"),
    ] {
        owner
            .expect(
                201,
                "POST",
                "/api/0/organizations/acme/members/",
                Some(json!({"email": email, "orgRole": role, "teams": ["backend"]})),
            )
            .await;
    }
    Acme {
        server,
        url,
        owner,
        manager,
        admin,
        member,
    }
}

#[tokio::test]
async fn each_role_gets_the_status_its_sentry_scopes_give() {
    let acme = acme().await;
    let roles = [
        ("owner", &acme.owner),
        ("manager", &acme.manager),
        ("admin", &acme.admin),
        ("member", &acme.member),
    ];
    // (method, path with {role}, body, expected status for owner, manager, admin, member)
    let matrix: Vec<(&str, &str, Option<serde_json::Value>, [u16; 4])> = vec![
        (
            "GET",
            "/api/0/organizations/acme/",
            None,
            [200, 200, 200, 200],
        ),
        (
            "PUT",
            "/api/0/organizations/acme/",
            Some(json!({"name": "Acme"})),
            [200, 200, 403, 403],
        ),
        (
            "GET",
            "/api/0/organizations/acme/teams/",
            None,
            [200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "team-{role}"})),
            [201, 201, 201, 403],
        ),
        (
            "GET",
            "/api/0/teams/acme/backend/",
            None,
            [200, 200, 200, 200],
        ),
        (
            "PUT",
            "/api/0/teams/acme/backend/",
            Some(json!({"name": "Backend"})),
            [200, 200, 200, 403],
        ),
        (
            "GET",
            "/api/0/organizations/acme/members/",
            None,
            [200, 200, 200, 200],
        ),
        (
            "GET",
            "/api/0/organizations/acme/members/me/",
            None,
            [200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "invited-by-{role}@acme.test", "orgRole": "member"})),
            [201, 201, 201, 201],
        ),
        (
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "owner-by-{role}@acme.test", "orgRole": "owner"})),
            [201, 400, 400, 400],
        ),
    ];
    let mut mismatches = Vec::new();
    for (method, path, body, expected) in &matrix {
        for ((role, api), want) in roles.iter().zip(expected) {
            let body = body
                .as_ref()
                .map(|b| serde_json::from_str(&b.to_string().replace("{role}", role)).unwrap());
            let (got, response) = api.call(method, path, body).await;
            if got != *want {
                mismatches.push(format!(
                    "{role} {method} {path}: got {got}, want {want}: {response}"
                ));
            }
        }
    }
    acme.owner
        .expect(
            201,
            "POST",
            "/api/0/teams/acme/backend/projects/",
            Some(json!({"name": "Keep"})),
        )
        .await;
    let (member_delete, _) = acme
        .member
        .call("DELETE", "/api/0/projects/acme/keep/", None)
        .await;
    if member_delete != 403 {
        mismatches.push(format!(
            "member DELETE /api/0/projects/acme/keep/: got {member_delete}, want 403"
        ));
    }
    for api in [&acme.member, &acme.admin, &acme.manager] {
        let (got, response) = api.call("DELETE", "/api/0/organizations/acme/", None).await;
        if got != 403 {
            mismatches.push(format!(
                "DELETE /api/0/organizations/acme/: got {got}, want 403: {response}"
            ));
        }
    }
    let (got, _) = acme
        .owner
        .call("DELETE", "/api/0/organizations/acme/", None)
        .await;

    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(got, 202);
}

#[tokio::test]
async fn deleting_a_team_takes_team_admin() {
    let acme = acme().await;
    for slug in ["doomed-1", "doomed-2", "doomed-3", "doomed-4"] {
        acme.owner
            .expect(
                201,
                "POST",
                "/api/0/organizations/acme/teams/",
                Some(json!({"slug": slug})),
            )
            .await;
    }

    acme.member
        .expect(403, "DELETE", "/api/0/teams/acme/doomed-1/", None)
        .await;
    acme.admin
        .expect(204, "DELETE", "/api/0/teams/acme/doomed-2/", None)
        .await;
    acme.manager
        .expect(204, "DELETE", "/api/0/teams/acme/doomed-3/", None)
        .await;
    acme.owner
        .expect(204, "DELETE", "/api/0/teams/acme/doomed-4/", None)
        .await;

    acme.owner
        .expect(200, "GET", "/api/0/teams/acme/doomed-1/", None)
        .await;
    acme.owner
        .expect(404, "GET", "/api/0/teams/acme/doomed-4/", None)
        .await;
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once_and_the_last_owner_stays() {
    let acme = acme().await;
    let members = acme
        .owner
        .get_ok("/api/0/organizations/acme/members/")
        .await;
    let member_id = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "member@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner_id = acme
        .owner
        .get_ok("/api/0/organizations/acme/members/me/")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    acme.member
        .expect(
            400,
            "DELETE",
            &format!("/api/0/organizations/acme/members/{owner_id}/"),
            None,
        )
        .await;
    acme.owner
        .expect(
            204,
            "DELETE",
            &format!("/api/0/organizations/acme/members/{member_id}/"),
            None,
        )
        .await;
    acme.member
        .expect(404, "GET", "/api/0/organizations/acme/", None)
        .await;
    let last_owner = acme
        .owner
        .expect(
            403,
            "DELETE",
            &format!("/api/0/organizations/acme/members/{owner_id}/"),
            None,
        )
        .await;
    assert_eq!(
        last_owner["detail"],
        "You cannot remove the only remaining owner of the organization."
    );
    acme.owner
        .expect(202, "DELETE", "/api/0/organizations/acme/", None)
        .await;
    acme.owner
        .expect(404, "GET", "/api/0/organizations/acme/", None)
        .await;
}

#[tokio::test]
async fn members_join_and_leave_teams() {
    let acme = acme().await;
    acme.owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "frontend"})),
        )
        .await;
    let me = acme
        .member
        .get_ok("/api/0/organizations/acme/members/me/")
        .await;
    let me_id = me["id"].as_str().unwrap();
    let path = format!("/api/0/organizations/acme/members/{me_id}/teams/frontend/");

    let joined = acme.member.expect(201, "POST", &path, None).await;
    acme.member.expect(204, "POST", &path, None).await;
    let after_join = acme
        .member
        .get_ok("/api/0/organizations/acme/members/me/")
        .await;
    let left = acme.member.expect(200, "DELETE", &path, None).await;
    let after_leave = acme
        .member
        .get_ok("/api/0/organizations/acme/members/me/")
        .await;

    assert_eq!(joined["isMember"], true);
    assert_eq!(
        joined["memberCount"], 2,
        "the owner who created it, and the member"
    );
    assert_eq!(after_join["teams"], json!(["backend", "frontend"]));
    assert_eq!(left["isMember"], false);
    assert_eq!(after_leave["teams"], json!(["backend"]));
}

#[tokio::test]
async fn another_organizations_resources_answer_404_and_stay_unchanged() {
    let acme = acme().await;
    let outsider = Api::new(
        &acme.server,
        &create_user(&acme.url, "boss@globex.test", false),
    );
    outsider
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({"name": "Globex", "slug": "globex"})),
        )
        .await;
    let member_id = acme
        .owner
        .get_ok("/api/0/organizations/acme/members/me/")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acme_id = acme.owner.get_ok("/api/0/organizations/acme/").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = [
        acme.owner.get_ok("/api/0/organizations/acme/").await,
        acme.owner.get_ok("/api/0/organizations/acme/teams/").await,
        acme.owner
            .get_ok("/api/0/organizations/acme/members/")
            .await,
    ];
    let member = format!("/api/0/organizations/acme/members/{member_id}/");
    let member_team = format!("{member}teams/backend/");
    let by_id = format!("/api/0/organizations/{acme_id}/");
    let probes: Vec<(&str, &str, Option<serde_json::Value>)> = vec![
        ("GET", "/api/0/organizations/acme/", None),
        ("GET", &by_id, None),
        (
            "PUT",
            "/api/0/organizations/acme/",
            Some(json!({"name": "Pwned"})),
        ),
        ("DELETE", "/api/0/organizations/acme/", None),
        ("GET", "/api/0/organizations/acme/teams/", None),
        (
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "intruders"})),
        ),
        ("GET", "/api/0/teams/acme/backend/", None),
        (
            "PUT",
            "/api/0/teams/acme/backend/",
            Some(json!({"name": "Pwned"})),
        ),
        ("DELETE", "/api/0/teams/acme/backend/", None),
        ("GET", "/api/0/organizations/acme/members/", None),
        (
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "spy@globex.test"})),
        ),
        ("GET", &member, None),
        ("PUT", &member, Some(json!({"orgRole": "member"}))),
        ("DELETE", &member, None),
        ("POST", &member_team, None),
        ("DELETE", &member_team, None),
    ];

    let mut leaks = Vec::new();
    for (method, path, body) in probes {
        let (status, response) = outsider.call(method, path, body).await;
        if status != 404 || response["detail"] != "The requested resource does not exist" {
            leaks.push(format!("{method} {path}: {status} {response}"));
        }
    }
    let after = [
        acme.owner.get_ok("/api/0/organizations/acme/").await,
        acme.owner.get_ok("/api/0/organizations/acme/teams/").await,
        acme.owner
            .get_ok("/api/0/organizations/acme/members/")
            .await,
    ];
    let listed = outsider.get_ok("/api/0/organizations/").await;

    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    assert_eq!(before, after);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["slug"], "globex");
}

#[tokio::test]
async fn twenty_concurrent_creates_of_one_slug_make_exactly_one_organization() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "racer@race.test", false));

    let attempts = (0..20).map(|_| {
        let api = api.clone();
        async move {
            api.call(
                "POST",
                "/api/0/organizations/",
                Some(json!({"name": "Race", "slug": "race"})),
            )
            .await
            .0
        }
    });
    let mut statuses = futures::future::join_all(attempts).await;
    statuses.sort();
    let teams = (0..20).map(|_| {
        let api = api.clone();
        async move {
            api.call(
                "POST",
                "/api/0/organizations/race/teams/",
                Some(json!({"slug": "pit"})),
            )
            .await
            .0
        }
    });
    let mut team_statuses = futures::future::join_all(teams).await;
    team_statuses.sort();
    let projects = (0..20).map(|_| {
        let api = api.clone();
        async move {
            api.call(
                "POST",
                "/api/0/teams/race/pit/projects/",
                Some(json!({"name": "Car", "slug": "car"})),
            )
            .await
            .0
        }
    });
    let mut project_statuses = futures::future::join_all(projects).await;
    project_statuses.sort();
    let organizations = api.get_ok("/api/0/organizations/").await;
    let listed_projects = api.get_ok("/api/0/organizations/race/projects/").await;

    let mut expected = vec![201];
    expected.extend([409; 19]);
    assert_eq!(statuses, expected);
    assert_eq!(team_statuses, expected);
    assert_eq!(project_statuses, expected);
    assert_eq!(listed_projects.as_array().unwrap().len(), 1);
    assert_eq!(organizations.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_requests_get_field_errors_and_missing_tokens_get_401() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "someone@example.test", false));
    let anonymous = Api::new(&server, "");
    let forged = Api::new(
        &server,
        "sntryu_0000000000000000000000000000000000000000000000000000000000000000",
    );

    let bad_slug = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/",
            Some(json!({"name": "X", "slug": "Not A Slug"})),
        )
        .await;
    let digits = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/",
            Some(json!({"name": "X", "slug": "12345"})),
        )
        .await;
    let no_name = api
        .expect(400, "POST", "/api/0/organizations/", Some(json!({})))
        .await;
    let unauthenticated = anonymous
        .expect(401, "GET", "/api/0/organizations/", None)
        .await;
    let invalid = forged
        .expect(401, "GET", "/api/0/organizations/", None)
        .await;
    let index = anonymous.get_ok("/api/0/").await;

    assert!(bad_slug["slug"][0].is_string());
    assert!(digits["slug"][0].is_string());
    assert_eq!(no_name["name"][0], "This field is required.");
    assert_eq!(
        unauthenticated["detail"],
        "Authentication credentials were not provided."
    );
    assert_eq!(invalid["detail"], "Invalid token");
    assert_eq!(index["auth"], serde_json::Value::Null);
}

#[tokio::test]
async fn team_and_member_responses_match_sentrys_openapi_document() {
    let acme = acme().await;
    let owner = &acme.owner;
    let org = "/api/0/organizations/{organization_id_or_slug}";

    let created = owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/teams/",
            Some(json!({"slug": "checked"})),
        )
        .await;
    let teams = owner.get_ok("/api/0/organizations/acme/teams/").await;
    let team = owner.get_ok("/api/0/teams/acme/checked/").await;
    let updated = owner
        .expect(
            200,
            "PUT",
            "/api/0/teams/acme/checked/",
            Some(json!({"name": "Checked"})),
        )
        .await;
    let added = owner
        .expect(
            201,
            "POST",
            "/api/0/organizations/acme/members/",
            Some(json!({"email": "new@acme.test"})),
        )
        .await;
    let members = owner.get_ok("/api/0/organizations/acme/members/").await;
    let me = owner.get_ok("/api/0/organizations/acme/members/me/").await;
    let member = format!(
        "/api/0/organizations/acme/members/{}/",
        added["id"].as_str().unwrap()
    );
    let role_changed = owner
        .expect(200, "PUT", &member, Some(json!({"orgRole": "admin"})))
        .await;
    let joined = owner
        .expect(201, "POST", &format!("{member}teams/checked/"), None)
        .await;
    let left = owner
        .expect(200, "DELETE", &format!("{member}teams/checked/"), None)
        .await;
    let organization = owner.get_ok("/api/0/organizations/acme/").await;

    let member_path = format!("{org}/members/{{member_id}}/");
    let member_team = format!("{member_path}teams/{{team_id_or_slug}}/");
    assert_matches_sentry("POST", &format!("{org}/teams/"), 201, &created);
    assert_matches_sentry("GET", &format!("{org}/teams/"), 200, &teams);
    assert_matches_sentry(
        "GET",
        "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/",
        200,
        &team,
    );
    assert_matches_sentry(
        "PUT",
        "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/",
        200,
        &updated,
    );
    assert_matches_sentry("POST", &format!("{org}/members/"), 201, &added);
    assert_matches_sentry("GET", &format!("{org}/members/"), 200, &members);
    assert_matches_sentry("GET", &member_path, 200, &me);
    assert_matches_sentry("PUT", &member_path, 200, &role_changed);
    assert_matches_sentry("POST", &member_team, 201, &joined);
    assert_matches_sentry("DELETE", &member_team, 200, &left);
    assert_matches_sentry("PUT", &format!("{org}/"), 200, &organization);
    assert_eq!(role_changed["orgRole"], "admin");
    assert_eq!(organization["teams"].as_array().unwrap().len(), 2);
}
