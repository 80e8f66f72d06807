//! The monitors projection on a real Postgres: what the API and the scheduler read
//! after each event, scoped by organization, and that a rebuild gives the same rows.

use chrono::{DateTime, Duration, Utc};
use faultline_domain::monitor::{
    stream_id, CheckInStatus, MonitorConfig, MonitorEvent, MonitorStatus, Schedule,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::queries;
use super::MonitorsProjection;
use crate::accounts::queries::Page;
use crate::test_support::{apply_all, assert_rebuilds_identically, stored, t0};
use crate::StoredEvent;

const PAGE: Page = Page {
    limit: 50,
    offset: 0,
};

/// Event `n` of monitor `slug`, in its organization's partition of the log.
fn event(n: i64, org_id: i64, slug: &str, event: MonitorEvent) -> StoredEvent {
    StoredEvent {
        organization_id: org_id,
        ..stored(n, ("monitor", &stream_id(org_id, slug)), "key:abc", event)
    }
}

fn later(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

fn config() -> MonitorConfig {
    MonitorConfig {
        schedule: Schedule::crontab("*/5 * * * *").unwrap(),
        checkin_margin: Some(2),
        max_runtime: Some(10),
        timezone: None,
        failure_issue_threshold: None,
        recovery_threshold: None,
    }
}

fn created(monitor: u128, org_id: i64, slug: &str) -> MonitorEvent {
    MonitorEvent::MonitorCreated {
        monitor_id: Uuid::from_u128(monitor),
        org_id,
        project_id: org_id * 10,
        slug: slug.into(),
        name: slug.into(),
        config: config(),
        owner: None,
        status: MonitorStatus::Active,
        muted: false,
        at: t0(),
    }
}

fn recorded(check_in: u128, status: CheckInStatus, at: DateTime<Utc>) -> MonitorEvent {
    MonitorEvent::CheckInRecorded {
        check_in_id: Uuid::from_u128(check_in),
        environment: "production".into(),
        status,
        duration_ms: None,
        expected_at: None,
        next_expected: config().next_after(at),
        at,
    }
}

/// Org 3: `nightly` runs (in progress, ok), fails (incident 1), a run is still in
/// progress; `gone` is deleted. Org 4: its own `nightly`, disabled.
fn history() -> Vec<StoredEvent> {
    vec![
        event(1, 3, "nightly", created(1, 3, "nightly")),
        event(
            2,
            3,
            "nightly",
            recorded(11, CheckInStatus::InProgress, later(30)),
        ),
        event(
            3,
            3,
            "nightly",
            MonitorEvent::CheckInCompleted {
                check_in_id: Uuid::from_u128(11),
                environment: "production".into(),
                status: CheckInStatus::Ok,
                duration_ms: 4_000,
                at: later(34),
            },
        ),
        event(
            4,
            3,
            "nightly",
            recorded(12, CheckInStatus::Error, later(330)),
        ),
        event(
            5,
            3,
            "nightly",
            MonitorEvent::IncidentOpened {
                environment: "production".into(),
                incident: 1,
                reason: CheckInStatus::Error,
                at: later(330),
            },
        ),
        event(
            6,
            3,
            "nightly",
            recorded(13, CheckInStatus::InProgress, later(630)),
        ),
        event(7, 3, "gone", created(2, 3, "gone")),
        event(8, 3, "gone", recorded(21, CheckInStatus::Ok, later(30))),
        event(9, 3, "gone", MonitorEvent::MonitorDeleted { at: later(40) }),
        event(10, 4, "nightly", created(3, 4, "nightly")),
        event(
            11,
            4,
            "nightly",
            MonitorEvent::MonitorUpdated {
                name: Some("Nightly import".into()),
                config: None,
                status: Some(MonitorStatus::Disabled),
                muted: Some(true),
                owner: Some(Some("team:5".into())),
                at: later(50),
            },
        ),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn monitors_are_listed_per_organization_and_a_deleted_one_is_gone(pool: PgPool) {
    apply_all(&MonitorsProjection, &pool, &history()).await;

    let org3 = queries::list(&pool, 3, &[], &[], PAGE).await.unwrap();
    let slugs: Vec<&str> = org3.rows.iter().map(|m| m.slug.as_str()).collect();
    assert_eq!(slugs, ["nightly"]);
    let org4 = queries::by_slug_or_id(&pool, 4, "nightly")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org4.name, "Nightly import");
    assert_eq!(org4.status, "disabled");
    assert!(org4.is_muted);
    assert_eq!(org4.owner.as_deref(), Some("team:5"));
    let by_id = queries::by_slug_or_id(&pool, 3, &Uuid::from_u128(1).to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_id.slug, "nightly");
    assert!(
        queries::by_slug_or_id(&pool, 4, &Uuid::from_u128(1).to_string())
            .await
            .unwrap()
            .is_none()
    );
    assert!(queries::by_slug_or_id(&pool, 3, "gone")
        .await
        .unwrap()
        .is_none());
    let leftovers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM monitor_check_ins WHERE monitor_id = $1")
            .bind(Uuid::from_u128(2))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(leftovers, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_environment_shows_its_incident_and_its_next_expected_run(pool: PgPool) {
    apply_all(&MonitorsProjection, &pool, &history()).await;

    let envs = queries::environments(&pool, 3, &[Uuid::from_u128(1)])
        .await
        .unwrap();
    assert_eq!(envs.len(), 1);
    let env = &envs[0];
    assert_eq!(env.name, "production");
    assert_eq!(env.status, "error");
    assert_eq!(env.incident, Some(1));
    assert_eq!(env.last_check_in, Some(later(630)));
    let next = config().next_after(later(630)).unwrap();
    assert_eq!(env.next_check_in, Some(next));
    assert_eq!(env.next_check_in_latest, Some(next + Duration::minutes(2)));
}

#[sqlx::test(migrations = "../migrations")]
async fn check_ins_are_listed_newest_first_with_durations(pool: PgPool) {
    apply_all(&MonitorsProjection, &pool, &history()).await;

    let found = queries::check_ins(&pool, 3, Uuid::from_u128(1), &[], PAGE)
        .await
        .unwrap();
    let statuses: Vec<(&str, Option<i64>)> = found
        .rows
        .iter()
        .map(|c| (c.status.as_str(), c.duration_ms))
        .collect();
    assert_eq!(
        statuses,
        [("in_progress", None), ("error", None), ("ok", Some(4_000))]
    );
    assert_eq!(found.rows[2].date_in_progress, Some(later(30)));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_scheduler_finds_overdue_runs_and_runs_past_their_runtime(pool: PgPool) {
    apply_all(&MonitorsProjection, &pool, &history()).await;
    let next = config().next_after(later(630)).unwrap();

    let early = queries::due_misses(&pool, None, next + Duration::seconds(119), 10)
        .await
        .unwrap();
    assert!(early.is_empty());
    let due = queries::due_misses(&pool, None, next + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].stream_id, stream_id(3, "nightly"));
    assert_eq!(due[0].next_check_in, next);

    let running = queries::due_timeouts(&pool, None, later(630) + Duration::seconds(599), 10)
        .await
        .unwrap();
    assert!(running.is_empty());
    let timed_out = queries::due_timeouts(&pool, None, later(630) + Duration::minutes(10), 10)
        .await
        .unwrap();
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].check_in_id, Uuid::from_u128(13));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_the_same_rows(pool: PgPool) {
    assert_rebuilds_identically(&MonitorsProjection, &pool, &history()).await;
}

/// The migrations up to `last`, from the workspace's `migrations/`.
async fn migrations_up_to(last: i64) -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new("../migrations"))
        .await
        .unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

#[sqlx::test(migrations = false)]
async fn rows_written_before_monitors_named_their_organization_take_their_monitors(pool: PgPool) {
    migrations_up_to(44).await.run(&pool).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO projects (id, org_id, slug, name, date_created) VALUES (40, 4, 'p', 'P', now());
         INSERT INTO monitors (monitor_id, org_id, project_id, stream_id, slug, name, status,
                               config, date_created)
              VALUES ('00000000-0000-0000-0000-000000000001', 3, 30, '3/nightly', 'nightly',
                      'nightly', 'active', '{}', now());
         INSERT INTO monitor_environments (monitor_id, name, status, date_created)
              VALUES ('00000000-0000-0000-0000-000000000001', 'production', 'ok', now()),
                     ('00000000-0000-0000-0000-000000000009', 'production', 'ok', now());
         INSERT INTO monitor_check_ins (monitor_id, check_in_id, position, environment, status,
                                        date_added, date_updated, config)
              VALUES ('00000000-0000-0000-0000-000000000001',
                      '00000000-0000-0000-0000-000000000011', 2, 'production', 'ok', now(),
                      now(), '{}');
         INSERT INTO monitor_incident_issues (monitor_id, environment, incident, project_id,
                                              event_id)
              VALUES ('00000000-0000-0000-0000-000000000001', 'production', 1, 30, 'a'),
                     ('00000000-0000-0000-0000-000000000008', 'production', 1, 40, 'b'),
                     ('00000000-0000-0000-0000-000000000007', 'production', 1, 50, 'c');",
    )
    .execute(&pool)
    .await
    .unwrap();

    migrations_up_to(i64::MAX).await.run(&pool).await.unwrap();

    let organizations = |table: &str| {
        let pool = pool.clone();
        let statement = format!("SELECT org_id FROM {table} ORDER BY monitor_id");
        async move {
            sqlx::query_scalar::<_, i64>(&statement)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(organizations("monitor_environments").await, [3]);
    assert_eq!(organizations("monitor_check_ins").await, [3]);
    assert_eq!(organizations("monitor_incident_issues").await, [3, 0, 4]);
}
