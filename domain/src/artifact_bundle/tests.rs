use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;

use super::*;

type BundleTest = TestFramework<ArtifactBundle>;

fn at() -> DateTime<Utc> {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn bundle(project_ids: Vec<i64>) -> NewBundle {
    NewBundle {
        org_id: 1,
        checksum: "a".repeat(40),
        bundle_id: "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a".into(),
        size: 100,
        project_ids,
        release: None,
        dist: None,
        files: vec![BundleFile {
            url: "~/app.min.js".into(),
            file_type: FileType::MinifiedSource,
            debug_id: None,
            sourcemap: Some("app.min.js.map".into()),
            checksum: "b".repeat(40),
            size: 10,
        }],
    }
}

fn upload(project_ids: Vec<i64>) -> ArtifactBundleCommand {
    ArtifactBundleCommand::Upload {
        bundle: bundle(project_ids),
        at: at(),
    }
}

fn uploaded(project_ids: Vec<i64>) -> ArtifactBundleEvent {
    ArtifactBundleEvent::BundleUploaded {
        bundle: bundle(project_ids),
        at: at(),
    }
}

#[test]
fn uploading_a_new_bundle_records_it_with_its_projects_sorted() {
    BundleTest::with(())
        .given_no_previous_events()
        .when(upload(vec![3, 2, 3]))
        .then_expect_events(vec![uploaded(vec![2, 3])]);
}

#[test]
fn uploading_the_same_bundle_again_for_the_same_projects_records_nothing() {
    BundleTest::with(())
        .given(vec![uploaded(vec![2])])
        .when(upload(vec![2]))
        .then_expect_events(vec![]);
}

#[test]
fn uploading_the_same_bundle_for_another_project_links_only_that_project() {
    BundleTest::with(())
        .given(vec![uploaded(vec![2])])
        .when(upload(vec![2, 5]))
        .then_expect_events(vec![ArtifactBundleEvent::BundleProjectsAdded {
            project_ids: vec![5],
            at: at(),
        }]);
}

#[test]
fn a_bundle_without_projects_is_refused() {
    BundleTest::with(())
        .given_no_previous_events()
        .when(upload(vec![]))
        .then_expect_error(ArtifactBundleError::NoProjects);
}

#[test]
fn a_bundle_without_files_is_refused() {
    let mut empty = bundle(vec![1]);
    empty.files.clear();
    BundleTest::with(())
        .given_no_previous_events()
        .when(ArtifactBundleCommand::Upload {
            bundle: empty,
            at: at(),
        })
        .then_expect_error(ArtifactBundleError::Empty);
}

#[test]
fn deleting_a_live_bundle_records_why() {
    BundleTest::with(())
        .given(vec![uploaded(vec![2])])
        .when(ArtifactBundleCommand::Delete {
            reason: DeleteReason::Retention,
            at: at(),
        })
        .then_expect_events(vec![ArtifactBundleEvent::BundleDeleted {
            reason: DeleteReason::Retention,
            at: at(),
        }]);
}

#[test]
fn deleting_a_deleted_bundle_is_refused_as_not_found() {
    BundleTest::with(())
        .given(vec![
            uploaded(vec![2]),
            ArtifactBundleEvent::BundleDeleted {
                reason: DeleteReason::User,
                at: at(),
            },
        ])
        .when(ArtifactBundleCommand::Delete {
            reason: DeleteReason::User,
            at: at(),
        })
        .then_expect_error(ArtifactBundleError::NotFound);
}

#[test]
fn a_deleted_bundle_uploaded_again_is_recorded_again() {
    BundleTest::with(())
        .given(vec![
            uploaded(vec![2]),
            ArtifactBundleEvent::BundleDeleted {
                reason: DeleteReason::User,
                at: at(),
            },
        ])
        .when(upload(vec![2]))
        .then_expect_events(vec![uploaded(vec![2])]);
}
