//! Event store tests on a real Postgres (a fresh database per test).

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventStore};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{AggregateStore, EventLog, NewEvent, Placed};
use crate::error::StoreError;
use crate::placement::Placement;

/// A counter's events: kept for good, in the partition of no organization.
const NOWHERE: Placed<'static> = Placed {
    ingested_in: &[],
    organization_id: 0,
};

/// A counter: the smallest aggregate whose state shows a double-applied event.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Counter {
    count: u64,
}

impl Placement for Counter {
    fn organization(&self) -> i64 {
        0
    }
}

#[derive(Debug, Clone)]
enum CounterCommand {
    Add(u64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum CounterEvent {
    Added { by: u64 },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> String {
        "Added".to_owned()
    }
    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

impl Aggregate for Counter {
    const TYPE: &'static str = "counter";
    type Command = CounterCommand;
    type Event = CounterEvent;
    type Error = Never;
    type Services = ();

    async fn handle(
        &mut self,
        command: CounterCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Never> {
        let CounterCommand::Add(n) = command;
        for _ in 0..n {
            sink.write(CounterEvent::Added { by: 1 }, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CounterEvent) {
        let CounterEvent::Added { by } = event;
        self.count += by;
    }
}

fn metadata() -> HashMap<String, String> {
    HashMap::from([("actor".to_owned(), "system:test".to_owned())])
}

async fn add(store: &AggregateStore<Counter>, id: &str, n: u64) {
    let mut context = store.load(id, None).await.unwrap();
    let sink = EventSink::default();
    context
        .aggregate
        .handle(CounterCommand::Add(n), &(), &sink)
        .await
        .unwrap();
    store
        .append(sink.collect().await, &context, metadata(), &[], NOWHERE)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn appended_events_load_back_in_sequence(pool: PgPool) {
    let store = AggregateStore::<Counter>::new(EventLog::new(pool));
    add(&store, "c-1", 3).await;
    add(&store, "c-1", 2).await;

    let loaded = store.load("c-1", None).await.unwrap();
    let events = store.load_events("c-1").await.unwrap();

    assert_eq!(loaded.aggregate.count, 5);
    assert_eq!(loaded.current_sequence, 5);
    let sequences: Vec<usize> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, vec![1, 2, 3, 4, 5]);
    assert_eq!(events[0].metadata["actor"], "system:test");
}

#[sqlx::test(migrations = "../migrations")]
async fn one_commit_is_one_transaction_with_increasing_positions(pool: PgPool) {
    let log = EventLog::new(pool);
    let events: Vec<NewEvent> = (1..=4)
        .map(|sequence| NewEvent {
            aggregate_type: "counter".into(),
            aggregate_id: "c-1".into(),
            sequence,
            event_type: "Added".into(),
            event_version: "1.0".into(),
            payload: serde_json::json!({"Added": {"by": 1}}).into(),
            body: None,
            metadata: serde_json::json!({}),
            ingested_in: None,
            organization_id: 0,
        })
        .collect();

    let positions = log.append(&events).await.unwrap();

    assert_eq!(positions.len(), 4);
    assert!(positions.windows(2).all(|w| w[0].position < w[1].position));
    assert!(positions.iter().all(|p| p.tx_id == positions[0].tx_id));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stale_writer_gets_a_typed_conflict_and_writes_nothing(pool: PgPool) {
    let store = AggregateStore::<Counter>::new(EventLog::new(pool.clone()));
    add(&store, "c-1", 1).await;
    let stale = store.load("c-1", None).await.unwrap();
    add(&store, "c-1", 1).await;

    let result = store
        .append(
            vec![CounterEvent::Added { by: 1 }, CounterEvent::Added { by: 1 }],
            &stale,
            metadata(),
            &[],
            NOWHERE,
        )
        .await;

    assert!(matches!(result, Err(StoreError::Conflict { .. })));
    let through_trait = store
        .commit(vec![CounterEvent::Added { by: 1 }], stale, metadata())
        .await;
    assert!(matches!(
        through_trait,
        Err(AggregateError::AggregateConflict)
    ));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_snapshot_holds_each_event_once(pool: PgPool) {
    let store = AggregateStore::<Counter>::new(EventLog::new(pool.clone())).with_snapshots(10);
    for _ in 0..11 {
        add(&store, "c-1", 10).await;
    }
    add(&store, "c-1", 5).await;

    let (snapshot, last_sequence): (serde_json::Value, i64) =
        sqlx::query_as("SELECT payload, last_sequence FROM snapshots WHERE aggregate_id = 'c-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let loaded = store.load("c-1", None).await.unwrap();

    // The last commit (110 → 115) crossed no multiple of 10: snapshot at 110 + 5 events.
    assert_eq!(last_sequence, 110);
    assert_eq!(snapshot["count"], 110);
    assert_eq!(loaded.aggregate.count, 115);
    assert_eq!(loaded.current_sequence, 115);
}

#[sqlx::test(migrations = "../migrations")]
async fn events_cannot_be_updated_or_deleted(pool: PgPool) {
    let store = AggregateStore::<Counter>::new(EventLog::new(pool.clone()));
    add(&store, "c-1", 1).await;

    let update = sqlx::query("UPDATE events SET payload = '{}'")
        .execute(&pool)
        .await;
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;

    assert!(update.is_err());
    assert!(delete.is_err());
}

#[sqlx::test(migrations = "../migrations")]
async fn postgres_es_loads_an_aggregate_from_our_table(pool: PgPool) {
    let ours = AggregateStore::<Counter>::new(EventLog::new(pool.clone()));
    add(&ours, "c-1", 7).await;
    let repository =
        postgres_es::PostgresEventRepository::new(pool.clone()).with_tables("events", "snapshots");
    let theirs = PersistedEventStore::<_, Counter>::new_event_store(repository);

    let mut context = theirs.load_aggregate("c-1").await.unwrap();
    let events = theirs.load_events("c-1").await.unwrap();

    assert_eq!(cqrs_es::AggregateContext::aggregate(&mut context).count, 7);
    assert_eq!(events.len(), 7);

    // And the other way round: what postgres-es appends, we load (with positions).
    theirs
        .commit(vec![CounterEvent::Added { by: 5 }], context, metadata())
        .await
        .unwrap();
    let loaded = ours.load("c-1", None).await.unwrap();
    assert_eq!(loaded.aggregate.count, 12);
    let max_position: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(max_position, 8);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_upcaster_loads_an_old_event_shape(pool: PgPool) {
    // Version 0.9 of `Added` called its field `amount`; 1.0 calls it `by`.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('counter', 'c-old', 1, 'Added', '0.9', '{\"Added\": {\"amount\": 4}}', '{}')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let upcaster = cqrs_es::persist::SemanticVersionEventUpcaster::new(
        "Added",
        "1.0.0",
        Box::new(|mut payload: serde_json::Value| {
            let amount = payload["Added"]["amount"].take();
            serde_json::json!({ "Added": { "by": amount } })
        }),
    );
    let store = AggregateStore::<Counter>::new(EventLog::new(pool))
        .with_upcasters(vec![Box::new(upcaster)]);

    let loaded = store.load("c-old", None).await.unwrap();

    assert_eq!(loaded.aggregate.count, 4);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_issue_loads_a_comment_stored_by_an_older_binary(pool: PgPool) {
    use faultline_domain::issue::{Issue, IssueEvent};
    let created = IssueEvent::IssueCreated {
        issue_id: 1,
        project_id: 7,
        org_id: 3,
        short_number: 1,
        hash: "h".into(),
        title: "ValueError: x".into(),
        culprit: "app".into(),
        metadata: serde_json::json!({}),
        issue_type: "error".into(),
        level: "error".into(),
        platform: "python".into(),
        first_seen: chrono::Utc::now(),
    };
    // CommentAdded 1.0, as written before the author became `author_id`.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('issue', 'i-old', 1, 'IssueCreated', '1.0', $1, '{}'),
                ('issue', 'i-old', 2, 'CommentAdded', '1.0',
                 '{\"CommentAdded\": {\"comment_id\": 10, \"user_id\": 5, \"text\": \"on it\", \"at\": \"2026-01-10T12:00:00Z\"}}',
                 '{}')",
    )
    .bind(serde_json::to_value(&created).unwrap())
    .execute(&pool)
    .await
    .unwrap();

    let loaded = AggregateStore::<Issue>::new(EventLog::new(pool))
        .load("i-old", None)
        .await
        .unwrap();

    let state = serde_json::to_value(&loaded.aggregate).unwrap();
    assert_eq!(
        state["comments"]["10"],
        serde_json::json!({"author": 5, "text": "on it"})
    );
}
