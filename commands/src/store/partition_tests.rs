//! The log's partitions: every row names the organization whose data it is.

use std::sync::Arc;

use sqlx::PgPool;

use super::{migrate_below, EventLog, EventPayload, NewEvent};

fn event(stream: &str, sequence: i64, project: Option<i64>, organization_id: i64) -> NewEvent {
    NewEvent {
        aggregate_type: "issue".into(),
        aggregate_id: stream.into(),
        sequence,
        event_type: if project.is_some() {
            "EventIngested"
        } else {
            "IssueCreated"
        }
        .into(),
        event_version: "1.0".into(),
        payload: EventPayload::Json(Arc::from("{\"E\": {}}")),
        body: None,
        metadata: serde_json::json!({}),
        ingested_in: project,
        organization_id,
    }
}

/// `(table, stream, organization)` of every row of the log and of the heads.
async fn partitions(pool: &PgPool) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT 'events', aggregate_id, organization_id FROM events
         UNION ALL
         SELECT 'ingested_events', aggregate_id, organization_id FROM ingested_events
         UNION ALL
         SELECT 'stream_heads', aggregate_id, organization_id FROM stream_heads
          ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_append_writes_each_streams_organization_on_its_rows_and_its_head(pool: PgPool) {
    let log = EventLog::new(pool.clone());

    log.append(&[
        event("a", 1, None, 3),
        event("a", 2, Some(30), 3),
        event("b", 1, None, 4),
    ])
    .await
    .unwrap();

    assert_eq!(
        partitions(&pool).await,
        [
            ("events".into(), "a".into(), 3),
            ("events".into(), "b".into(), 4),
            ("ingested_events".into(), "a".into(), 3),
            ("stream_heads".into(), "a".into(), 3),
            ("stream_heads".into(), "b".into(), 4),
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn rows_written_before_partitions_take_the_organization_their_stream_was_created_in(
    pool: PgPool,
) {
    migrate_below(&pool, 39).await;
    sqlx::raw_sql(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ('organization', '5', 1, 'OrganizationCreated', '1.0',
                 '{\"OrganizationCreated\": {\"org_id\": 5}}', '{}'),
                ('organization', '5', 2, 'MemberAdded', '1.0', '{\"MemberAdded\": {}}', '{}'),
                ('issue', '9:abc', 1, 'IssueCreated', '1.0',
                 '{\"IssueCreated\": {\"org_id\": 5, \"project_id\": 9}}', '{}'),
                ('artifact_bundle', '5:sha', 1, 'BundleUploaded', '1.0',
                 '{\"BundleUploaded\": {\"bundle\": {\"org_id\": 5}}}', '{}'),
                ('user', '1', 1, 'UserCreated', '1.0', '{\"UserCreated\": {\"user_id\": 1}}', '{}');
         INSERT INTO ingested_events (project_id, aggregate_type, aggregate_id, sequence,
                                      event_type, event_version, payload, metadata)
         VALUES (9, 'issue', '9:abc', 2, 'EventIngested', '4.0', '{\"EventIngested\": {}}', '{}');
         INSERT INTO stream_heads (aggregate_type, aggregate_id, sequence)
         VALUES ('organization', '5', 2), ('issue', '9:abc', 2), ('artifact_bundle', '5:sha', 1),
                ('user', '1', 1);
         INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot,
                                payload)
         VALUES ('issue', '9:abc', 2, 1, '{\"project_id\": 9, \"times_seen\": 1}');",
    )
    .execute(&pool)
    .await
    .unwrap();

    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let snapshot: serde_json::Value =
        sqlx::query_scalar("SELECT payload FROM snapshots WHERE aggregate_id = '9:abc'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let next = EventLog::new(pool.clone())
        .append(&[event("9:abc", 3, Some(9), 5)])
        .await;

    assert!(next.is_ok(), "{next:?}");
    assert_eq!(
        partitions(&pool).await,
        [
            ("events".into(), "1".into(), 0),
            ("events".into(), "5".into(), 5),
            ("events".into(), "5".into(), 5),
            ("events".into(), "5:sha".into(), 5),
            ("events".into(), "9:abc".into(), 5),
            ("ingested_events".into(), "9:abc".into(), 5),
            ("ingested_events".into(), "9:abc".into(), 5),
            ("stream_heads".into(), "1".into(), 0),
            ("stream_heads".into(), "5".into(), 5),
            ("stream_heads".into(), "5:sha".into(), 5),
            ("stream_heads".into(), "9:abc".into(), 5),
        ]
    );
    assert_eq!(
        snapshot,
        serde_json::json!({"project_id": 9, "times_seen": 1, "org_id": 5})
    );
}

#[sqlx::test(migrations = false)]
async fn a_checkpoint_kept_before_partitions_stands_for_every_partition_the_log_has(pool: PgPool) {
    migrate_below(&pool, 40).await;
    sqlx::raw_sql(
        "INSERT INTO stream_heads (aggregate_type, aggregate_id, sequence, organization_id)
         VALUES ('user', '1', 1, 0), ('organization', '5', 2, 5), ('project', '9', 1, 5),
                ('organization', '6', 1, 6);
         INSERT INTO projection_checkpoints (name, last_tx_id, last_position, events_applied)
         VALUES ('issues', '812', 40, 33);",
    )
    .execute(&pool)
    .await
    .unwrap();

    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let checkpoints: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT organization_id, last_tx_id::text, last_position, events_applied
           FROM projection_checkpoints WHERE name = 'issues' ORDER BY organization_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    assert_eq!(
        checkpoints,
        [
            (0, "812".into(), 40, 33),
            (5, "812".into(), 40, 0),
            (6, "812".into(), 40, 0),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_unique_key_of_the_log_names_the_partition(pool: PgPool) {
    // A table distributed by organization can enforce only such keys (docs/citus.md).
    let keys: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT c.relname::text, i.indexrelid::regclass::text,
                EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                           AND a.attname = 'organization_id')
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE i.indisunique
            AND c.relname IN ('events', 'ingested_events', 'stream_heads')
          ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    assert_eq!(
        keys,
        [
            ("events".into(), "events_pkey".into(), true),
            ("events".into(), "events_stream_sequence".into(), true),
            (
                "ingested_events".into(),
                "ingested_events_pkey".into(),
                true
            ),
            ("stream_heads".into(), "stream_heads_pkey".into(), true),
        ]
    );
}
