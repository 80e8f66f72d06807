//! The alerting reactor on a real Postgres: which steps of an issue's life fire
//! which workflows, and the outbox rows they leave.

use chrono::{DateTime, Duration, TimeZone, Utc};
use faultline_domain::alert::definition::Definition;
use faultline_domain::alert::WorkflowEvent;
use faultline_domain::issue::{IssueEvent, Occurrence};
use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;

use super::AlertingReactor;
use crate::{Projection, StoredEvent};

const PROJECT: i64 = 7;
const ORG: i64 = 3;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap()
}

fn stored<E: Serialize + cqrs_es::DomainEvent>(
    position: i64,
    aggregate_type: &str,
    stream: &str,
    event: &E,
) -> StoredEvent {
    StoredEvent {
        position,
        tx_id: position,
        aggregate_type: aggregate_type.into(),
        aggregate_id: stream.into(),
        sequence: position,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::value::to_raw_value(event).unwrap(),
        body: None,
        metadata: json!({}),
        recorded_at: t0(),
        organization_id: ORG,
    }
}

/// A log being written: positions count up.
struct Log {
    next: i64,
}

impl Log {
    fn new() -> Self {
        Log { next: 1 }
    }

    fn issue(&mut self, stream: &str, event: IssueEvent) -> StoredEvent {
        self.next += 1;
        stored(self.next, "issue", stream, &event)
    }

    fn workflow(&mut self, id: i64, definition: serde_json::Value) -> StoredEvent {
        self.next += 1;
        let mut definition = definition;
        definition["projectIds"] = json!([PROJECT]);
        let definition: Definition = serde_json::from_value(definition).unwrap();
        let event = WorkflowEvent::WorkflowCreated {
            workflow_id: id,
            org_id: ORG,
            definition,
            created_by: 1,
        };
        stored(self.next, super::rules::WORKFLOW, &id.to_string(), &event)
    }
}

fn created(issue_id: i64) -> IssueEvent {
    IssueEvent::IssueCreated {
        issue_id,
        project_id: PROJECT,
        org_id: ORG,
        short_number: issue_id,
        hash: format!("h{issue_id}"),
        title: format!("ValueError: issue {issue_id}"),
        culprit: "app.views in index".into(),
        metadata: json!({}),
        issue_type: "error".into(),
        level: "error".into(),
        platform: "python".into(),
        first_seen: t0(),
    }
}

fn event(n: i64, minutes: i64, level: &str, tags: &[(&str, &str)]) -> IssueEvent {
    IssueEvent::EventIngested(Box::new(Occurrence {
        event_id: format!("{n:032x}"),
        timestamp: t0() + Duration::minutes(minutes),
        received: t0() + Duration::minutes(minutes),
        level: level.into(),
        release: None,
        environment: "production".into(),
        user_key: Some(format!("user{n}")),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        title: "ValueError".into(),
        culprit: "app.views in index".into(),
        data: serde_json::Value::Null,
    }))
}

fn webhook_workflow(
    triggers: serde_json::Value,
    filters: serde_json::Value,
    frequency: i64,
) -> serde_json::Value {
    json!({
        "name": "Tell the hook",
        "enabled": true,
        "environment": null,
        "frequencyMinutes": frequency,
        "triggers": triggers,
        "actionFilters": [{
            "logicType": "all",
            "conditions": filters,
            "actions": [{"type": "webhook",
                         "config": {"targetIdentifier": "https://hooks.example.com/x"},
                         "data": {"secret": "s3cret"}}],
        }],
        "projectIds": [],
    })
}

fn first_seen() -> serde_json::Value {
    json!({"logicType": "any-short", "conditions": [
        {"type": "first_seen_event", "comparison": true, "conditionResult": true}]})
}

async fn setup(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO organizations (id, slug, name, date_created) VALUES (3, 'acme', 'Acme', now());
         INSERT INTO projects (id, org_id, slug, name, platform, date_created)
              VALUES (7, 3, 'backend', 'Backend', 'python', now());",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Writes `events` to the log, as the write side would have before the reactor reads
/// them: the reactor reads an ingested event's head from there, in its organization's
/// partition (every event here is of organization 3 and project 7, `setup`'s).
async fn append(conn: &mut sqlx::PgConnection, events: &[StoredEvent]) {
    for event in events {
        let sql = if event.event_type == "EventIngested" {
            "INSERT INTO ingested_events (organization_id, project_id, position,
                                          aggregate_type, aggregate_id, sequence, event_type,
                                          event_version, payload, metadata, recorded_at)
             VALUES (3, 7, $1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (project_id, position, organization_id) DO NOTHING"
        } else {
            "INSERT INTO events (organization_id, position, aggregate_type, aggregate_id,
                                 sequence, event_type, event_version, payload, metadata,
                                 recorded_at)
             VALUES (3, $1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (position, organization_id) DO NOTHING"
        };
        sqlx::query(sql)
            .bind(event.position)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .bind(event.sequence)
            .bind(&event.event_type)
            .bind(&event.event_version)
            .bind(sqlx::types::Json(&event.payload))
            .bind(&event.metadata)
            .bind(event.recorded_at)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

async fn apply(pool: &PgPool, events: &[StoredEvent]) {
    let reactor = AlertingReactor::new("https://faultline.example.com/");
    let mut tx = pool.begin().await.unwrap();
    append(&mut tx, events).await;
    reactor.apply_batch(&mut tx, events).await.unwrap();
    tx.commit().await.unwrap();
}

/// `(channel, target, trigger, issue title)` of every outbox row, oldest first.
async fn outbox(pool: &PgPool) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "SELECT channel, target, payload->>'trigger', payload->'issue'->>'title'
           FROM notifications ORDER BY created_at, payload->'issue'->>'id', id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_first_seen_workflow_fires_once_for_a_new_issue_and_not_for_its_second_event(
    pool: PgPool,
) {
    setup(&pool).await;
    let mut log = Log::new();
    let rule = log.workflow(1, webhook_workflow(first_seen(), json!([]), 0));
    let batch = [
        rule,
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[])),
        log.issue("s1", event(2, 1, "error", &[])),
    ];

    apply(&pool, &batch).await;

    assert_eq!(
        outbox(&pool).await,
        [(
            "webhook".to_owned(),
            "https://hooks.example.com/x".to_owned(),
            "first_seen_event".to_owned(),
            "ValueError: issue 1".to_owned()
        )]
    );
    let (link, secret): (String, Option<String>) =
        sqlx::query_as("SELECT payload->>'url', secret FROM notifications")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        link,
        "https://faultline.example.com/organizations/acme/issues/1/"
    );
    assert_eq!(secret.as_deref(), Some("s3cret"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_applied_again_after_a_rollback_decides_the_same_single_notification(pool: PgPool) {
    setup(&pool).await;
    let mut log = Log::new();
    let rule = log.workflow(1, webhook_workflow(first_seen(), json!([]), 0));
    apply(&pool, &[rule]).await;
    let batch = [
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[])),
    ];
    let reactor = AlertingReactor::new("https://faultline.example.com");
    let mut rolled_back = pool.begin().await.unwrap();
    append(&mut rolled_back, &batch).await;
    reactor.apply_batch(&mut rolled_back, &batch).await.unwrap();
    rolled_back.rollback().await.unwrap();

    apply(&pool, &batch).await;

    assert_eq!(outbox(&pool).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_regression_workflow_fires_when_a_resolved_issue_gets_a_new_event(pool: PgPool) {
    setup(&pool).await;
    let mut log = Log::new();
    let triggers = json!({"logicType": "any-short", "conditions": [
        {"type": "regression_event", "comparison": true, "conditionResult": true}]});
    let rule = log.workflow(1, webhook_workflow(triggers, json!([]), 0));
    let opened = [
        rule,
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[])),
    ];
    apply(&pool, &opened).await;
    let quiet = outbox(&pool).await;
    let regressed = [
        log.issue(
            "s1",
            IssueEvent::IssueResolved {
                at: t0() + Duration::minutes(5),
                details: Default::default(),
                actor: None,
            },
        ),
        log.issue(
            "s1",
            IssueEvent::IssueRegressed {
                event_id: format!("{:032x}", 2),
                release: None,
                at: t0() + Duration::minutes(9),
            },
        ),
        log.issue("s1", event(2, 9, "error", &[])),
    ];

    apply(&pool, &regressed).await;

    assert!(quiet.is_empty());
    let fired = outbox(&pool).await;
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].2, "regression_event");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_frequency_filter_fires_once_the_count_in_the_interval_is_crossed(pool: PgPool) {
    setup(&pool).await;
    let mut log = Log::new();
    let every_event = json!({"logicType": "any-short", "conditions": []});
    let over_three = json!([{"type": "event_frequency_count",
        "comparison": {"value": 3, "interval": "1h"}, "conditionResult": true}]);
    let rule = log.workflow(1, webhook_workflow(every_event, over_three, 0));
    apply(&pool, &[rule, log.issue("s1", created(1))]).await;
    // Three events in one batch, then one per batch: the fourth crosses "more than 3".
    let first_three = [
        log.issue("s1", event(1, 0, "error", &[])),
        log.issue("s1", event(2, 1, "error", &[])),
        log.issue("s1", event(3, 2, "error", &[])),
    ];
    apply(&pool, &first_three).await;
    let after_three = outbox(&pool).await.len();
    apply(&pool, &[log.issue("s1", event(4, 3, "error", &[]))]).await;
    let after_four = outbox(&pool).await.len();
    // Two hours later the window holds one event again.
    apply(&pool, &[log.issue("s1", event(5, 125, "error", &[]))]).await;

    assert_eq!(after_three, 0);
    assert_eq!(after_four, 1);
    assert_eq!(outbox(&pool).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_frequency_lets_a_workflow_fire_for_an_issue_at_most_once_per_interval(pool: PgPool) {
    setup(&pool).await;
    let mut log = Log::new();
    let every_event = json!({"logicType": "any-short", "conditions": []});
    let rule = log.workflow(1, webhook_workflow(every_event, json!([]), 30));
    let batch = [
        rule,
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[])),
        log.issue("s1", event(2, 10, "error", &[])),
        log.issue("s1", event(3, 29, "error", &[])),
        log.issue("s1", event(4, 31, "error", &[])),
    ];

    apply(&pool, &batch).await;

    assert_eq!(outbox(&pool).await.len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn level_and_tag_filters_hold_and_disabled_workflows_never_fire(pool: PgPool) {
    setup(&pool).await;
    let mut log = Log::new();
    let every_event = json!({"logicType": "any-short", "conditions": []});
    let fatal_on_firefox = json!([
        {"type": "level", "comparison": {"level": 50, "match": "eq"}, "conditionResult": true},
        {"type": "tagged_event", "comparison": {"key": "browser", "match": "co", "value": "Firefox"},
         "conditionResult": true},
    ]);
    let mut disabled = webhook_workflow(every_event.clone(), json!([]), 0);
    disabled["enabled"] = json!(false);
    let batch = [
        log.workflow(1, webhook_workflow(every_event, fatal_on_firefox, 0)),
        log.workflow(2, disabled),
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[("browser", "Firefox 120")])),
        log.issue("s1", event(2, 1, "fatal", &[("browser", "Chrome 99")])),
        log.issue("s1", event(3, 2, "fatal", &[("browser", "Firefox 121")])),
    ];

    apply(&pool, &batch).await;

    let fired: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'issue'->>'count' FROM notifications WHERE workflow_id = '1'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(fired, ["3"]);
    assert_eq!(outbox(&pool).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_to_the_issue_owners_goes_to_every_member_when_nobody_is_assigned(pool: PgPool) {
    setup(&pool).await;
    sqlx::raw_sql(
        "INSERT INTO users (id, email, name, is_superuser, date_joined) VALUES
            (1, 'ann@example.com', 'Ann', false, now()), (2, 'bob@example.com', 'Bob', false, now()),
            (3, 'eve@elsewhere.com', 'Eve', false, now());
         INSERT INTO members (id, org_id, user_id, email, role, date_created) VALUES
            (10, 3, 1, 'ann@example.com', 'owner', now()), (11, 3, 2, 'bob@example.com', 'member', now()),
            (12, 4, 3, 'eve@elsewhere.com', 'owner', now());",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut log = Log::new();
    let mut rule = webhook_workflow(first_seen(), json!([]), 0);
    rule["actionFilters"][0]["actions"] = json!([{"type": "email",
        "config": {"targetType": "issue_owners"}, "data": {"fallthroughType": "AllMembers"}}]);
    let batch = [
        log.workflow(1, rule),
        log.issue("s1", created(1)),
        log.issue("s1", event(1, 0, "error", &[])),
    ];

    apply(&pool, &batch).await;

    let targets: Vec<String> = sqlx::query_scalar(
        "SELECT target FROM notifications WHERE channel = 'email' ORDER BY target",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(targets, ["ann@example.com", "bob@example.com"]);
}
