//! The request timeout, with raw TCP clients that stall or trickle their bodies, and
//! a query held up by a lock.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    create_user, event_envelope, fresh_database, project_with_key, Api, ProjectKey, TestServer,
};

/// A bound on every wait below, so a regression fails instead of hanging the suite.
const NEVER: Duration = Duration::from_secs(30);

fn address(server: &TestServer) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// Project `acme/backend`, set up through a server with the default timeout: writes
/// wait for their read models, which may take longer than the 1 s tested below.
async fn project_on(url: &str) -> ProjectKey {
    let setup = TestServer::on_database(url);
    let api = Api::new(&setup, &create_user(url, "dev@example.test", false));
    project_with_key(&api, "acme", "backend").await
}

/// A second server on the same database, with a 1 s request timeout.
fn impatient_server(url: &str) -> TestServer {
    TestServer::spawn(&[("DATABASE_URL", url), ("FAULTLINE_REQUEST_TIMEOUT", "1")])
}

/// Request head of an envelope POST announcing `length` body bytes.
fn envelope_head(project_id: i64, key: &str, length: usize) -> String {
    format!(
        "POST /api/{project_id}/envelope/ HTTP/1.1\r\nHost: localhost\r\n\
         X-Sentry-Auth: Sentry sentry_version=7, sentry_key={key}\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &mut tokio::net::tcp::OwnedReadHalf) -> String {
    let mut response = Vec::new();
    tokio::time::timeout(NEVER, stream.read_to_end(&mut response))
        .await
        .expect("the server neither answered nor closed the connection")
        .unwrap_or_default();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_stalled_head_is_dropped_a_stalled_or_trickled_body_gets_408_and_the_server_stays_healthy(
) {
    let (url, _pool) = fresh_database().await;
    let project = project_on(&url).await;
    let server = impatient_server(&url);
    let head = envelope_head(project.project_id, &project.key, 100_000);

    let stalled = TcpStream::connect(address(&server)).await.unwrap();
    let (mut stalled_read, mut stalled_write) = stalled.into_split();
    stalled_write.write_all(head.as_bytes()).await.unwrap();
    stalled_write.write_all(b"{}\n").await.unwrap();
    let stalled_response = read_until_closed(&mut stalled_read).await;

    let half_head = TcpStream::connect(address(&server)).await.unwrap();
    let (mut half_head_read, mut half_head_write) = half_head.into_split();
    half_head_write
        .write_all(&head.as_bytes()[..40])
        .await
        .unwrap();
    let half_head_response = read_until_closed(&mut half_head_read).await;

    let trickled = TcpStream::connect(address(&server)).await.unwrap();
    let (mut trickled_read, mut trickled_write) = trickled.into_split();
    trickled_write.write_all(head.as_bytes()).await.unwrap();
    let trickler = tokio::spawn(async move {
        // One byte every 50 ms: never idle for long, never done within the timeout.
        while trickled_write.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let trickled_response = read_until_closed(&mut trickled_read).await;
    trickler.abort();

    let client = reqwest::Client::new();
    let health = client.get(server.at("/_health")).send().await.unwrap();
    let event = client
        .post(server.at(&format!("/api/{}/envelope/", project.project_id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={}", project.key),
        )
        .body(event_envelope(&json!({"message": "after the stalls"})))
        .send()
        .await
        .unwrap();

    let detail = r#"{"detail":"request body not received within 1 s"}"#;
    assert!(
        stalled_response.starts_with("HTTP/1.1 408"),
        "{stalled_response}"
    );
    assert!(stalled_response.ends_with(detail), "{stalled_response}");
    assert_eq!(half_head_response, "");
    assert!(
        trickled_response.starts_with("HTTP/1.1 408"),
        "{trickled_response}"
    );
    assert!(trickled_response.ends_with(detail), "{trickled_response}");
    assert_eq!(health.status(), 200);
    assert_eq!(event.status(), 200);
}

#[tokio::test]
async fn a_query_slower_than_the_timeout_gets_503_with_retry_after() {
    let (url, pool) = fresh_database().await;
    project_on(&url).await;
    let token = create_user(&url, "ops@example.test", true);
    let server = impatient_server(&url);
    let issues = "/api/0/projects/acme/backend/issues/";
    let client = reqwest::Client::new();

    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE issues IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let held_up = tokio::time::timeout(
        NEVER,
        client.get(server.at(issues)).bearer_auth(&token).send(),
    )
    .await
    .expect("the request outlived the request timeout")
    .unwrap();
    lock.rollback().await.unwrap();
    let afterwards = Api::new(&server, &token).call("GET", issues, None).await;

    assert_eq!(held_up.status(), 503);
    assert_eq!(held_up.headers()["retry-after"], "1");
    assert_eq!(
        held_up.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "request took longer than 1 s, retry later"})
    );
    assert_eq!(afterwards, (200, json!([])));
}
