//! Credentials never reach the logs: API tokens (valid or not) and client keys sent in
//! headers or in the query string stay out of every log line, even at debug level.

use serde_json::json;

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, TestServer,
};

#[tokio::test]
async fn tokens_and_client_keys_are_not_logged_at_debug_level() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::spawn(&[
        ("DATABASE_URL", url.as_str()),
        ("RUST_LOG", "debug,sqlx=warn,hyper=warn,h2=warn,tower=warn"),
    ]);
    let token = create_user(&url, "owner@acme.test", false);
    let owner = Api::new(&server, &token);
    let project = project_with_key(&owner, "acme", "backend").await;
    let wrong_token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
    let client = reqwest::Client::new();

    Api::new(&server, wrong_token)
        .expect(401, "GET", "/api/0/organizations/", None)
        .await;
    owner.get_ok("/api/0/organizations/acme/").await;
    let event = json!({"event_id": "0123456789abcdef0123456789abcdef", "message": "hello"});
    let by_query = client
        .post(server.at(&format!(
            "/api/{}/envelope/?sentry_key={}&sentry_version=7",
            project.project_id, project.key
        )))
        .body(event_envelope(&event))
        .send()
        .await
        .unwrap();
    let by_header = client
        .post(server.at(&format!("/api/{}/store/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .json(&json!({"message": "hello again"}))
        .send()
        .await
        .unwrap();

    assert_eq!(by_query.status(), 200);
    assert_eq!(by_header.status(), 200);
    let logs = server.logs();
    assert!(
        logs.contains("\"route\":\"/api/0/organizations/{org}/\""),
        "the requests were logged: {logs}"
    );
    assert!(logs.contains("envelope/\""), "ingestion was logged: {logs}");
    assert!(
        logs.contains("\"status\":401"),
        "the refusal was logged: {logs}"
    );
    assert!(!logs.contains(&token), "the API token leaked into the logs");
    assert!(
        !logs.contains(wrong_token),
        "a refused token leaked into the logs"
    );
    assert!(
        !logs.contains(&project.key),
        "the client key leaked into the logs"
    );
}
