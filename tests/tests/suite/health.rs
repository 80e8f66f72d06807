//! `/_health`, `/_ready` and graceful shutdown of a real server process.

use nix::sys::signal::Signal;

use crate::helpers::{fresh_database, TestServer};

#[tokio::test]
async fn a_server_answers_health_and_readiness_and_stops_cleanly_on_sigterm() {
    let (url, _pool) = fresh_database().await;
    let mut server = TestServer::on_database(&url);
    let client = reqwest::Client::new();

    let health = client.get(server.at("/_health")).send().await.unwrap();
    let ready = client.get(server.at("/_ready")).send().await.unwrap();

    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert!(body["projections"].is_array());
    let status = server.stop_with(Signal::SIGTERM);
    assert!(status.success(), "exit {status}: {}", server.logs());
}
