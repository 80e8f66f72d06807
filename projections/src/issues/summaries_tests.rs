//! A summary stands in for the occurrences it covers: folded after a drop (without
//! them) it gives the rows folding them gave.

use chrono::Duration;
use faultline_domain::issue::{
    issue_stream_id, IssueEvent, Occurrence, OccurrenceSummary, SummaryPart,
};
use serde_json::Value;
use sqlx::PgPool;

use super::tests::{clear, created, dump, stored, t0};
use super::IssuesProjection;
use crate::{Projection, StoredEvent};

fn occurrence(n: i64, minutes: i64, level: &str, user: &str, release: &str) -> Occurrence {
    Occurrence {
        event_id: format!("{n:032x}"),
        timestamp: t0() + Duration::minutes(minutes),
        received: t0() + Duration::minutes(minutes),
        level: level.into(),
        release: Some(release.into()),
        environment: "production".into(),
        user_key: Some(user.into()),
        tags: vec![
            ("level".to_owned(), level.to_owned()),
            ("release".to_owned(), release.to_owned()),
        ],
        title: "ValueError: x".into(),
        culprit: "app.views in index".into(),
        data: Value::Null,
    }
}

fn ingested(occurrence: &Occurrence) -> IssueEvent {
    IssueEvent::EventIngested(Box::new(occurrence.clone()))
}

fn summarized(below: i64, issue_id: i64, occurrences: &[&Occurrence]) -> IssueEvent {
    IssueEvent::OccurrencesSummarized {
        below,
        project_id: 7,
        parts: vec![SummaryPart {
            issue_id,
            summary: OccurrenceSummary::of(occurrences.iter().copied()).unwrap(),
        }],
        times_seen: 0,
        last_seen: None,
        ignore: None,
        at: t0(),
    }
}

async fn fold(pool: &PgPool, events: &[StoredEvent]) {
    let mut conn = pool.acquire().await.unwrap();
    for event in events {
        IssuesProjection::live()
            .apply_batch(&mut conn, std::slice::from_ref(event))
            .await
            .unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_summary_folded_without_its_events_gives_the_rows_the_events_gave(pool: PgPool) {
    let (a, b, c) = (
        issue_stream_id(7, "a"),
        issue_stream_id(7, "b"),
        issue_stream_id(7, "c"),
    );
    let a1 = occurrence(1, 0, "error", "id:1", "shop@1");
    let b1 = occurrence(2, 5, "fatal", "id:9", "shop@1");
    let a2 = occurrence(3, -3, "warning", "id:2", "shop@2");
    let c1 = occurrence(4, 7, "error", "id:5", "shop@1");
    let a3 = occurrence(5, 30, "info", "id:1", "shop@2");
    let a4 = occurrence(6, 40, "error", "id:3", "shop@2");
    // Positions below 200 are the dropped partition's; c is deleted before the drop.
    let before = [
        stored(100, &a, &created(1, "a")),
        stored(101, &a, &ingested(&a1)),
        stored(102, &b, &created(2, "b")),
        stored(103, &b, &ingested(&b1)),
        stored(104, &a, &ingested(&a2)),
        stored(105, &c, &created(3, "c")),
        stored(106, &c, &ingested(&c1)),
    ];
    let permanent = [100, 102, 105];
    let after = [
        stored(
            200,
            &c,
            &IssueEvent::IssueDeleted {
                issue_id: 3,
                at: t0(),
                actor: None,
            },
        ),
        stored(201, &a, &ingested(&a3)),
        stored(300, &a, &summarized(200, 1, &[&a1, &a2])),
        stored(301, &b, &summarized(200, 2, &[&b1])),
        stored(302, &c, &summarized(200, 3, &[&c1])),
        stored(303, &a, &ingested(&a4)),
    ];

    // Live: the occurrences, then their summaries while they are still in the log.
    fold(&pool, &before).await;
    fold(&pool, &after).await;
    let live = dump(&pool).await;

    // Rebuilt after the drop: the permanent events below the horizon, then the rest.
    clear(&pool).await;
    sqlx::query(
        "INSERT INTO dropped_partitions (name, lower, upper, events, bytes)
         VALUES ('ingested_events_p1', 1, 200, 4, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let kept: Vec<StoredEvent> = before
        .iter()
        .filter(|event| permanent.contains(&event.position))
        .cloned()
        .collect();
    fold(&pool, &kept).await;
    fold(&pool, &after).await;
    let rebuilt = dump(&pool).await;

    assert_eq!(rebuilt, live);
    assert_eq!(live["issues"][0]["times_seen"], 4, "{live}");
    assert_eq!(live["issues"][0]["user_count"], 3, "{live}");
    assert_eq!(live["issues"][0]["level"], "error", "{live}");
    assert_eq!(live["issues"][1]["level"], "fatal", "{live}");
    assert_eq!(live["issue_events"].as_array().unwrap().len(), 2, "{live}");
    assert_eq!(live["release_environments"][0]["times_seen"], 3, "{live}");
}
