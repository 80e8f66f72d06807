//! Releases and deploys driven by the real sentry-cli (3.x, and 2.x where pipelines
//! pin it), each effect checked through the API and the audit log: `releases new`
//! (with and without `-p`), `list`, `info`, `finalize`, `archive`/`restore`,
//! `delete`, `deploys new`/`list`, `propose-version`; versions holding `@`, `+`, `/`
//! and spaces; another organization's release answering 404.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{
    create_user, fresh_database, project_with_key, run_faultline, send_event, Api, TestServer,
};
use crate::openapi::assert_matches_sentry;

/// Runs `cli ARGS` against `server` with `token`, in `dir`; asserts success and
/// returns stdout.
fn run(
    cli: &str,
    server: &TestServer,
    token: &str,
    dir: &std::path::Path,
    args: &[&str],
) -> String {
    let output = Command::new(cli)
        .args(args)
        .current_dir(dir)
        .env("SENTRY_URL", &server.url)
        .env("SENTRY_AUTH_TOKEN", token)
        .env("SENTRY_ORG", "shop")
        .env("SENTRY_PROJECT", "backend")
        .env("SENTRY_LOG_LEVEL", "warn")
        .output()
        .expect("run sentry-cli");
    assert!(
        output.status.success(),
        "sentry-cli {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `text` percent-encoded as one path segment: everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn release_path(version: &str) -> String {
    format!("/api/0/organizations/shop/releases/{}/", encode(version))
}

/// A server with organization `shop` and project `backend`, a user's token and API
/// client, and the sentry-cli named by `cli_env`.
async fn shop(cli_env: &str) -> (String, String, TestServer, String, Api) {
    let cli = std::env::var(cli_env)
        .unwrap_or_else(|_| panic!("{cli_env} must name sentry-cli: run scripts/test"));
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "ci@example.test", false);
    let api = Api::new(&server, &token);
    project_with_key(&api, "shop", "backend").await;
    (cli, url, server, token, api)
}

/// A fresh directory holding a git repository.
fn git_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fl-git-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    dir
}

/// The whole release life through one sentry-cli binary.
async fn release_life(cli_env: &str, version: &str) {
    let (cli, url, server, token, api) = shop(cli_env).await;
    api.expect(
        201,
        "POST",
        "/api/0/teams/shop/team/projects/",
        Some(json!({"name": "frontend", "slug": "frontend"})),
    )
    .await;
    // A repository with one commit: what `propose-version` proposes.
    let dir = git_dir();
    git(&dir, &["commit", "-q", "--allow-empty", "-m", "ship"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let cli = |args: &[&str]| run(&cli, &server, &token, &dir, args);

    cli(&["releases", "new", "-p", "backend", version]);
    cli(&["releases", "new", "-p", "frontend", version]);
    cli(&["releases", "new", "-p", "backend", "shop@0.9.0"]);
    // Without -p: the project configured for sentry-cli (SENTRY_PROJECT).
    cli(&["releases", "new", "shop@0.8.0"]);
    let configured = api.get_ok(&release_path("shop@0.8.0")).await;
    let created = api.get_ok(&release_path(version)).await;
    let listed = cli(&["releases", "list", "-p", "backend"]);
    let info = cli(&["releases", "info", version]);
    cli(&["releases", "finalize", version]);
    let finalized = api.get_ok(&release_path(version)).await;
    cli(&[
        "deploys",
        "new",
        "-r",
        version,
        "-e",
        "production",
        "-n",
        "blue",
    ]);
    let deploys = cli(&["deploys", "list", "-r", version]);
    let deployed = api.get_ok(&release_path(version)).await;
    cli(&["releases", "archive", "shop@0.9.0"]);
    let open_only = api.get_ok("/api/0/organizations/shop/releases/").await;
    let archived = api
        .get_ok("/api/0/organizations/shop/releases/?status=archived")
        .await;
    cli(&["releases", "restore", "shop@0.9.0"]);
    let restored = api.get_ok(&release_path("shop@0.9.0")).await;
    cli(&["releases", "delete", "shop@0.9.0"]);
    let deleted = api.call("GET", &release_path("shop@0.9.0"), None).await.0;
    let proposed = cli(&["releases", "propose-version"]);
    let audit = api.get_ok("/api/0/organizations/shop/audit-logs/").await;
    let history = run_faultline(
        &url,
        &["log", "show", "release", &format!("shop/{version}")],
        &[],
    );
    let deleted_history = run_faultline(&url, &["log", "show", "release", "shop/shop@0.9.0"], &[]);

    let other = create_user(&url, "other@example.test", false);
    let outsider = Api::new(&server, &other);
    project_with_key(&outsider, "other", "app").await;
    let foreign = outsider
        .call(
            "GET",
            &format!("/api/0/organizations/other/releases/{}/", encode(version)),
            None,
        )
        .await
        .0;
    let across = outsider.call("GET", &release_path(version), None).await.0;

    assert_eq!(created["version"], version);
    let slugs: Vec<&str> = created["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["backend", "frontend"]);
    assert_eq!(created["dateReleased"], Value::Null);
    assert!(created["dateStarted"].as_str().is_some(), "{created}");
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/releases/{version}/",
        200,
        &created,
    );
    assert!(listed.contains(version), "{listed}");
    assert!(listed.contains("shop@0.9.0"), "{listed}");
    assert!(info.contains(version), "{info}");
    assert!(finalized["dateReleased"].as_str().is_some(), "{finalized}");
    assert!(deploys.contains("production"), "{deploys}");
    assert!(deploys.contains("blue"), "{deploys}");
    assert_eq!(deployed["deployCount"], 1);
    assert_eq!(deployed["lastDeploy"]["environment"], "production");
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/releases/{version}/",
        200,
        &deployed,
    );
    let versions = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(configured["projects"][0]["slug"], "backend");
    assert_eq!(versions(&open_only), ["shop@0.8.0", version]);
    assert_eq!(versions(&archived), ["shop@0.9.0"]);
    assert_eq!(restored["status"], "open");
    assert_eq!(deleted, 404);
    assert_eq!(proposed.trim(), head.trim());
    let events: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["event"].as_str().unwrap())
        .filter(|event| event.starts_with("release.") || event.starts_with("deploy."))
        .collect();
    assert!(events.contains(&"release.create"), "{events:?}");
    assert!(events.contains(&"release.edit"), "{events:?}");
    assert!(events.contains(&"release.delete"), "{events:?}");
    assert!(events.contains(&"deploy.create"), "{events:?}");
    assert_eq!([foreign, across], [404, 404]);
    for event in [
        "ReleaseCreated",
        "ReleaseProjectsAdded",
        "ReleaseUpdated",
        "DeployCreated",
    ] {
        assert!(history.contains(event), "{event} in {history}");
    }
    assert!(
        history.contains("ci@example.test") || history.contains("user:"),
        "{history}"
    );
    assert!(
        deleted_history.contains("ReleaseDeleted"),
        "{deleted_history}"
    );
}

#[tokio::test]
async fn sentry_cli_3_creates_lists_finalizes_deploys_archives_and_deletes_releases() {
    release_life("FAULTLINE_TEST_SENTRY_CLI3", "shop@1.0.0+build.5").await;
}

#[tokio::test]
async fn sentry_cli_2_runs_the_same_release_life() {
    release_life("FAULTLINE_TEST_SENTRY_CLI", "shop@2.0.0-rc.1").await;
}

/// Sends an event of `kind` in `release` to the project with `key`.
async fn send(
    server: &TestServer,
    project: &crate::helpers::ProjectKey,
    kind: &str,
    release: &str,
) {
    let event = json!({
        "event_id": uuid::Uuid::new_v4().simple().to_string(),
        "level": "error",
        "release": release,
        "exception": {"values": [{"type": "ReleaseError", "value": kind}]},
    });
    send_event(server, project, &event).await;
}

#[tokio::test]
async fn a_release_counts_the_issues_first_seen_in_it_and_its_first_and_last_event() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "dev@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "shop", "backend").await;
    let odd = "feature/login 2+b@x";
    for version in ["shop@1.0.0", "shop@2.0.0", odd] {
        api.expect(
            201,
            "POST",
            "/api/0/projects/shop/backend/releases/",
            Some(json!({"version": version})),
        )
        .await;
    }
    // Two issues first seen in 1.0.0; 2.0.0 sees one of them again and one new one.
    send(&server, &project, "checkout", "shop@1.0.0").await;
    send(&server, &project, "cart", "shop@1.0.0").await;
    send(&server, &project, "cart", "shop@2.0.0").await;
    send(&server, &project, "search", "shop@2.0.0").await;
    crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;

    let first = api.get_ok(&release_path("shop@1.0.0")).await;
    let second = api.get_ok(&release_path("shop@2.0.0")).await;
    let odd_release = api.get_ok(&release_path(odd)).await;
    let in_project = api
        .get_ok("/api/0/projects/shop/backend/releases/?query=SHOP@")
        .await;
    let refused = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/shop/releases/",
            Some(json!({"version": "latest", "projects": ["nope"]})),
        )
        .await;
    let missing = api
        .expect(
            400,
            "POST",
            "/api/0/organizations/shop/releases/",
            Some(json!({"projects": ["backend"]})),
        )
        .await;

    assert_eq!(first["newGroups"], 2);
    assert_eq!(first["projects"][0]["newGroups"], 2);
    assert_eq!(second["newGroups"], 1);
    assert!(first["firstEvent"].as_str().unwrap() <= first["lastEvent"].as_str().unwrap());
    assert!(second["lastEvent"].as_str().is_some());
    assert_eq!(odd_release["version"], odd);
    assert_eq!(odd_release["newGroups"], 0);
    assert_eq!(odd_release["firstEvent"], Value::Null);
    let listed: Vec<&str> = in_project
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["shop@2.0.0", "shop@1.0.0"]);
    assert_eq!(
        refused,
        json!({"projects": ["Invalid project ids or slugs"]})
    );
    assert_eq!(missing, json!({"version": ["This field is required."]}));
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/releases/",
        200,
        &in_project,
    );
}

/// Runs `git ARGS` in `dir`; its stdout.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Dev One",
            "-c",
            "user.email=dev1@example.test",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `set-commits --local`, then `--commit repo@from..to`, then `--auto`, through one
/// sentry-cli.
async fn set_commits(cli_env: &str) {
    let (cli, _url, server, token, api) = shop(cli_env).await;
    let dir = git_dir();
    git(
        &dir,
        &[
            "remote",
            "add",
            "origin",
            "https://example.test/acme/shop.git",
        ],
    );
    std::fs::write(dir.join("app.py"), "print('v1')\n").unwrap();
    git(&dir, &["add", "app.py"]);
    git(&dir, &["commit", "-q", "-m", "Add the app"]);
    std::fs::write(dir.join("app.py"), "print('v2')\n").unwrap();
    git(&dir, &["commit", "-q", "-am", "Fix the app"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let first = git(&dir, &["rev-parse", "HEAD~1"]);
    let cli = |args: &[&str]| run(&cli, &server, &token, &dir, args);

    cli(&["releases", "new", "-p", "backend", "shop@1.0.0"]);
    cli(&["releases", "set-commits", "shop@1.0.0", "--local"]);
    let commits = api
        .get_ok(&format!("{}commits/", release_path("shop@1.0.0")))
        .await;
    let files = api
        .get_ok(&format!("{}commitfiles/", release_path("shop@1.0.0")))
        .await;
    let release = api.get_ok(&release_path("shop@1.0.0")).await;
    let repos = api.get_ok("/api/0/organizations/shop/repos/").await;
    cli(&["releases", "new", "-p", "backend", "shop@1.1.0"]);
    let previous = api
        .get_ok(&format!(
            "{}previous-with-commits/",
            release_path("shop@1.1.0")
        ))
        .await;
    let none_before = api
        .get_ok(&format!(
            "{}previous-with-commits/",
            release_path("shop@1.0.0")
        ))
        .await;
    cli(&[
        "releases",
        "set-commits",
        "shop@1.1.0",
        "--commit",
        &format!("origin@{first}..{head}"),
    ]);
    let by_ref = api
        .get_ok(&format!("{}commits/", release_path("shop@1.1.0")))
        .await;
    // `--auto` with no repository integration: sentry-cli falls back to the local
    // history since the previous release's last commit.
    std::fs::write(dir.join("app.py"), "print('v3')\n").unwrap();
    git(&dir, &["commit", "-q", "-am", "Speed the app up"]);
    let third = git(&dir, &["rev-parse", "HEAD"]);
    cli(&["releases", "new", "-p", "backend", "shop@1.2.0"]);
    cli(&["releases", "set-commits", "shop@1.2.0", "--auto"]);
    let auto = api
        .get_ok(&format!("{}commits/", release_path("shop@1.2.0")))
        .await;

    let ids: Vec<&str> = commits
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [head.as_str(), first.as_str()]);
    assert_eq!(
        commits[0]["message"].as_str().unwrap().trim(),
        "Fix the app"
    );
    assert_eq!(commits[0]["author"]["email"], "dev1@example.test");
    assert_eq!(commits[0]["repository"]["name"], "origin");
    assert!(
        files
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["filename"] == "app.py"),
        "{files}"
    );
    assert_eq!(release["commitCount"], 2);
    assert_eq!(release["lastCommit"]["id"], head);
    assert_eq!(release["authors"][0]["name"], "Dev One");
    assert_eq!(repos[0]["name"], "origin");
    assert_eq!(previous["version"], "shop@1.0.0");
    assert_eq!(none_before, json!({}));
    assert_eq!(by_ref[0]["id"], head, "{by_ref}");
    assert_eq!(by_ref.as_array().unwrap().len(), 1);
    let auto_ids: Vec<&str> = auto
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(auto_ids, [third.as_str()], "{auto}");
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/releases/{version}/",
        200,
        &release,
    );
}

#[tokio::test]
async fn sentry_cli_3_sets_commits_from_the_local_repository_and_from_a_ref() {
    set_commits("FAULTLINE_TEST_SENTRY_CLI3").await;
}

#[tokio::test]
async fn sentry_cli_2_sets_commits_from_the_local_repository_and_from_a_ref() {
    set_commits("FAULTLINE_TEST_SENTRY_CLI").await;
}

/// A server with project `shop/backend` holding releases `versions` (created in
/// that order), a developer's API client and the project's key.
async fn with_releases(
    versions: &[&str],
) -> (
    String,
    sqlx::PgPool,
    TestServer,
    Api,
    crate::helpers::ProjectKey,
) {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "dev@example.test", false);
    let api = Api::new(&server, &token);
    let project = project_with_key(&api, "shop", "backend").await;
    for version in versions {
        api.expect(
            201,
            "POST",
            "/api/0/projects/shop/backend/releases/",
            Some(json!({"version": version})),
        )
        .await;
    }
    (url, pool, server, api, project)
}

/// Sends events of `kinds` in `release` with the real Python sentry-sdk.
fn python_events(dsn: &str, release: &str, kinds: &[&str]) {
    let python = std::env::var("FAULTLINE_TEST_PYTHON")
        .expect("FAULTLINE_TEST_PYTHON must name a python with sentry-sdk: run scripts/test");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/python_releases.py");
    let output = Command::new(python)
        .arg(script)
        .args([dsn, release])
        .args(kinds)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn an_issue_knows_its_first_and_last_release_and_search_finds_issues_by_them() {
    let (_url, pool, _server, api, project) = with_releases(&["shop@1.0.0", "shop@2.0.0"]).await;
    python_events(&project.dsn, "shop@1.0.0", &["cart", "checkout"]);
    crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    python_events(&project.dsn, "shop@2.0.0", &["cart", "search"]);
    let tally = crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    let titles = |list: &Value| -> Vec<String> {
        let mut titles: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|issue| {
                issue["title"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        titles.sort();
        titles
    };
    let search = |query: &str| format!("/api/0/organizations/shop/issues/?query={}", encode(query));
    let cart_id: Vec<(i64,)> = sqlx::query_as("SELECT id FROM issues WHERE title LIKE 'KeyError%'")
        .fetch_all(&pool)
        .await
        .unwrap();
    let cart = api
        .get_ok(&format!(
            "/api/0/organizations/shop/issues/{}/",
            cart_id[0].0
        ))
        .await;
    let first_in_1 = api.get_ok(&search("firstRelease:shop@1.0.0")).await;
    let latest = api.get_ok(&search("release:latest")).await;
    let first_in_latest = api.get_ok(&search("firstRelease:latest")).await;
    let release_1 = api.get_ok(&release_path("shop@1.0.0")).await;
    let release_2 = api.get_ok(&release_path("shop@2.0.0")).await;
    let in_production = api
        .get_ok("/api/0/organizations/shop/releases/?environment=production")
        .await;
    let in_staging = api
        .get_ok("/api/0/projects/shop/backend/releases/?environment=staging")
        .await;

    assert_eq!(tally.logged(), 4);
    assert_eq!(release_1["projects"][0]["eventCount"], 2);
    assert_eq!(release_2["projects"][0]["eventCount"], 2);
    assert_eq!(
        in_production.as_array().unwrap().len(),
        2,
        "{in_production}"
    );
    assert_eq!(in_staging, json!([]));
    assert_eq!(cart["firstRelease"]["version"], "shop@1.0.0");
    assert_eq!(cart["lastRelease"]["version"], "shop@2.0.0");
    assert_eq!(cart["firstRelease"]["id"], release_1["id"]);
    assert_eq!(cart["lastRelease"]["dateCreated"], release_2["dateCreated"]);
    assert_eq!(titles(&first_in_1), ["KeyError", "ValueError"]);
    assert_eq!(titles(&latest), ["KeyError", "TypeError"]);
    assert_eq!(titles(&first_in_latest), ["TypeError"]);
    assert_eq!(release_1["newGroups"], 2);
    assert_eq!(release_2["newGroups"], 1);
    assert_matches_sentry(
        "get",
        "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/",
        200,
        &cart,
    );
}

#[tokio::test]
async fn the_first_event_carrying_a_release_creates_it_in_its_project() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "dev@example.test", false);
    let api = Api::new(&server, &token);
    let backend = project_with_key(&api, "shop", "backend").await;
    api.expect(
        201,
        "POST",
        "/api/0/teams/shop/team/projects/",
        Some(json!({"name": "frontend", "slug": "frontend"})),
    )
    .await;
    let keys = api.get_ok("/api/0/projects/shop/frontend/keys/").await;
    let frontend = crate::helpers::ProjectKey {
        project_id: keys[0]["projectId"].as_i64().unwrap(),
        key: keys[0]["public"].as_str().unwrap().to_owned(),
        dsn: String::new(),
    };
    let event = |release: &str| {
        json!({
            "event_id": uuid::Uuid::new_v4().simple().to_string(),
            "release": release,
            "exception": {"values": [{"type": "AutoError", "value": "auto"}]},
        })
    };
    send_event(&server, &backend, &event("auto@1.0.0")).await;
    send_event(&server, &backend, &event("auto@1.0.0")).await;
    let mut created = Value::Null;
    for _ in 0..100 {
        let (status, body) = api.call("GET", &release_path("auto@1.0.0"), None).await;
        if status == 200 {
            created = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    send_event(&server, &frontend, &event("auto@1.0.0")).await;
    let mut both = Value::Null;
    for _ in 0..100 {
        both = api.get_ok(&release_path("auto@1.0.0")).await;
        if both["projects"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let history = run_faultline(&url, &["log", "show", "release", "shop/auto@1.0.0"], &[]);

    assert_eq!(created["version"], "auto@1.0.0", "{created}");
    assert_eq!(created["projects"][0]["slug"], "backend");
    let slugs: Vec<&str> = both["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["backend", "frontend"]);
    assert_eq!(history.matches("ReleaseCreated").count(), 1, "{history}");
    assert_eq!(
        history.matches("ReleaseProjectsAdded").count(),
        1,
        "{history}"
    );
    assert!(
        history.contains(&format!("key:{}", backend.key)),
        "{history}"
    );
}

#[tokio::test]
async fn releases_created_before_the_resolve_do_not_regress_an_issue_resolved_in_the_next_release()
{
    // Free-form versions (commit-like): only their creation orders them.
    let (_url, pool, _server, api, project) = with_releases(&["build-a", "build-b"]).await;
    python_events(&project.dsn, "build-b", &["cart"]);
    crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM issues WHERE title LIKE 'KeyError%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let issue = format!("/api/0/organizations/shop/issues/{id}/");
    api.expect(
        200,
        "PUT",
        &issue,
        Some(json!({"status": "resolvedInNextRelease"})),
    )
    .await;
    python_events(&project.dsn, "build-a", &["cart"]);
    python_events(&project.dsn, "build-b", &["cart"]);
    crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    let after_older = api.get_ok(&issue).await;
    python_events(&project.dsn, "build-c", &["cart"]);
    crate::helpers::ingest_tally(&pool, std::time::Duration::from_secs(30)).await;
    let after_newer = api.get_ok(&issue).await;

    assert_eq!(after_older["status"], "resolved", "{after_older}");
    assert_eq!(after_older["count"], "3");
    assert_eq!(after_newer["status"], "unresolved", "{after_newer}");
    let kinds: Vec<&str> = after_newer["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"set_regression"), "{kinds:?}");
    assert!(kinds.contains(&"set_resolved_in_release"), "{kinds:?}");
}
