//! The artifact bundles projection on a real Postgres: what listing and the frame
//! lookups read after each event, scoped by organization and project, and that a
//! rebuild gives the same rows.

use faultline_domain::artifact_bundle::{
    stream_id, ArtifactBundleEvent, BundleFile, DeleteReason, FileType, NewBundle,
};
use sqlx::PgPool;

use super::queries;
use super::ArtifactBundlesProjection;
use crate::accounts::queries::Page;
use crate::test_support::{apply_all, assert_rebuilds_identically, stored, t0};
use crate::StoredEvent;

const DEBUG_ID: &str = "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a";

fn checksum(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

fn bundle_event(n: i64, org_id: i64, bundle: u8, event: ArtifactBundleEvent) -> StoredEvent {
    stored(
        n,
        ("artifact_bundle", &stream_id(org_id, &checksum(bundle))),
        "user:1",
        event,
    )
}

fn uploaded(org_id: i64, bundle: u8, project_ids: Vec<i64>, release: &str) -> ArtifactBundleEvent {
    let file = |url: &str, file_type, sha: u8| BundleFile {
        url: url.into(),
        file_type,
        debug_id: Some(DEBUG_ID.into()),
        sourcemap: (file_type == FileType::MinifiedSource).then(|| "app.min.js.map".into()),
        checksum: checksum(sha),
        size: 10,
    };
    ArtifactBundleEvent::BundleUploaded {
        bundle: NewBundle {
            org_id,
            checksum: checksum(bundle),
            bundle_id: format!("bundle-{bundle}"),
            size: 100,
            project_ids,
            release: Some(release.into()),
            dist: None,
            files: vec![
                file("~/app.min.js", FileType::MinifiedSource, bundle + 100),
                file("~/app.min.js.map", FileType::SourceMap, bundle + 150),
            ],
        },
        at: t0(),
    }
}

/// Org 3: bundle 1 (project 7, then also 8), bundle 2 (project 7, deleted). Org 4:
/// bundle 1's bytes (project 9).
fn history() -> Vec<StoredEvent> {
    vec![
        bundle_event(1, 3, 1, uploaded(3, 1, vec![7], "web@1")),
        bundle_event(2, 3, 2, uploaded(3, 2, vec![7], "web@2")),
        bundle_event(3, 4, 1, uploaded(4, 1, vec![9], "web@1")),
        bundle_event(
            4,
            3,
            1,
            ArtifactBundleEvent::BundleProjectsAdded {
                project_ids: vec![8],
                at: t0(),
            },
        ),
        bundle_event(
            5,
            3,
            2,
            ArtifactBundleEvent::BundleDeleted {
                reason: DeleteReason::User,
                at: t0(),
            },
        ),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn bundles_list_and_resolve_only_within_their_organization_and_projects(pool: PgPool) {
    apply_all(&ArtifactBundlesProjection, &pool, &history()).await;
    let page = Page {
        limit: 10,
        offset: 0,
    };
    let listed = |org, project| {
        let pool = pool.clone();
        async move {
            queries::list(&pool, org, project, None, page)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.bundle_id)
                .collect::<Vec<_>>()
        }
    };
    let by_id = |org, project| {
        let pool = pool.clone();
        async move {
            queries::files_by_debug_id(&pool, org, project, DEBUG_ID)
                .await
                .unwrap()
                .len()
        }
    };

    assert_eq!(listed(3, 7).await, ["bundle-1"]);
    assert_eq!(listed(3, 8).await, ["bundle-1"]);
    assert_eq!(listed(3, 9).await, Vec::<String>::new());
    assert_eq!(listed(4, 9).await, ["bundle-1"]);
    assert_eq!(by_id(3, 7).await, 2);
    assert_eq!(by_id(3, 9).await, 0);
    let by_url = queries::files_by_url(&pool, 3, 7, &["~/app.min.js".to_owned()])
        .await
        .unwrap();
    assert_eq!(by_url.len(), 1);
    assert_eq!(by_url[0].release.as_deref(), Some("web@1"));
    assert_eq!(
        queries::checksums_of(&pool, 3, 7, "bundle-2")
            .await
            .unwrap(),
        Vec::<String>::new()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_the_same_rows(pool: PgPool) {
    assert_rebuilds_identically(&ArtifactBundlesProjection, &pool, &history()).await;
}
