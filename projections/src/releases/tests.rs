//! The releases projection on a real Postgres: what the API reads after each event,
//! scoped by organization and project, and that a rebuild gives the same rows.

use faultline_domain::release::{stream_id, ReleaseEvent, ReleaseStatus};
use sqlx::PgPool;

use super::queries::{self, ReleaseFilter};
use super::ReleasesProjection;
use crate::accounts::queries::Page;
use crate::test_support::{apply_all, assert_rebuilds_identically, stored, t0};
use crate::StoredEvent;

fn release(n: i64, org_id: i64, version: &str, event: ReleaseEvent) -> StoredEvent {
    StoredEvent {
        organization_id: org_id,
        ..stored(n, ("release", &stream_id(org_id, version)), "user:1", event)
    }
}

fn created(release_id: i64, org_id: i64, version: &str, project_ids: Vec<i64>) -> ReleaseEvent {
    ReleaseEvent::ReleaseCreated {
        release_id,
        org_id,
        version: version.into(),
        project_ids,
        reference: None,
        url: None,
        date_released: None,
        date_started: None,
        at: t0(),
    }
}

/// Org 3: `shop@1.0.0` (project 7, then 8; finalized, deployed twice),
/// `shop@2.0.0` (project 8, archived), `gone` (deleted). Org 4: `shop@1.0.0`.
fn history() -> Vec<StoredEvent> {
    let later = |s| t0() + chrono::Duration::seconds(s);
    vec![
        release(1, 3, "shop@1.0.0", created(1, 3, "shop@1.0.0", vec![7])),
        release(2, 3, "shop@2.0.0", created(2, 3, "shop@2.0.0", vec![8])),
        release(3, 4, "shop@1.0.0", created(3, 4, "shop@1.0.0", vec![9])),
        release(4, 3, "gone", created(4, 3, "gone", vec![7])),
        release(
            5,
            3,
            "shop@1.0.0",
            ReleaseEvent::ReleaseProjectsAdded {
                project_ids: vec![8],
                at: later(5),
            },
        ),
        release(
            6,
            3,
            "shop@1.0.0",
            ReleaseEvent::ReleaseUpdated {
                reference: Some(Some("v1".into())),
                url: None,
                date_released: Some(Some(later(6))),
                status: None,
                date_started: None,
                at: later(6),
            },
        ),
        release(
            7,
            3,
            "shop@2.0.0",
            ReleaseEvent::ReleaseUpdated {
                reference: None,
                url: None,
                date_released: None,
                status: Some(ReleaseStatus::Archived),
                date_started: None,
                at: later(7),
            },
        ),
        release(8, 3, "gone", ReleaseEvent::ReleaseDeleted { at: later(8) }),
        release(9, 3, "shop@1.0.0", deployed(21, "staging", 9)),
        release(10, 3, "shop@1.0.0", deployed(22, "production", 10)),
    ]
}

fn deployed(deploy_id: i64, environment: &str, seconds: i64) -> ReleaseEvent {
    ReleaseEvent::DeployCreated {
        deploy_id,
        environment: environment.into(),
        name: None,
        url: None,
        date_started: None,
        date_finished: t0() + chrono::Duration::seconds(seconds),
        project_ids: vec![7, 8],
        at: t0() + chrono::Duration::seconds(seconds),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_release_reads_back_with_its_projects_update_and_latest_deploy(pool: PgPool) {
    apply_all(&ReleasesProjection, &pool, &history()).await;

    let shop = queries::by_version(&pool, 3, "shop@1.0.0")
        .await
        .unwrap()
        .unwrap();
    let other_org = queries::by_version(&pool, 4, "shop@1.0.0")
        .await
        .unwrap()
        .unwrap();
    let gone = queries::by_version(&pool, 3, "gone").await.unwrap();
    let deploys = queries::deploys(&pool, 3, shop.id).await.unwrap();

    assert_eq!(shop.id, 1);
    assert_eq!(shop.project_ids, vec![7, 8]);
    assert_eq!(shop.reference.as_deref(), Some("v1"));
    assert!(shop.date_released.is_some());
    assert_eq!((shop.deploy_count, shop.last_deploy), (2, Some(22)));
    assert_eq!(other_org.id, 3);
    assert_eq!(gone, None);
    let environments: Vec<&str> = deploys.iter().map(|d| d.environment.as_str()).collect();
    assert_eq!(environments, ["production", "staging"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_filter_by_project_substring_and_status_newest_first(pool: PgPool) {
    apply_all(&ReleasesProjection, &pool, &history()).await;
    let versions =
        |rows: Vec<queries::ReleaseRow>| rows.into_iter().map(|r| r.version).collect::<Vec<_>>();
    let page = |limit, offset| Page { limit, offset };
    let list = |filter: ReleaseFilter| {
        let pool = pool.clone();
        async move {
            queries::list(&pool, 3, &filter, page(10, 0))
                .await
                .unwrap()
                .rows
        }
    };

    let all = versions(list(ReleaseFilter::default()).await);
    let project_7 = versions(
        list(ReleaseFilter {
            project_ids: vec![7],
            ..ReleaseFilter::default()
        })
        .await,
    );
    let matching = versions(
        list(ReleaseFilter {
            query: Some("SHOP@2".into()),
            ..ReleaseFilter::default()
        })
        .await,
    );
    let open = versions(
        list(ReleaseFilter {
            status: Some("open".into()),
            ..ReleaseFilter::default()
        })
        .await,
    );
    let first = queries::list(&pool, 3, &ReleaseFilter::default(), page(1, 0))
        .await
        .unwrap();
    let after = queries::list(&pool, 3, &ReleaseFilter::default(), page(1, 1))
        .await
        .unwrap();

    assert_eq!(all, ["shop@2.0.0", "shop@1.0.0"]);
    assert_eq!(project_7, ["shop@1.0.0"]);
    assert_eq!(matching, ["shop@2.0.0"]);
    assert_eq!(open, ["shop@1.0.0"]);
    assert!(first.has_more);
    assert_eq!(versions(first.rows), ["shop@2.0.0"]);
    assert!(!after.has_more);
    assert_eq!(versions(after.rows), ["shop@1.0.0"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_the_same_rows(pool: PgPool) {
    assert_rebuilds_identically(&ReleasesProjection, &pool, &history()).await;
}
