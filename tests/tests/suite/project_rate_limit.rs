//! The global per-project rate limit, held across two server processes on one database.

use serde_json::json;

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, TestServer,
};

#[tokio::test]
async fn two_servers_on_one_database_accept_no_more_than_the_project_limit_together() {
    let (url, pool) = fresh_database().await;
    // One window of about 30 years: the test cannot straddle two windows.
    let limit = [
        ("DATABASE_URL", url.as_str()),
        ("FAULTLINE_PROJECT_RATE_LIMIT", "30/1000000000"),
    ];
    let first = TestServer::spawn(&limit);
    let second = TestServer::spawn(&limit);
    let api = Api::new(&first, &create_user(&url, "dev@example.test", false));
    let project = project_with_key(&api, "acme", "backend").await;
    let http = reqwest::Client::new();
    let auth = format!("Sentry sentry_version=7, sentry_key={}", project.key);

    let sends = (0..120).map(|n| {
        let server = [&first, &second][n % 2];
        let request = http
            .post(server.at(&format!("/api/{}/envelope/", project.project_id)))
            .header("x-sentry-auth", &auth)
            .body(event_envelope(&json!({
                "event_id": format!("{n:032x}"),
                "message": format!("event {n}"),
            })));
        async move { request.send().await.unwrap() }
    });
    let responses = futures::future::join_all(sends).await;
    let accepted = responses.iter().filter(|r| r.status() == 200).count();
    let refused: Vec<_> = responses.iter().filter(|r| r.status() == 429).collect();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM ingested_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let retry_after: u64 = refused[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();

    assert_eq!(accepted + refused.len(), 120);
    assert!(accepted <= 30, "{accepted} accepted over a limit of 30");
    // Each process may end holding an unspent slice (a tenth of the limit).
    assert!(accepted >= 30 - 2 * 3, "only {accepted} of 30 accepted");
    assert_eq!(stored, accepted as i64);
    assert!(retry_after > 0);
    for response in &refused {
        let retry_after = response.headers()["retry-after"].to_str().unwrap();
        assert_eq!(
            response.headers()["x-sentry-rate-limits"],
            format!("{retry_after}::project:project_quota").as_str()
        );
    }
}
