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

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_a_browser_gets_a_404_page_and_about_answers_a_page()
{
    let (url, _pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let client = reqwest::Client::new();

    let unknown_api = client
        .get(server.at("/api/0/no/such/thing/"))
        .send()
        .await
        .unwrap();
    let unknown = client.get(server.at("/nothing-here")).send().await.unwrap();
    let wrong_method = client.delete(server.at("/api/0/")).send().await.unwrap();
    let wrong_ingest_method = client
        .get(server.at("/api/1/envelope/"))
        .send()
        .await
        .unwrap();
    let root = client.get(server.at("/about/")).send().await.unwrap();
    let unknown_page = client
        .get(server.at("/organizations/acme/nothing-here/"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();

    for (response, status) in [
        (unknown_api, 404),
        (unknown, 404),
        (wrong_method, 405),
        (wrong_ingest_method, 405),
    ] {
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    assert_eq!(unknown_page.status(), 404);
    assert!(unknown_page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(unknown_page
        .text()
        .await
        .unwrap()
        .contains("<h1>Not found</h1>"));
    assert_eq!(root.status(), 200);
    assert!(root.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = root.text().await.unwrap();
    assert!(page.contains(env!("CARGO_PKG_VERSION")));
    assert!(page.contains("/api/0/openapi.json"));
    assert!(page.contains(&format!("@{}/", server.url.trim_start_matches("http://"))));
}
