//! The log's two tables: ingested events in `ingested_events`, everything else in
//! `events`, one order and one optimistic concurrency over both.

use std::sync::Arc;

use sqlx::PgPool;

use super::{migrate_below, EventLog, EventPayload, NewEvent};
use crate::error::StoreError;

fn issue_event(stream: &str, sequence: i64, event_type: &str, project: Option<i64>) -> NewEvent {
    NewEvent {
        aggregate_type: "issue".into(),
        aggregate_id: stream.into(),
        sequence,
        event_type: event_type.into(),
        event_version: "1.0".into(),
        payload: EventPayload::Json(Arc::from(format!("{{\"{event_type}\":{{}}}}"))),
        body: None,
        metadata: serde_json::json!({"actor": "system:test"}),
        ingested_in: project,
        organization_id: 7,
    }
}

/// `(table, sequence, event type)` of a stream's rows in log order.
async fn rows_of(pool: &PgPool, stream: &str) -> Vec<(String, i64, String)> {
    sqlx::query_as(
        "SELECT source, sequence, event_type FROM (
             SELECT 'events' AS source, sequence, event_type, tx_id, position FROM events
              WHERE aggregate_id = $1
             UNION ALL
             SELECT 'ingested_events', sequence, event_type, tx_id, position FROM ingested_events
              WHERE aggregate_id = $1) AS rows
          ORDER BY tx_id, position",
    )
    .bind(stream)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_issues_occurrences_go_to_the_ingested_table_in_stream_order(pool: PgPool) {
    let log = EventLog::new(pool.clone());

    log.append(&[
        issue_event("i-1", 1, "IssueCreated", None),
        issue_event("i-1", 2, "EventIngested", Some(7)),
        issue_event("i-1", 3, "IssueRegressed", None),
        issue_event("i-1", 4, "EventIngested", Some(7)),
    ])
    .await
    .unwrap();
    let loaded = log.stream("issue", "i-1", 0, None).await.unwrap();

    assert_eq!(
        rows_of(&pool, "i-1").await,
        [
            ("events".into(), 1, "IssueCreated".into()),
            ("ingested_events".into(), 2, "EventIngested".into()),
            ("events".into(), 3, "IssueRegressed".into()),
            ("ingested_events".into(), 4, "EventIngested".into()),
        ]
    );
    let sequences: Vec<i64> = loaded.iter().map(|row| row.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    let project: i64 = sqlx::query_scalar("SELECT DISTINCT project_id FROM ingested_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(project, 7);
}

#[sqlx::test(migrations = "../migrations")]
async fn writers_of_one_stream_conflict_across_the_two_tables(pool: PgPool) {
    let log = EventLog::new(pool.clone());
    log.append(&[issue_event("i-1", 1, "IssueCreated", None)])
        .await
        .unwrap();

    // Both read sequence 1: an occurrence wins, the workflow event that comes second
    // conflicts, though its row would go to the other table.
    let occurrence = log
        .append(&[issue_event("i-1", 2, "EventIngested", Some(7))])
        .await;
    let resolve = log
        .append(&[issue_event("i-1", 2, "IssueResolved", None)])
        .await;
    let second_occurrence = log
        .append(&[issue_event("i-1", 2, "EventIngested", Some(7))])
        .await;
    let new_stream_taken = log
        .append(&[issue_event("i-1", 1, "IssueCreated", None)])
        .await;

    assert!(occurrence.is_ok());
    assert!(
        matches!(resolve, Err(StoreError::Conflict { .. })),
        "{resolve:?}"
    );
    assert!(
        matches!(second_occurrence, Err(StoreError::Conflict { .. })),
        "{second_occurrence:?}"
    );
    assert!(
        matches!(new_stream_taken, Err(StoreError::Conflict { .. })),
        "{new_stream_taken:?}"
    );
    assert_eq!(rows_of(&pool, "i-1").await.len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn partitions_are_made_ahead_of_the_log_and_take_its_rows(pool: PgPool) {
    let log = EventLog::new(pool.clone());
    // The log about to leave the first partition (positions 1 to 1,000,000).
    sqlx::query("SELECT setval('events_position_seq', 999990)")
        .execute(&pool)
        .await
        .unwrap();

    let made: i32 = sqlx::query_scalar("SELECT ensure_ingested_partitions(1000000)")
        .fetch_one(&pool)
        .await
        .unwrap();
    let again: i32 = sqlx::query_scalar("SELECT ensure_ingested_partitions(1000000)")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut batch = vec![issue_event("i-1", 1, "IssueCreated", None)];
    batch.extend((2..=30).map(|sequence| issue_event("i-1", sequence, "EventIngested", Some(7))));
    log.append(&batch).await.unwrap();
    let placed: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tableoid::regclass::text, count(*) FROM ingested_events GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let partitions: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, lower, upper FROM ingested_partitions ORDER BY lower")
            .fetch_all(&pool)
            .await
            .unwrap();

    assert_eq!(made, 1);
    assert_eq!(again, 0);
    assert_eq!(
        partitions,
        [
            ("ingested_events_p1".to_owned(), 1, 1_000_000),
            ("ingested_events_p1000000".into(), 1_000_000, 2_000_000),
        ]
    );
    assert_eq!(
        placed,
        [
            ("ingested_events_p1".into(), 8),
            ("ingested_events_p1000000".into(), 21),
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn ingested_events_recorded_before_the_split_move_unchanged(pool: PgPool) {
    migrate_below(&pool, 27).await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, body, recorded_at)
         VALUES ('issue', 'i-old', 1, 'IssueCreated', '1.0',
                 '{\"IssueCreated\": {\"project_id\": 7}}', '{}', NULL, '2026-01-02T03:04:05Z'),
                ('issue', 'i-old', 2, 'EventIngested', '4.0',
                 '{\"EventIngested\": {\"event_id\": \"e1\", \"data\": null}}', '{}',
                 '\\x0102'::bytea, '2026-01-02T03:04:06Z'),
                ('project', 'p-7', 1, 'ProjectCreated', '1.0', '{\"ProjectCreated\": {}}', '{}',
                 NULL, '2026-01-02T03:04:07Z'),
                -- Deleted, then reopened by its fingerprint: a second IssueCreated.
                ('issue', 'i-old', 3, 'IssueDeleted', '1.0', '{\"IssueDeleted\": {}}', '{}',
                 NULL, '2026-01-02T03:04:08Z'),
                ('issue', 'i-old', 4, 'IssueCreated', '1.0',
                 '{\"IssueCreated\": {\"project_id\": 7}}', '{}', NULL, '2026-01-02T03:04:09Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let old: (i64, i64, String, Vec<u8>) = sqlx::query_as(
        "SELECT position, tx_id::text::bigint, recorded_at::text, body FROM events
          WHERE event_type = 'EventIngested'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let moved: (i64, i64, i64, String, Vec<u8>) = sqlx::query_as(
        "SELECT project_id, position, tx_id::text::bigint, recorded_at::text, body
           FROM ingested_events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT event_type FROM events ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap();
    let heads: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence FROM stream_heads ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let next = EventLog::new(pool.clone())
        .append(&[issue_event("i-old", 5, "EventIngested", Some(7))])
        .await;

    assert_eq!(moved, (7, old.0, old.1, old.2, old.3));
    assert_eq!(
        left,
        [
            "IssueCreated",
            "ProjectCreated",
            "IssueDeleted",
            "IssueCreated"
        ]
    );
    assert_eq!(
        heads,
        [
            ("issue".to_owned(), "i-old".to_owned(), 4),
            ("project".to_owned(), "p-7".to_owned(), 1),
        ]
    );
    assert!(next.is_ok(), "{next:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_partition_keeps_bodies_inline_and_uncompressed(pool: PgPool) {
    sqlx::query("SELECT setval('events_position_seq', 999990)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("SELECT ensure_ingested_partitions(1000000)")
        .execute(&pool)
        .await
        .unwrap();

    let settings: Vec<(String, Option<Vec<String>>, String)> = sqlx::query_as(
        "SELECT c.relname::text, c.reloptions::text[], a.attstorage::text
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'body'
          WHERE i.inhparent = 'ingested_events'::regclass
          ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    assert_eq!(settings.len(), 3, "{settings:?}");
    for (name, options, storage) in settings {
        assert_eq!(
            options,
            Some(vec!["toast_tuple_target=8160".to_owned()]),
            "{name}"
        );
        assert_eq!(storage, "e", "{name}");
    }
}

#[sqlx::test(migrations = false)]
async fn check_ins_recorded_before_they_were_ingested_data_move_unchanged(pool: PgPool) {
    migrate_below(&pool, 37).await;
    let created = |project: i64| {
        format!("{{\"MonitorCreated\": {{\"project_id\": {project}, \"slug\": \"backup\"}}}}")
    };
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, recorded_at)
         VALUES ('monitor', '1:backup', 1, 'MonitorCreated', '1.0', $1::jsonb, '{}',
                 '2026-01-02T03:04:05Z'),
                ('monitor', '1:backup', 2, 'CheckInRecorded', '1.0',
                 '{\"CheckInRecorded\": {}}', '{}', '2026-01-02T03:04:06Z'),
                ('monitor', '1:backup', 3, 'IncidentOpened', '1.0',
                 '{\"IncidentOpened\": {}}', '{}', '2026-01-02T03:04:06Z'),
                -- Deleted, then created again in another project.
                ('monitor', '1:backup', 4, 'MonitorDeleted', '1.0', '{\"MonitorDeleted\": {}}',
                 '{}', '2026-01-02T03:04:07Z'),
                ('monitor', '1:backup', 5, 'MonitorCreated', '1.0', $2::jsonb, '{}',
                 '2026-01-02T03:04:08Z'),
                ('monitor', '1:backup', 6, 'CheckInCompleted', '1.0',
                 '{\"CheckInCompleted\": {}}', '{}', '2026-01-02T03:04:09Z')",
    )
    .bind(created(7))
    .bind(created(8))
    .execute(&pool)
    .await
    .unwrap();
    let old: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT position, tx_id::text::bigint, recorded_at::text FROM events
          WHERE event_type LIKE 'CheckIn%' ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let moved: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT project_id, position, tx_id::text::bigint, recorded_at::text
           FROM ingested_events ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT event_type FROM events ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap();
    let occurrence_as_check_in = EventLog::new(pool.clone())
        .append(&[NewEvent {
            aggregate_type: "monitor".into(),
            event_type: "EventIngested".into(),
            ..issue_event("1:backup", 7, "EventIngested", Some(8))
        }])
        .await;

    assert_eq!(
        moved,
        [
            (7, old[0].0, old[0].1, old[0].2.clone()),
            (8, old[1].0, old[1].1, old[1].2.clone()),
        ]
    );
    assert_eq!(
        left,
        [
            "MonitorCreated",
            "IncidentOpened",
            "MonitorDeleted",
            "MonitorCreated"
        ]
    );
    let refused = format!("{:?}", occurrence_as_check_in.unwrap_err());
    assert!(refused.contains("ingested_events_kind"), "{refused}");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_append_wakes_the_tailers_of_each_type_and_partition_it_writes_once_at_commit(
    pool: PgPool,
) {
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener.listen("faultline_events").await.unwrap();
    let log = EventLog::new(pool.clone());
    let check_in = NewEvent {
        aggregate_type: "monitor".into(),
        event_type: "CheckInRecorded".into(),
        ..issue_event("1:backup", 1, "CheckInRecorded", Some(7))
    };

    log.append(&[check_in]).await.unwrap();
    let first = listener.recv().await.unwrap().payload().to_owned();
    log.append(&[
        issue_event("i-1", 1, "IssueCreated", None),
        issue_event("i-1", 2, "EventIngested", Some(7)),
        issue_event("i-2", 1, "IssueCreated", None),
        NewEvent {
            organization_id: 8,
            ..issue_event("i-3", 1, "IssueCreated", None)
        },
    ])
    .await
    .unwrap();
    let mut second = vec![
        listener.recv().await.unwrap().payload().to_owned(),
        listener.recv().await.unwrap().payload().to_owned(),
    ];
    second.sort();
    let nothing_more =
        tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;

    assert_eq!(first, "monitor 7");
    assert_eq!(second, ["issue 7", "issue 8"]);
    assert!(nothing_more.is_err(), "{nothing_more:?}");
}
