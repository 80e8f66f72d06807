//! Two `faultline serve` processes on one database: each projection runs in one of
//! them at a time, the other takes over when it dies, nothing is applied twice.

use nix::sys::signal::Signal;
use serde_json::json;

use crate::helpers::{create_user, fresh_database, Api, TestServer};

#[tokio::test]
async fn two_servers_share_the_work_and_one_takes_over_when_the_other_dies() {
    let (url, pool) = fresh_database().await;
    let mut first = TestServer::on_database(&url);
    let second = TestServer::on_database(&url);
    let token = create_user(&url, "ops@example.test", false);
    let via_first = Api::new(&first, &token);
    let via_second = Api::new(&second, &token);

    via_first
        .expect(
            201,
            "POST",
            "/api/0/organizations/",
            Some(json!({"name": "Shared", "slug": "shared"})),
        )
        .await;
    let seen_by_second = via_second.get_ok("/api/0/organizations/shared/").await;
    for n in 0..10 {
        let api = if n % 2 == 0 { &via_first } else { &via_second };
        api.expect(
            201,
            "POST",
            "/api/0/organizations/shared/teams/",
            Some(json!({ "slug": format!("team-{n}") })),
        )
        .await;
    }
    first.stop_with(Signal::SIGKILL);
    via_second
        .expect(
            201,
            "POST",
            "/api/0/organizations/shared/teams/",
            Some(json!({"slug": "after-crash"})),
        )
        .await;
    let teams = via_second
        .get_ok("/api/0/organizations/shared/teams/")
        .await;
    let ready = via_second.get_ok("/_ready").await;
    let organization_events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'organization'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let applied: i64 = sqlx::query_scalar(
        "SELECT sum(events_applied)::bigint FROM projection_checkpoints
          WHERE name = 'organizations'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    assert_eq!(seen_by_second["slug"], "shared");
    assert_eq!(teams.as_array().unwrap().len(), 11);
    assert_eq!(
        applied, organization_events,
        "every event applied exactly once"
    );
    assert_eq!(ready["status"], "ready");
    assert!(ready["projections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["lag"] == 0 && p["failed"] == false));
}
