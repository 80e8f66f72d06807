//! The first start creates an admin, a default project and a DSN that ingestion
//! accepts; later starts create nothing.

use serde_json::json;

use crate::helpers::{event_envelope, fresh_database, Api, TestServer};

fn printed(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:?}"))
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned()
}

/// Submits the login form as a browser would: its CSRF field and cookie, then the
/// email and password; answers the form's response (not followed).
async fn sign_in_over_http(server: &TestServer, email: &str, password: &str) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(server.at("/auth/login/")).send().await.unwrap();
    let cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = form.text().await.unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    client
        .post(server.at("/auth/login/"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_start_prints_a_token_a_dsn_and_a_password_that_work_and_later_starts_print_nothing(
) {
    let (url, pool) = fresh_database().await;
    let first = TestServer::spawn(&[("DATABASE_URL", &url), ("FAULTLINE_BOOTSTRAP", "1")]);
    let mut lines = first.stdout();
    for _ in 0..100 {
        if lines.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        lines = first.stdout();
    }
    let host = first.url.trim_start_matches("http://").to_owned();
    let token = printed(&lines, "API token");
    let dsn = printed(&lines, "DSN:");
    let password = printed(&lines, "Web UI:").trim_end_matches(')').to_owned();
    let api = Api::new(&first, &token);
    let (key, project) = dsn
        .trim_start_matches("http://")
        .split_once('@')
        .map(|(key, rest)| (key.to_owned(), rest.rsplit('/').next().unwrap().to_owned()))
        .unwrap();

    let whoami = api.get_ok("/api/0/").await;
    let projects = api.get_ok("/api/0/organizations/default/projects/").await;
    let accepted = reqwest::Client::new()
        .post(first.at(&format!("/api/{project}/envelope/")))
        .header("x-sentry-auth", format!("Sentry sentry_key={key}"))
        .body(event_envelope(
            &json!({"message": "hello from the bootstrap DSN"}),
        ))
        .send()
        .await
        .unwrap();
    let signed_in = sign_in_over_http(&first, "admin@localhost", &password).await;
    drop(first);
    let second = TestServer::spawn(&[("DATABASE_URL", &url), ("FAULTLINE_BOOTSTRAP", "1")]);
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'UserCreated'")
            .fetch_one(&pool)
            .await
            .unwrap();

    assert_eq!(whoami["user"]["email"], "admin@localhost");
    assert_eq!(whoami["user"]["isSuperuser"], true);
    assert_eq!(projects[0]["slug"], "default");
    assert!(dsn.ends_with(&format!("@{host}/{project}")), "{dsn}");
    assert_eq!(accepted.status(), 200);
    assert_eq!(signed_in.status(), 303);
    assert!(signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("fl_session="));
    assert!(second.stdout().is_empty());
    assert_eq!(users, 1);
}
