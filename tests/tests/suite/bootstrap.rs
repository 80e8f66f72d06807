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

#[tokio::test]
async fn the_first_start_prints_a_token_and_a_dsn_that_work_and_later_starts_print_nothing() {
    let (url, pool) = fresh_database().await;
    let first = TestServer::spawn(&[("DATABASE_URL", &url), ("FAULTLINE_BOOTSTRAP", "1")]);
    let mut lines = first.stdout();
    for _ in 0..100 {
        if lines.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        lines = first.stdout();
    }
    let host = first.url.trim_start_matches("http://").to_owned();
    let token = printed(&lines, "API token");
    let dsn = printed(&lines, "DSN:");
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
    assert!(second.stdout().is_empty());
    assert_eq!(users, 1);
}
