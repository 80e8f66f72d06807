//! The scheduler ends ignores whose duration is over, once, whichever node runs it.

use std::sync::Arc;

use chrono::Utc;
use faultline::scheduler::tick;
use faultline_commands::ingest::{Ingestor, IngestorConfig};
use faultline_commands::CommandBus;
use faultline_domain::issue::{IgnoreDetails, Issue, IssueCommand};
use faultline_domain::metadata::EventMetadata;
use serde_json::json;

/// Ignores issue `stream` of `organization` for an hour, two hours ago: the ignore is
/// due to end now.
pub(crate) async fn ignore_an_hour_two_hours_ago(
    bus: &CommandBus,
    organization: Option<i64>,
    stream: &str,
) {
    let two_hours_ago = Utc::now() - chrono::Duration::hours(2);
    bus.execute_in::<Issue>(
        organization,
        stream,
        IssueCommand::Ignore {
            details: IgnoreDetails {
                duration_minutes: Some(60),
                ..IgnoreDetails::default()
            },
            at: two_hours_ago,
            actor: Some("user:1".into()),
        },
        &EventMetadata::system("test", two_hours_ago),
    )
    .await
    .unwrap();
}

use crate::helpers::{create_user, fresh_database, project_with_key, Api, TestServer};
use crate::issues::{django_error, job};

#[tokio::test]
async fn an_ignore_whose_duration_is_over_ends_once_and_the_issue_escalates() {
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let api = Api::new(&server, &create_user(&url, "ops@example.test", false));
    let project = project_with_key(&api, "acme", "backend").await;
    let org_id: i64 = api.get_ok("/api/0/organizations/acme/").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (ingestor, _task) = Ingestor::start(pool.clone(), IngestorConfig::default());
    ingestor
        .submit(job(
            org_id,
            project.project_id,
            django_error(&format!("{:032x}", 1), 1, "KeyError", "sku", "1"),
        ))
        .await
        .unwrap();
    let stream: String =
        sqlx::query_scalar("SELECT aggregate_id FROM events WHERE event_type = 'IssueCreated'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let bus = Arc::new(CommandBus::new(pool.clone()));
    ignore_an_hour_two_hours_ago(&bus, None, &stream).await;
    let mut ignored = api
        .get_ok("/api/0/projects/acme/backend/issues/?query=is:ignored")
        .await;
    for _ in 0..100 {
        if ignored.as_array().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        ignored = api
            .get_ok("/api/0/projects/acme/backend/issues/?query=is:ignored")
            .await;
    }

    let (first, second) = tokio::join!(tick(&pool, &bus), tick(&pool, &bus));
    let third = tick(&pool, &bus).await.unwrap();
    let unignored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'IssueUnignored'")
            .fetch_one(&pool)
            .await
            .unwrap();

    assert_eq!(ignored.as_array().unwrap().len(), 1, "{ignored}");
    // The server's own scheduler may win the race to a tick: what matters is once.
    assert!(first.unwrap() + second.unwrap() + third <= 1);
    assert_eq!(unignored, 1);
    let mut escalated = json!(null);
    for _ in 0..100 {
        escalated = api
            .get_ok("/api/0/projects/acme/backend/issues/?query=is:unresolved")
            .await;
        if escalated.as_array().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(escalated[0]["substatus"], "escalating");
}
