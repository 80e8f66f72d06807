//! The audit projection on a real Postgres: which events become rows, how they are
//! named, and that a rebuild from position 0 gives the same rows.

use chrono::{DateTime, Utc};
use faultline_domain::alert::WorkflowEvent;
use faultline_domain::issue::{issue_stream_id, Assignee, IssueEvent, Occurrence};
use faultline_domain::organization::OrganizationEvent;
use faultline_domain::project::ProjectEvent;
use faultline_domain::role::OrgRole;
use faultline_domain::service_hook::ServiceHookEvent;
use faultline_domain::slug::Slug;
use faultline_domain::user::UserEvent;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::AuditLogProjection;
use crate::test_support::{self, stored, t0};
use crate::{Projection, StoredEvent};

fn slug(s: &str) -> Slug {
    s.parse().unwrap()
}

/// Alice (user 1, token 9) sets up org 3 with team `backend` and project `api`
/// (id 7) and a key; an event opens issue 11 (`API-B`), which her token resolves
/// and she assigns to herself.
fn history() -> Vec<StoredEvent> {
    let stream = issue_stream_id(7, "h");
    let user = ("user", "1");
    let org = ("organization", "3");
    let project = ("project", "7");
    let issue = ("issue", stream.as_str());
    vec![
        stored(
            1,
            user,
            "system:cli",
            UserEvent::UserCreated {
                user_id: 1,
                email: "alice@acme.test".into(),
                name: "Alice".into(),
                is_superuser: false,
                at: t0(),
            },
        ),
        stored(
            2,
            user,
            "system:cli",
            UserEvent::TokenIssued {
                token_id: 9,
                token_hash: "00".into(),
                scopes: Default::default(),
                name: None,
                at: t0(),
            },
        ),
        stored(
            3,
            org,
            "user:1",
            OrganizationEvent::OrganizationCreated {
                org_id: 3,
                name: "Acme".into(),
                slug: slug("acme"),
                at: t0(),
            },
        ),
        stored(
            4,
            org,
            "user:1",
            OrganizationEvent::MemberAdded {
                member_id: 5,
                user_id: 1,
                email: "alice@acme.test".into(),
                role: OrgRole::Owner,
                at: t0(),
            },
        ),
        stored(
            5,
            org,
            "user:1",
            OrganizationEvent::TeamCreated {
                team_id: 4,
                slug: slug("backend"),
                name: "Backend".into(),
                at: t0(),
            },
        ),
        stored(
            6,
            project,
            "user:1",
            ProjectEvent::ProjectCreated {
                project_id: 7,
                org_id: 3,
                slug: slug("api"),
                name: "API".into(),
                platform: Some("python".into()),
                team_id: Some(4),
                at: t0(),
            },
        ),
        stored(
            7,
            project,
            "user:1",
            ProjectEvent::ClientKeyCreated {
                public_key: "ab12".into(),
                secret_key: "secret".into(),
                label: "Default".into(),
                rate_limit: None,
                at: t0(),
            },
        ),
        stored(
            8,
            issue,
            "key:ab12",
            IssueEvent::IssueCreated {
                issue_id: 11,
                project_id: 7,
                org_id: 3,
                short_number: 11,
                hash: "h".into(),
                title: "ValueError: x".into(),
                culprit: "app".into(),
                metadata: json!({}),
                issue_type: "error".into(),
                level: "error".into(),
                platform: "python".into(),
                first_seen: t0(),
            },
        ),
        stored(
            9,
            issue,
            "key:ab12",
            IssueEvent::EventIngested(Box::new(Occurrence {
                event_id: "e".repeat(32),
                timestamp: t0(),
                received: t0(),
                level: "error".into(),
                release: None,
                environment: "production".into(),
                user_key: None,
                tags: vec![],
                title: "ValueError: x".into(),
                culprit: "app".into(),
                data: json!({"large": "payload"}),
            })),
        ),
        stored(
            10,
            issue,
            "token:9",
            IssueEvent::IssueResolved {
                at: t0(),
                details: Default::default(),
                actor: Some("user:1".into()),
            },
        ),
        stored(
            11,
            issue,
            "user:1",
            IssueEvent::IssueAssigned {
                assignee: Assignee::User(1),
                at: t0(),
                actor: Some("user:1".into()),
            },
        ),
        stored(
            12,
            issue,
            "user:1",
            IssueEvent::BookmarkSet {
                user_id: 1,
                bookmarked: true,
                at: t0(),
            },
        ),
    ]
}

async fn apply_all(pool: &PgPool, events: &[StoredEvent]) {
    test_support::apply_all(&AuditLogProjection, pool, events).await;
}

async fn dump(pool: &PgPool) -> Value {
    test_support::dump(&AuditLogProjection, pool).await
}

type Row = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
);

#[sqlx::test(migrations = "../migrations")]
async fn changes_become_rows_named_as_in_sentry_and_ingestion_does_not(pool: PgPool) {
    apply_all(&pool, &history()).await;

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, org_id, event, actor, actor_user_id, ip_address, note, target_object,
                target_user_id
           FROM audit_log ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let row = |id, event: &str, actor: &str, note: &str, target, target_user| {
        (
            id,
            3,
            event.to_owned(),
            actor.to_owned(),
            Some(1),
            Some("10.0.0.1".to_owned()),
            note.to_owned(),
            target,
            target_user,
        )
    };
    assert_eq!(
        rows,
        vec![
            row(
                3,
                "org.create",
                "user:1",
                "created the organization",
                Some(3),
                None
            ),
            row(
                4,
                "member.add",
                "user:1",
                "added member alice@acme.test",
                Some(5),
                Some(1)
            ),
            row(
                5,
                "team.create",
                "user:1",
                "created team backend",
                Some(4),
                None
            ),
            row(
                6,
                "project.create",
                "user:1",
                "created project api",
                Some(7),
                None
            ),
            row(
                7,
                "projectkey.create",
                "user:1",
                "added project key ab12",
                None,
                None
            ),
            // A token acts for its user.
            row(
                10,
                "issue.resolve",
                "token:9",
                "resolved issue API-B",
                Some(11),
                None
            ),
            row(
                11,
                "issue.assign",
                "user:1",
                "assigned issue API-B to alice@acme.test",
                Some(11),
                Some(1)
            ),
        ]
    );

    let (data, date): (Value, DateTime<Utc>) =
        sqlx::query_as("SELECT data, date_created FROM audit_log WHERE id = 7")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        data,
        json!({"public_key": "ab12", "label": "Default", "rate_limit": null,
               "project_id": 7, "project_slug": "api"})
    );
    assert_eq!(date, t0() + chrono::Duration::seconds(7));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_from_position_zero_gives_identical_rows(pool: PgPool) {
    let events = history();
    apply_all(&pool, &events).await;
    let live = dump(&pool).await;

    // Applying the same events again (a retried batch) changes nothing.
    apply_all(&pool, &events).await;
    assert_eq!(dump(&pool).await, live);

    test_support::assert_rebuilds_identically(&AuditLogProjection, &pool, &events).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_occurrence_is_read_without_its_payload(pool: PgPool) {
    for event in history().iter().filter(|e| e.aggregate_type == "issue") {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence)
        .bind(&event.event_type)
        .bind(&event.event_version)
        .bind(sqlx::types::Json(&event.payload))
        .bind(&event.metadata)
        .execute(&pool)
        .await
        .unwrap();
    }
    // The expression alone: reading through `read_after` would also wait for the
    // transaction horizon, which tests running beside this one hold back.
    let read: Vec<(String, Value)> = sqlx::query_as(&format!(
        "SELECT event_type, {} FROM events ORDER BY position",
        AuditLogProjection.payload_sql()
    ))
    .fetch_all(&pool)
    .await
    .unwrap();
    let payloads: Vec<(&str, bool)> = read
        .iter()
        .map(|(event_type, payload)| (event_type.as_str(), payload.is_null()))
        .collect();
    assert_eq!(
        payloads,
        vec![
            ("IssueCreated", false),
            ("EventIngested", true),
            ("IssueResolved", false),
            ("IssueAssigned", false),
            ("BookmarkSet", false),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn alert_rules_and_service_hooks_are_named_by_name_and_url_without_secrets(pool: PgPool) {
    let hook_id = "4f9d73e63b7144ecb8944c41620a090b";
    let secret = "8fcac28aaa4c4f5fa572b61d40a8e084364db25fd37449c299e5a41c0504cbc2";
    let definition = serde_json::from_value(json!({"name": "Errors", "enabled": true,
        "environment": null, "frequencyMinutes": 0, "triggers": {"logicType": "any"},
        "actionFilters": [], "projectIds": [7]}))
    .unwrap();
    let (workflow, hook) = (("workflow", "17"), ("service_hook", hook_id));
    let mut events = history();
    events.extend([
        stored(
            20,
            workflow,
            "user:1",
            WorkflowEvent::WorkflowCreated {
                workflow_id: 17,
                org_id: 3,
                definition,
                created_by: 1,
            },
        ),
        stored(
            21,
            workflow,
            "user:1",
            WorkflowEvent::WorkflowDeleted {
                workflow_id: 17,
                org_id: 3,
            },
        ),
        stored(
            22,
            hook,
            "user:1",
            ServiceHookEvent::ServiceHookCreated {
                hook_id: hook_id.into(),
                org_id: 3,
                project_id: 7,
                url: "https://example.com/hook".into(),
                events: vec!["event.created".into()],
                secret: secret.into(),
            },
        ),
        stored(
            23,
            hook,
            "user:1",
            ServiceHookEvent::ServiceHookDeleted {
                hook_id: hook_id.into(),
                org_id: 3,
                project_id: 7,
            },
        ),
    ]);
    apply_all(&pool, &events).await;

    let rows: Vec<(i64, String, String, Option<i64>, Value)> = sqlx::query_as(
        "SELECT org_id, event, note, target_object, data FROM audit_log WHERE id >= 20 ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let hook_data = json!({"id": hook_id, "url": "https://example.com/hook", "project_id": 7,
                           "project_slug": "api"});
    let hook_note =
        |verb| format!("{verb} a service hook for \"https://example.com/hook\" in project api");
    assert_eq!(
        rows,
        vec![
            (
                3,
                "alertrule.add".into(),
                "added alert rule \"Errors\"".into(),
                Some(17),
                json!({"id": 17, "name": "Errors"})
            ),
            (
                3,
                "alertrule.remove".into(),
                "removed alert rule \"Errors\"".into(),
                Some(17),
                json!({"id": 17, "name": "Errors"})
            ),
            (
                3,
                "servicehook.add".into(),
                hook_note("added"),
                None,
                hook_data.clone()
            ),
            (
                3,
                "servicehook.remove".into(),
                hook_note("removed"),
                None,
                hook_data
            ),
        ]
    );
}
