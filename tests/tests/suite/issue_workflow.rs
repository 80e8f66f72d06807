//! The issue workflow over HTTP, against a real server: status changes and what
//! later events do to them, assignment, per-user state, comments, bulk changes,
//! merges and deletion; nothing reachable from another organization.

use std::time::{Duration, Instant};

use faultline_commands::ingest::Ingestor;
use serde_json::{json, Value};

use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::issues::{django_error, id, job};
use crate::openapi::assert_matches_sentry;

const ORG_ISSUES: &str = "/api/0/organizations/{organization_id_or_slug}/issues/";
const ISSUE_DETAIL: &str = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/";

/// An organization `acme` (owner, two members, team `team`, project `backend`) and
/// an organization `globex` of another user, with an ingestor feeding both.
struct World {
    _server: TestServer,
    owner: Api,
    member: Api,
    member2: Api,
    outsider: Api,
    org_id: i64,
    project_id: i64,
    globex_id: i64,
    globex_project_id: i64,
    ingestor: Ingestor,
    _task: tokio::task::JoinHandle<()>,
}

impl World {
    async fn new() -> World {
        let (url, pool) = fresh_database().await;
        let server = TestServer::on_database(&url);
        let owner = Api::new(&server, &create_user(&url, "owner@acme.test", false));
        let member = Api::new(&server, &create_user(&url, "member@acme.test", false));
        let member2 = Api::new(&server, &create_user(&url, "member2@acme.test", false));
        let outsider = Api::new(&server, &create_user(&url, "outsider@globex.test", false));
        let project = project_with_key(&owner, "acme", "backend").await;
        let globex = project_with_key(&outsider, "globex", "web").await;
        for email in ["member@acme.test", "member2@acme.test"] {
            owner
                .expect(
                    201,
                    "POST",
                    "/api/0/organizations/acme/members/",
                    Some(json!({"email": email, "orgRole": "member", "teams": ["team"]})),
                )
                .await;
        }
        let org_id = id(&owner.get_ok("/api/0/organizations/acme/").await);
        let globex_id = id(&outsider.get_ok("/api/0/organizations/globex/").await);
        let (ingestor, task) = Ingestor::start(pool, Default::default());
        World {
            _server: server,
            owner,
            member,
            member2,
            outsider,
            org_id,
            project_id: project.project_id,
            globex_id,
            globex_project_id: globex.project_id,
            ingestor,
            _task: task,
        }
    }

    /// Ingests an error `kind: value` of `release` in `backend`.
    async fn send(&self, kind: &str, value: &str, release: &str) {
        let mut raw = django_error(&new_event_id(), 0, kind, value, "1");
        raw["release"] = json!(release);
        self.ingestor
            .submit(job(self.org_id, self.project_id, raw))
            .await
            .unwrap();
    }

    /// Ingests an error `kind: value` in globex's project.
    async fn send_to_globex(&self, kind: &str, value: &str) {
        let raw = django_error(&new_event_id(), 0, kind, value, "1");
        self.ingestor
            .submit(job(self.globex_id, self.globex_project_id, raw))
            .await
            .unwrap();
    }
}

fn new_event_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Polls `GET path` (bounded) until `done` holds for its body.
pub(crate) async fn wait_for(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let (status, body) = api.call("GET", path, None).await;
        if status == 200 && done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("GET {path} did not reach the expected state within 20 s: {last}");
}

/// The id of the issue titled `title` in `org`, once it is listed.
async fn issue_titled(api: &Api, org: &str, title: &str) -> i64 {
    let list = wait_for(
        api,
        &format!("/api/0/organizations/{org}/issues/?query="),
        |list| {
            list.as_array()
                .unwrap()
                .iter()
                .any(|issue| issue["title"] == json!(title))
        },
    )
    .await;
    let issue = list
        .as_array()
        .unwrap()
        .iter()
        .find(|issue| issue["title"] == json!(title))
        .unwrap();
    id(issue)
}

/// The issue's detail once it counts `count` events.
async fn with_count(api: &Api, issue: i64, count: u64) -> Value {
    wait_for(
        api,
        &format!("/api/0/organizations/acme/issues/{issue}/"),
        |detail| detail["count"] == json!(count.to_string()),
    )
    .await
}

fn issue_path(issue: i64) -> String {
    format!("/api/0/organizations/acme/issues/{issue}/")
}

fn ids_of(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(id).collect()
}

async fn user_id(api: &Api) -> String {
    api.get_ok("/api/0/").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn resolving_ignoring_and_later_events_follow_sentry() {
    let w = World::new().await;
    w.send("ValueError", "a", "backend@1.0.0").await;
    let a = issue_titled(&w.owner, "acme", "ValueError: a").await;

    // A member may resolve; the activity names them.
    let resolved = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_matches_sentry("PUT", ISSUE_DETAIL, 200, &resolved);
    assert_eq!(resolved["status"], json!("resolved"));
    assert_eq!(resolved["substatus"], Value::Null);
    assert_eq!(resolved["statusDetails"], json!({}));
    assert_eq!(resolved["activity"][0]["type"], json!("set_resolved"));
    assert_eq!(
        resolved["activity"][0]["user"]["email"],
        json!("member@acme.test")
    );
    let feed = resolved["activity"].as_array().unwrap();
    assert_eq!(feed.last().unwrap()["type"], json!("first_seen"));
    let detail = w.owner.get_ok(&issue_path(a)).await;
    assert_matches_sentry("GET", ISSUE_DETAIL, 200, &detail);
    assert_eq!(detail["status"], json!("resolved"));

    // An event after resolving regresses it.
    w.send("ValueError", "a", "backend@1.0.0").await;
    let regressed = with_count(&w.owner, a, 2).await;
    assert_eq!(regressed["status"], json!("unresolved"));
    assert_eq!(regressed["substatus"], json!("regressed"));
    assert_eq!(regressed["statusDetails"], json!({}));
    assert_eq!(regressed["activity"][0]["type"], json!("set_regression"));
    assert_eq!(
        regressed["activity"][0]["data"],
        json!({"version": "backend@1.0.0"})
    );

    // Resolved in a release: an event of an older release does not regress it.
    let in_release = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"status": "resolved", "statusDetails": {"inRelease": "backend@2.0.0"}})),
        )
        .await;
    assert_eq!(
        in_release["statusDetails"],
        json!({"inRelease": "backend@2.0.0"})
    );
    assert_eq!(
        in_release["activity"][0]["type"],
        json!("set_resolved_in_release")
    );
    w.send("ValueError", "a", "backend@1.5.0").await;
    let still = with_count(&w.owner, a, 3).await;
    assert_eq!(still["status"], json!("resolved"));
    // Unresolving by hand.
    let unresolved = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"status": "unresolved"})),
        )
        .await;
    assert_eq!(unresolved["status"], json!("unresolved"));
    assert_eq!(unresolved["activity"][0]["type"], json!("set_unresolved"));

    // Ignored until 2 more events: it escalates on the second.
    w.send("KeyError", "b", "backend@1.0.0").await;
    let b = issue_titled(&w.owner, "acme", "KeyError: b").await;
    let ignored = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(b),
            Some(json!({"status": "ignored", "statusDetails": {"ignoreCount": 2}})),
        )
        .await;
    assert_eq!(ignored["status"], json!("ignored"));
    assert_eq!(ignored["substatus"], json!("archived_until_condition_met"));
    assert_eq!(ignored["statusDetails"]["ignoreCount"], json!(2));
    assert_eq!(ignored["activity"][0]["type"], json!("set_ignored"));
    w.send("KeyError", "b", "backend@1.0.0").await;
    assert_eq!(with_count(&w.owner, b, 2).await["status"], json!("ignored"));
    w.send("KeyError", "b", "backend@1.0.0").await;
    let escalated = with_count(&w.owner, b, 3).await;
    assert_eq!(escalated["status"], json!("unresolved"));
    assert_eq!(escalated["substatus"], json!("escalating"));

    // `archived` is Sentry's newer name for ignored; unknown statuses are refused.
    let archived = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(b),
            Some(json!({"status": "archived"})),
        )
        .await;
    assert_eq!(archived["substatus"], json!("archived_forever"));
    let refused = w
        .member
        .expect(400, "PUT", &issue_path(b), Some(json!({"status": "fixed"})))
        .await;
    assert!(refused["detail"].is_string(), "{refused}");
}

#[tokio::test]
async fn assignment_and_per_user_state_follow_the_caller() {
    let w = World::new().await;
    w.send("ValueError", "a", "backend@1.0.0").await;
    let a = issue_titled(&w.owner, "acme", "ValueError: a").await;
    let member_id = user_id(&w.member).await;
    let owner_id = user_id(&w.owner).await;
    let outsider_id = user_id(&w.outsider).await;
    let teams = w.owner.get_ok("/api/0/organizations/acme/teams/").await;
    let team_id = teams[0]["id"].as_str().unwrap().to_owned();
    let globex_teams = w
        .outsider
        .get_ok("/api/0/organizations/globex/teams/")
        .await;
    let globex_team_id = globex_teams[0]["id"].as_str().unwrap().to_owned();

    let to_user = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"assignedTo": format!("user:{member_id}")})),
        )
        .await;
    assert_eq!(
        to_user["assignedTo"],
        json!({"type": "user", "id": member_id, "name": "member@acme.test", "email": "member@acme.test"})
    );
    assert_eq!(to_user["activity"][0]["type"], json!("assigned"));
    let assigned = w
        .owner
        .get_ok("/api/0/organizations/acme/issues/?query=is:assigned")
        .await;
    assert_eq!(ids_of(&assigned), vec![a]);
    assert_eq!(assigned[0]["assignedTo"]["id"], json!(member_id));

    let to_team = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"assignedTo": format!("team:{team_id}")})),
        )
        .await;
    assert_eq!(
        to_team["assignedTo"],
        json!({"type": "team", "id": team_id, "name": "team"})
    );
    let by_email = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"assignedTo": "owner@acme.test"})),
        )
        .await;
    assert_eq!(by_email["assignedTo"]["id"], json!(owner_id));
    assert_matches_sentry("GET", ISSUE_DETAIL, 200, &by_email);
    let unassigned = w
        .member
        .expect(200, "PUT", &issue_path(a), Some(json!({"assignedTo": ""})))
        .await;
    assert_eq!(unassigned["assignedTo"], Value::Null);
    assert_eq!(unassigned["activity"][0]["type"], json!("unassigned"));

    // Someone outside the organization cannot be assigned.
    for outside in [
        format!("user:{outsider_id}"),
        "outsider@globex.test".to_owned(),
        format!("team:{globex_team_id}"),
        "nobody@example.com".to_owned(),
    ] {
        let refused = w
            .member
            .expect(
                400,
                "PUT",
                &issue_path(a),
                Some(json!({"assignedTo": outside})),
            )
            .await;
        assert!(refused["detail"].is_string(), "{refused}");
    }
    assert_eq!(
        w.owner.get_ok(&issue_path(a)).await["assignedTo"],
        Value::Null
    );

    // Bookmarks, subscriptions and "seen" belong to the caller.
    let mine = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"isBookmarked": true, "isSubscribed": true, "hasSeen": true})),
        )
        .await;
    assert_eq!(mine["isBookmarked"], json!(true));
    assert_eq!(mine["isSubscribed"], json!(true));
    assert_eq!(mine["hasSeen"], json!(true));
    let unseen = w
        .member
        .expect(200, "PUT", &issue_path(a), Some(json!({"hasSeen": false})))
        .await;
    assert_eq!(unseen["hasSeen"], json!(false));
    let seen_again = w
        .member
        .expect(200, "PUT", &issue_path(a), Some(json!({"hasSeen": true})))
        .await;
    assert_eq!(seen_again["hasSeen"], json!(true));
    let owners = w.owner.get_ok(&issue_path(a)).await;
    assert_eq!(owners["isBookmarked"], json!(false));
    assert_eq!(owners["isSubscribed"], json!(false));
    assert_eq!(owners["hasSeen"], json!(false));
    let bookmarks = w
        .member
        .get_ok("/api/0/organizations/acme/issues/?query=bookmarks:me")
        .await;
    assert_eq!(ids_of(&bookmarks), vec![a]);
    assert_eq!(bookmarks[0]["isBookmarked"], json!(true));
    assert_eq!(
        ids_of(
            &w.owner
                .get_ok("/api/0/organizations/acme/issues/?query=bookmarks:me")
                .await
        ),
        Vec::<i64>::new()
    );
    // A later event is not seen yet.
    tokio::time::sleep(Duration::from_millis(20)).await;
    w.send("ValueError", "a", "backend@1.0.0").await;
    let later = with_count(&w.member, a, 2).await;
    assert_eq!(later["hasSeen"], json!(false));
    assert_eq!(later["isBookmarked"], json!(true));
    let unbookmarked = w
        .member
        .expect(
            200,
            "PUT",
            &issue_path(a),
            Some(json!({"isBookmarked": false, "isSubscribed": false, "isPublic": true})),
        )
        .await;
    assert_eq!(unbookmarked["isBookmarked"], json!(false));
    assert_eq!(unbookmarked["isSubscribed"], json!(false));
    assert_eq!(unbookmarked["isPublic"], json!(true));
    assert_eq!(unbookmarked["activity"][0]["type"], json!("set_public"));
}

#[tokio::test]
async fn comments_may_be_changed_by_their_author_or_an_owner() {
    let w = World::new().await;
    w.send("ValueError", "a", "backend@1.0.0").await;
    let a = issue_titled(&w.owner, "acme", "ValueError: a").await;
    let comments = format!("/api/0/organizations/acme/issues/{a}/comments/");

    let first = w
        .member
        .expect(
            201,
            "POST",
            &comments,
            Some(json!({"text": "looking into it"})),
        )
        .await;
    assert_eq!(first["type"], json!("note"));
    assert_eq!(first["data"]["text"], json!("looking into it"));
    assert_eq!(first["user"]["email"], json!("member@acme.test"));
    assert!(first["dateCreated"].is_string());
    let first_id = first["id"].as_str().unwrap().to_owned();
    let second = w
        .member2
        .expect(
            201,
            "POST",
            &format!("/api/0/issues/{a}/comments/"),
            Some(json!({"text": "me too"})),
        )
        .await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    let listed = w.owner.get_ok(&comments).await;
    assert_eq!(
        ids_of(&listed),
        vec![
            second_id.parse::<i64>().unwrap(),
            first_id.parse::<i64>().unwrap()
        ]
    );
    let detail = w.owner.get_ok(&issue_path(a)).await;
    assert_eq!(detail["numComments"], json!(2));
    assert_eq!(detail["activity"][0]["type"], json!("note"));
    assert_eq!(detail["activity"][0]["data"]["text"], json!("me too"));
    w.member
        .expect(400, "POST", &comments, Some(json!({"text": ""})))
        .await;

    // Another member may not touch someone else's comment.
    let first_path = format!("{comments}{first_id}/");
    w.member2
        .expect(403, "PUT", &first_path, Some(json!({"text": "hijacked"})))
        .await;
    w.member2.expect(403, "DELETE", &first_path, None).await;
    // The author may, and so may the owner.
    let edited = w
        .member
        .expect(
            200,
            "PUT",
            &first_path,
            Some(json!({"text": "fixed in #12"})),
        )
        .await;
    assert_eq!(edited["data"]["text"], json!("fixed in #12"));
    let by_owner = w
        .owner
        .expect(
            200,
            "PUT",
            &first_path,
            Some(json!({"text": "fixed in #13"})),
        )
        .await;
    assert_eq!(by_owner["data"]["text"], json!("fixed in #13"));
    w.owner
        .expect(
            204,
            "DELETE",
            &format!("/api/0/issues/{a}/comments/{second_id}/"),
            None,
        )
        .await;
    w.owner
        .expect(404, "DELETE", &format!("{comments}{second_id}/"), None)
        .await;
    w.owner
        .expect(
            404,
            "PUT",
            &format!("{comments}999999/"),
            Some(json!({"text": "x"})),
        )
        .await;
    let listed = w.member.get_ok(&comments).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["data"]["text"], json!("fixed in #13"));
    assert_eq!(
        w.owner.get_ok(&issue_path(a)).await["numComments"],
        json!(1)
    );
}

#[tokio::test]
async fn bulk_changes_merges_and_deletion() {
    let w = World::new().await;
    for _ in 0..3 {
        w.send("ValueError", "a", "backend@1.0.0").await;
    }
    w.send("KeyError", "b", "backend@1.0.0").await;
    w.send("TypeError", "c", "backend@1.0.0").await;
    let a = issue_titled(&w.owner, "acme", "ValueError: a").await;
    let b = issue_titled(&w.owner, "acme", "KeyError: b").await;
    let c = issue_titled(&w.owner, "acme", "TypeError: c").await;
    with_count(&w.owner, a, 3).await;

    // Bulk resolve by ids answers the applied fields.
    let applied = w
        .member
        .expect(
            200,
            "PUT",
            &format!("/api/0/organizations/acme/issues/?id={a}&id={b}"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_matches_sentry("PUT", ORG_ISSUES, 200, &applied);
    assert_eq!(applied, json!({"status": "resolved", "statusDetails": {}}));
    let resolved = w
        .owner
        .get_ok("/api/0/organizations/acme/issues/?query=is:resolved")
        .await;
    let mut resolved_ids = ids_of(&resolved);
    resolved_ids.sort();
    assert_eq!(resolved_ids, vec![a, b]);
    assert_eq!(
        ids_of(&w.owner.get_ok("/api/0/organizations/acme/issues/").await),
        vec![c]
    );
    // The project variant, selecting by query.
    w.member
        .expect(
            200,
            "PUT",
            "/api/0/projects/acme/backend/issues/?query=is:resolved",
            Some(json!({"status": "unresolved"})),
        )
        .await;
    assert_eq!(
        ids_of(
            &w.owner
                .get_ok("/api/0/organizations/acme/issues/?query=is:resolved")
                .await
        ),
        Vec::<i64>::new()
    );
    w.member
        .expect(
            400,
            "PUT",
            &format!("/api/0/organizations/acme/issues/?id={a}"),
            Some(json!({"status": "fixed"})),
        )
        .await;

    // Merging: the issue with the most events absorbs the other.
    let merged = w
        .member
        .expect(
            200,
            "PUT",
            &format!("/api/0/organizations/acme/issues/?id={b}&id={a}"),
            Some(json!({"merge": 1})),
        )
        .await;
    assert_matches_sentry("PUT", ORG_ISSUES, 200, &merged);
    assert_eq!(
        merged,
        json!({"merge": {"parent": a.to_string(), "children": [b.to_string()]}})
    );
    let primary = with_count(&w.owner, a, 4).await;
    assert_eq!(primary["activity"][0]["type"], json!("merge"));
    w.owner.expect(404, "GET", &issue_path(b), None).await;
    w.send("KeyError", "b", "backend@1.0.0").await;
    with_count(&w.owner, a, 5).await;
    assert_eq!(
        ids_of(
            &w.owner
                .get_ok("/api/0/organizations/acme/issues/?query=")
                .await
        )
        .len(),
        2
    );

    // Deleting: 202, then gone; a new event of its fingerprint opens a new issue.
    w.member.expect(202, "DELETE", &issue_path(c), None).await;
    w.owner.expect(404, "GET", &issue_path(c), None).await;
    assert_eq!(
        ids_of(
            &w.owner
                .get_ok("/api/0/organizations/acme/issues/?query=")
                .await
        ),
        vec![a]
    );
    w.send("TypeError", "c", "backend@1.0.0").await;
    let reopened = issue_titled(&w.owner, "acme", "TypeError: c").await;
    assert_ne!(reopened, c);
    assert_eq!(
        w.owner.get_ok(&issue_path(reopened)).await["count"],
        json!("1")
    );

    // Bulk delete.
    w.member
        .expect(
            204,
            "DELETE",
            &format!("/api/0/projects/acme/backend/issues/?id={a}&id={reopened}"),
            None,
        )
        .await;
    assert_eq!(
        ids_of(
            &w.owner
                .get_ok("/api/0/organizations/acme/issues/?query=")
                .await
        ),
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn another_organizations_issues_and_comments_are_not_found() {
    let w = World::new().await;
    w.send("ValueError", "a", "backend@1.0.0").await;
    w.send_to_globex("KeyError", "g").await;
    let a = issue_titled(&w.owner, "acme", "ValueError: a").await;
    let g = issue_titled(&w.outsider, "globex", "KeyError: g").await;
    let note = w
        .outsider
        .expect(
            201,
            "POST",
            &format!("/api/0/organizations/globex/issues/{g}/comments/"),
            Some(json!({"text": "ours"})),
        )
        .await;
    let note_id = note["id"].as_str().unwrap().to_owned();
    let mine = w
        .owner
        .expect(
            201,
            "POST",
            &format!("/api/0/organizations/acme/issues/{a}/comments/"),
            Some(json!({"text": "mine"})),
        )
        .await;
    let mine_id = mine["id"].as_str().unwrap().to_owned();

    // Globex's issue through acme, or directly by someone outside globex.
    let resolve = Some(json!({"status": "resolved"}));
    let text = Some(json!({"text": "x"}));
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/0/organizations/acme/issues/{g}/"),
            resolve.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/acme/issues/{g}/"),
            None,
        ),
        ("PUT", format!("/api/0/issues/{g}/"), resolve.clone()),
        ("DELETE", format!("/api/0/issues/{g}/"), None),
        (
            "GET",
            format!("/api/0/organizations/acme/issues/{g}/comments/"),
            None,
        ),
        (
            "POST",
            format!("/api/0/organizations/acme/issues/{g}/comments/"),
            text.clone(),
        ),
        ("GET", format!("/api/0/issues/{g}/comments/"), None),
        ("POST", format!("/api/0/issues/{g}/comments/"), text.clone()),
        (
            "PUT",
            format!("/api/0/organizations/acme/issues/{g}/comments/{note_id}/"),
            text.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/issues/{g}/comments/{note_id}/"),
            None,
        ),
        // Globex's comment on acme's issue.
        (
            "PUT",
            format!("/api/0/organizations/acme/issues/{a}/comments/{note_id}/"),
            text.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/acme/issues/{a}/comments/{note_id}/"),
            None,
        ),
    ] {
        w.owner.expect(404, method, &path, body).await;
    }
    // Acme's issue by globex's user.
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/0/organizations/acme/issues/{a}/"),
            resolve.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/acme/issues/{a}/"),
            None,
        ),
        ("PUT", format!("/api/0/issues/{a}/"), resolve.clone()),
        ("GET", format!("/api/0/issues/{a}/comments/"), None),
        ("POST", format!("/api/0/issues/{a}/comments/"), text.clone()),
        (
            "PUT",
            format!("/api/0/issues/{a}/comments/{mine_id}/"),
            text.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/issues/{a}/comments/{mine_id}/"),
            None,
        ),
        (
            "PUT",
            format!("/api/0/organizations/acme/issues/?id={a}"),
            resolve.clone(),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/acme/issues/?id={a}"),
            None,
        ),
        (
            "PUT",
            format!("/api/0/projects/acme/backend/issues/?id={a}"),
            resolve.clone(),
        ),
    ] {
        w.outsider.expect(404, method, &path, body).await;
    }
    // A bulk request naming another organization's issue changes nothing.
    w.owner
        .expect(
            204,
            "PUT",
            &format!("/api/0/organizations/acme/issues/?id={g}"),
            resolve.clone(),
        )
        .await;
    w.owner
        .expect(
            204,
            "DELETE",
            &format!("/api/0/organizations/acme/issues/?id={g}"),
            None,
        )
        .await;
    let theirs = w
        .outsider
        .get_ok(&format!("/api/0/organizations/globex/issues/{g}/"))
        .await;
    assert_eq!(theirs["status"], json!("unresolved"));
    assert_eq!(theirs["numComments"], json!(1));
    assert_eq!(
        w.owner.get_ok(&issue_path(a)).await["status"],
        json!("unresolved")
    );
}
