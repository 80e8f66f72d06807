//! The alert rules projection on a real Postgres: what the API reads after each
//! event, scoped by organization, and that a rebuild gives the same rows.

use faultline_domain::alert::definition::{Definition, LogicType, Triggers};
use faultline_domain::alert::WorkflowEvent;
use faultline_domain::project::ProjectEvent;
use faultline_domain::service_hook::ServiceHookEvent;
use sqlx::PgPool;

use super::queries::{self, WorkflowFilter, WorkflowSort};
use super::AlertRulesProjection;
use crate::accounts::projects::ProjectsProjection;
use crate::accounts::queries::Page;
use crate::test_support::{self, apply_all, stored, t0};
use crate::StoredEvent;

const HOOK: &str = "4f9d73e63b7144ecb8944c41620a090b";
const SECRET: &str = "8fcac28aaa4c4f5fa572b61d40a8e084364db25fd37449c299e5a41c0504cbc2";
const PAGE: Page = Page {
    limit: 10,
    offset: 0,
};

fn definition(name: &str, project_ids: Vec<i64>) -> Definition {
    Definition {
        name: name.into(),
        enabled: true,
        environment: Some("production".into()),
        frequency_minutes: 30,
        triggers: Triggers {
            logic_type: LogicType::AnyShort,
            conditions: vec![],
        },
        action_filters: vec![],
        project_ids,
    }
}

/// Event `n` of workflow `id`, in its organization's partition of the log.
fn workflow(n: i64, id: i64, event: WorkflowEvent) -> StoredEvent {
    let (WorkflowEvent::WorkflowCreated { org_id, .. }
    | WorkflowEvent::WorkflowUpdated { org_id, .. }
    | WorkflowEvent::WorkflowDeleted { org_id, .. }) = event;
    StoredEvent {
        organization_id: org_id,
        ..stored(n, ("workflow", &id.to_string()), "user:1", event)
    }
}

/// Org 3 has workflows 1 ("Backend errors", project 7) and 2 ("Frontend", projects
/// 7 and 8; renamed, then disabled); org 4 has workflow 3; workflow 4 is deleted.
fn history() -> Vec<StoredEvent> {
    let created = |workflow_id, org_id, definition| WorkflowEvent::WorkflowCreated {
        workflow_id,
        org_id,
        definition,
        created_by: 1,
    };
    let mut renamed = definition("Frontend errors", vec![7, 8]);
    renamed.enabled = false;
    vec![
        workflow(1, 1, created(1, 3, definition("Backend errors", vec![7]))),
        workflow(2, 2, created(2, 3, definition("Frontend", vec![7, 8]))),
        workflow(3, 3, created(3, 4, definition("Other org", vec![9]))),
        workflow(4, 4, created(4, 3, definition("Gone", vec![]))),
        workflow(
            5,
            2,
            WorkflowEvent::WorkflowUpdated {
                workflow_id: 2,
                org_id: 3,
                definition: renamed,
            },
        ),
        workflow(
            6,
            4,
            WorkflowEvent::WorkflowDeleted {
                workflow_id: 4,
                org_id: 3,
            },
        ),
    ]
}

/// Event `n` of the hook, in organization 3's partition of the log.
fn hook(n: i64, event: ServiceHookEvent) -> StoredEvent {
    StoredEvent {
        organization_id: 3,
        ..stored(n, ("service_hook", HOOK), "user:1", event)
    }
}

fn hook_history() -> Vec<StoredEvent> {
    vec![
        hook(
            7,
            ServiceHookEvent::ServiceHookCreated {
                hook_id: HOOK.into(),
                org_id: 3,
                project_id: 7,
                url: "https://example.com/a".into(),
                events: vec!["event.created".into()],
                secret: SECRET.into(),
            },
        ),
        hook(
            8,
            ServiceHookEvent::ServiceHookUpdated {
                hook_id: HOOK.into(),
                org_id: 3,
                project_id: 7,
                url: "https://example.com/b".into(),
                events: vec!["event.alert".into(), "event.created".into()],
            },
        ),
    ]
}

/// Projects 7 and 8 of org 3 (the read model the detector ids are checked against).
async fn projects(pool: &PgPool) {
    let created = |n, project_id: i64, slug: &str| {
        stored(
            n,
            ("project", &project_id.to_string()),
            "user:1",
            ProjectEvent::ProjectCreated {
                project_id,
                org_id: 3,
                slug: slug.parse().unwrap(),
                name: slug.into(),
                platform: None,
                team_id: None,
                at: t0(),
            },
        )
    };
    apply_all(
        &ProjectsProjection,
        pool,
        &[created(100, 7, "api"), created(101, 8, "web")],
    )
    .await;
}

fn names(rows: &[queries::WorkflowRow]) -> Vec<(i64, &str)> {
    rows.iter()
        .map(|row| (row.id, row.definition.name.as_str()))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_workflow_reads_back_as_last_defined_with_its_dates(pool: PgPool) {
    projects(&pool).await;
    apply_all(&AlertRulesProjection, &pool, &history()).await;

    let row = queries::workflow(&pool, 3, 2).await.unwrap().unwrap();

    assert_eq!(row.definition.name, "Frontend errors");
    assert!(!row.definition.enabled);
    assert_eq!(row.project_ids, vec![7, 8]);
    assert_eq!(row.created_by, 1);
    assert_eq!(row.date_created, t0() + chrono::Duration::seconds(2));
    assert_eq!(row.date_updated, t0() + chrono::Duration::seconds(5));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_organizations_workflow_is_not_found(pool: PgPool) {
    apply_all(&AlertRulesProjection, &pool, &history()).await;

    assert!(queries::workflow(&pool, 4, 2).await.unwrap().is_none());
    assert!(queries::workflow(&pool, 3, 4).await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_filter_by_project_id_or_slug_and_name_and_sort(pool: PgPool) {
    projects(&pool).await;
    apply_all(&AlertRulesProjection, &pool, &history()).await;
    let list = |filter: WorkflowFilter, sort: &'static str| {
        let pool = pool.clone();
        async move {
            let sort = WorkflowSort::parse(sort).unwrap();
            queries::workflows(&pool, 3, &filter, sort, PAGE)
                .await
                .unwrap()
                .rows
        }
    };

    let all = list(WorkflowFilter::default(), "id").await;
    let by_name = list(WorkflowFilter::default(), "-name").await;
    let of_8 = WorkflowFilter {
        projects: Some((vec![8], vec![])),
        ..Default::default()
    };
    let of_web = WorkflowFilter {
        projects: Some((vec![], vec!["web".into()])),
        ..Default::default()
    };
    let named = WorkflowFilter {
        name_contains: Some("BACKEND".into()),
        ..Default::default()
    };
    let by_id = WorkflowFilter {
        ids: vec![2, 3],
        ..Default::default()
    };

    assert_eq!(
        names(&all),
        vec![(1, "Backend errors"), (2, "Frontend errors")]
    );
    assert_eq!(
        names(&by_name),
        vec![(2, "Frontend errors"), (1, "Backend errors")]
    );
    assert_eq!(names(&list(of_8, "id").await), vec![(2, "Frontend errors")]);
    assert_eq!(
        names(&list(of_web, "id").await),
        vec![(2, "Frontend errors")]
    );
    assert_eq!(names(&list(named, "id").await), vec![(1, "Backend errors")]);
    assert_eq!(
        names(&list(by_id, "id").await),
        vec![(2, "Frontend errors")]
    );
    assert_eq!(
        WorkflowSort::parse("-connectedDetectors"),
        Some((WorkflowSort::ConnectedDetectors, true))
    );
    assert_eq!(WorkflowSort::parse("priority"), None);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_projects_detector_lists_the_workflows_watching_it(pool: PgPool) {
    projects(&pool).await;
    apply_all(&AlertRulesProjection, &pool, &history()).await;

    let all = queries::detectors(&pool, 3, None, &[], PAGE).await.unwrap();
    let web = (vec![], vec!["web".to_owned()]);
    let web = queries::detectors(&pool, 3, Some(&web), &[], PAGE)
        .await
        .unwrap();
    let elsewhere = queries::detectors(&pool, 4, None, &[7], PAGE)
        .await
        .unwrap();

    let ids: Vec<(i64, Vec<i64>)> = all
        .rows
        .iter()
        .map(|d| (d.project_id, d.workflow_ids.clone()))
        .collect();
    assert_eq!(ids, vec![(7, vec![1, 2]), (8, vec![2])]);
    assert_eq!(web.rows.len(), 1);
    assert_eq!(web.rows[0].project_id, 8);
    assert!(elsewhere.rows.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_workflow_naming_a_project_twice_is_listed_once_on_its_detector(pool: PgPool) {
    projects(&pool).await;
    let twice = WorkflowEvent::WorkflowCreated {
        workflow_id: 5,
        org_id: 3,
        definition: definition("Twice", vec![8, 8]),
        created_by: 1,
    };
    apply_all(&AlertRulesProjection, &pool, &[workflow(1, 5, twice)]).await;

    let detectors = queries::detectors(&pool, 3, None, &[8], PAGE)
        .await
        .unwrap();

    assert_eq!(detectors.rows[0].workflow_ids, vec![5]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hook_reads_back_updated_and_only_in_its_project(pool: PgPool) {
    apply_all(&AlertRulesProjection, &pool, &hook_history()).await;

    let hook = queries::hook(&pool, 3, 7, HOOK).await.unwrap().unwrap();
    let listed = queries::hooks(&pool, 3, 7, PAGE).await.unwrap();

    assert_eq!(hook.url, "https://example.com/b");
    assert_eq!(hook.events, vec!["event.alert", "event.created"]);
    assert_eq!(hook.secret, SECRET);
    assert_eq!(hook.date_created, t0() + chrono::Duration::seconds(7));
    assert_eq!(listed.rows.len(), 1);
    assert!(queries::hook(&pool, 3, 8, HOOK).await.unwrap().is_none());
    assert!(queries::hook(&pool, 4, 7, HOOK).await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_removed_hook_is_gone(pool: PgPool) {
    let mut events = hook_history();
    events.push(hook(
        9,
        ServiceHookEvent::ServiceHookDeleted {
            hook_id: HOOK.into(),
            org_id: 3,
            project_id: 7,
        },
    ));
    apply_all(&AlertRulesProjection, &pool, &events).await;

    assert!(queries::hook(&pool, 3, 7, HOOK).await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_from_position_zero_gives_identical_rows(pool: PgPool) {
    let mut events = history();
    events.extend(hook_history());

    test_support::assert_rebuilds_identically(&AlertRulesProjection, &pool, &events).await;
}
