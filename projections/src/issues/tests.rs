//! The issues projection on a real Postgres: batch folds and single events agree.

use chrono::{DateTime, Duration, TimeZone, Utc};
use faultline_domain::issue::{issue_stream_id, IssueEvent, Occurrence};
use serde_json::{json, Value};
use sqlx::PgPool;

use super::IssuesProjection;
use crate::{Projection, StoredEvent};

/// `(id, times_seen, user_count, level, status, substatus, first_seen, last_seen)`.
type IssueCounts = (
    i64,
    i64,
    i64,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap()
}

pub(super) fn stored(position: i64, stream: &str, event: &IssueEvent) -> StoredEvent {
    StoredEvent {
        position,
        tx_id: 1,
        aggregate_type: "issue".into(),
        aggregate_id: stream.into(),
        sequence: position,
        event_type: cqrs_es::DomainEvent::event_type(event),
        event_version: cqrs_es::DomainEvent::event_version(event),
        payload: serde_json::value::to_raw_value(event).unwrap(),
        body: None,
        metadata: json!({}),
        recorded_at: t0(),
        organization_id: 3,
    }
}

pub(super) fn created(issue_id: i64, hash: &str) -> IssueEvent {
    IssueEvent::IssueCreated {
        issue_id,
        project_id: 7,
        org_id: 3,
        short_number: issue_id,
        hash: hash.into(),
        title: format!("ValueError: {hash}"),
        culprit: "app.views in index".into(),
        metadata: json!({"type": "ValueError", "value": hash}),
        issue_type: "error".into(),
        level: "error".into(),
        platform: "python".into(),
        first_seen: t0(),
    }
}

fn occurrence(n: i64, minutes: i64, level: &str, user: Option<&str>) -> IssueEvent {
    let mut tags = vec![
        ("level".to_owned(), level.to_owned()),
        ("environment".to_owned(), "production".to_owned()),
    ];
    if let Some(user) = user {
        tags.push(("user".to_owned(), user.to_owned()));
    }
    IssueEvent::EventIngested(Box::new(Occurrence {
        event_id: format!("{n:032x}"),
        timestamp: t0() + Duration::minutes(minutes),
        received: t0() + Duration::minutes(minutes),
        level: level.into(),
        release: None,
        environment: "production".into(),
        user_key: user.map(str::to_owned),
        tags,
        title: "ValueError: x".into(),
        culprit: "app.views in index".into(),
        data: json!({"event_id": format!("{n:032x}")}),
    }))
}

/// Two issues: `a` with four events from two users (one resent), `b` with two events
/// and no user, then `a` resolved.
fn history() -> Vec<StoredEvent> {
    let a = issue_stream_id(7, "a");
    let b = issue_stream_id(7, "b");
    let events = [
        (&a, created(1, "a")),
        (&a, occurrence(1, 0, "error", Some("id:1"))),
        (&b, created(2, "b")),
        (&b, occurrence(2, 5, "error", None)),
        (&a, occurrence(3, 10, "error", Some("id:2"))),
        (&a, occurrence(4, -3, "warning", Some("id:1"))),
        (&b, occurrence(5, 20, "fatal", None)),
        (&a, occurrence(6, 30, "info", Some("id:2"))),
        // A resend of event 3: ignored.
        (&a, occurrence(3, 40, "error", Some("id:3"))),
        (
            &a,
            IssueEvent::IssueResolved {
                at: t0(),
                details: Default::default(),
                actor: None,
            },
        ),
    ];
    events
        .iter()
        .enumerate()
        .map(|(i, (stream, event))| stored(i as i64 + 100, stream, event))
        .collect()
}

/// The rows of the tables occurrences are folded into.
pub(super) async fn dump(pool: &PgPool) -> Value {
    let mut out = serde_json::Map::new();
    for (table, order) in [
        ("issues", "id"),
        ("issue_events", "project_id, event_id"),
        ("issue_users", "issue_id, user_key"),
        ("issue_tag_values", "issue_id, key, value"),
        ("release_environments", "project_id, release, environment"),
    ] {
        let rows: Vec<Value> = sqlx::query_scalar(&format!(
            "SELECT to_jsonb(t) FROM {table} t ORDER BY {order}"
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        out.insert(table.into(), Value::Array(rows));
    }
    Value::Object(out)
}

/// Empties the tables [`dump`] reads.
pub(super) async fn clear(pool: &PgPool) {
    sqlx::query(
        "TRUNCATE issues, issue_events, issue_users, issue_tag_values, release_environments",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_counts_events_users_and_tags_per_issue(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    IssuesProjection::live()
        .apply_batch(&mut conn, &history())
        .await
        .unwrap();

    let issues: Vec<IssueCounts> = sqlx::query_as(
        "SELECT id, times_seen, user_count, level, status, substatus, first_seen, last_seen
               FROM issues ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        issues,
        vec![
            (
                1,
                4,
                2,
                "info".to_owned(),
                "resolved".to_owned(),
                None,
                t0() - Duration::minutes(3),
                t0() + Duration::minutes(30)
            ),
            (
                2,
                2,
                0,
                "fatal".to_owned(),
                "unresolved".to_owned(),
                None,
                t0(),
                t0() + Duration::minutes(20)
            ),
        ]
    );

    let positions: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT event_id, issue_id, position FROM issue_events ORDER BY position")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        positions,
        vec![
            (format!("{:032x}", 1), 1, 101),
            (format!("{:032x}", 2), 2, 103),
            (format!("{:032x}", 3), 1, 104),
            (format!("{:032x}", 4), 1, 105),
            (format!("{:032x}", 5), 2, 106),
            (format!("{:032x}", 6), 1, 107),
        ]
    );

    let tags: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT issue_id, key, value, times_seen FROM issue_tag_values ORDER BY issue_id, key, value",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let tag =
        |issue: i64, key: &str, value: &str, n: i64| (issue, key.to_owned(), value.to_owned(), n);
    assert_eq!(
        tags,
        vec![
            tag(1, "environment", "production", 4),
            tag(1, "level", "error", 2),
            tag(1, "level", "info", 1),
            tag(1, "level", "warning", 1),
            tag(1, "user", "id:1", 2),
            tag(1, "user", "id:2", 2),
            tag(2, "environment", "production", 2),
            tag(2, "level", "error", 1),
            tag(2, "level", "fatal", 1),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn events_applied_one_by_one_give_the_same_rows_as_one_batch(pool: PgPool) {
    let events = history();
    let mut conn = pool.acquire().await.unwrap();
    IssuesProjection::live()
        .apply_batch(&mut conn, &events)
        .await
        .unwrap();
    let batched = dump(&pool).await;

    clear(&pool).await;
    for event in &events {
        IssuesProjection::live()
            .apply(&mut conn, event)
            .await
            .unwrap();
    }
    assert_eq!(dump(&pool).await, batched);

    clear(&pool).await;
    for chunk in events.chunks(3) {
        IssuesProjection::live()
            .apply_batch(&mut conn, chunk)
            .await
            .unwrap();
    }
    assert_eq!(dump(&pool).await, batched);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_regression_marks_the_issue_unresolved_and_regressed(pool: PgPool) {
    let a = issue_stream_id(7, "a");
    let events = [
        created(1, "a"),
        occurrence(1, 0, "error", None),
        IssueEvent::IssueResolved {
            at: t0(),
            details: Default::default(),
            actor: None,
        },
        IssueEvent::IssueRegressed {
            event_id: format!("{:032x}", 2),
            release: None,
            at: t0(),
        },
        occurrence(2, 1, "error", None),
    ];
    let events: Vec<StoredEvent> = events
        .iter()
        .enumerate()
        .map(|(i, e)| stored(i as i64 + 1, &a, e))
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    IssuesProjection::live()
        .apply_batch(&mut conn, &events)
        .await
        .unwrap();
    let status: (String, Option<String>, i64) =
        sqlx::query_as("SELECT status, substatus, times_seen FROM issues WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        status,
        ("unresolved".to_owned(), Some("regressed".to_owned()), 2)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_of_an_issue_never_created_is_refused(pool: PgPool) {
    let a = issue_stream_id(7, "a");
    let mut conn = pool.acquire().await.unwrap();
    let result = IssuesProjection::live()
        .apply(&mut conn, &stored(1, &a, &occurrence(1, 0, "error", None)))
        .await;
    assert!(matches!(result, Err(crate::ProjectionError::Invalid(_))));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_comment_stored_by_an_older_binary_is_projected_with_its_author(pool: PgPool) {
    let stream = issue_stream_id(7, "a");
    // CommentAdded 1.0, as written before the author became `author_id`.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                             organization_id)
         VALUES ('issue', $1, 1, 'IssueCreated', '1.0', $2, '{}', 3),
                ('issue', $1, 2, 'CommentAdded', '1.0',
                 '{\"CommentAdded\": {\"comment_id\": 10, \"user_id\": 5, \"text\": \"on it\", \"at\": \"2026-01-10T12:00:00Z\"}}',
                 '{}', 3)",
    )
    .bind(&stream)
    .bind(serde_json::to_value(created(1, "a")).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // Read as the runner reads, without its horizon (other tests' transactions on
    // the shared cluster may hold it back).
    let events: Vec<StoredEvent> = sqlx::query_as(
        "SELECT position, tx_id::text::bigint AS tx_id, aggregate_type, aggregate_id, sequence,
                event_type, event_version, payload, body, metadata, recorded_at,
                organization_id
           FROM log_events ORDER BY position",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();

    IssuesProjection::live()
        .apply_batch(&mut conn, &events)
        .await
        .unwrap();

    let comment: (i64, i64, String) =
        sqlx::query_as("SELECT issue_id, user_id, text FROM issue_comments")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(comment, (1, 5, "on it".to_owned()));
}
