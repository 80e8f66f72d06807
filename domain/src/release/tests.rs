use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;

use super::decide::require_version;
use super::*;

type ReleaseTest = TestFramework<Release>;

fn at() -> DateTime<Utc> {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn create(version: &str, project_ids: Vec<i64>) -> ReleaseCommand {
    ReleaseCommand::CreateRelease {
        release_id: 7,
        org_id: 1,
        version: version.into(),
        project_ids,
        changes: ReleaseChanges::default(),
        at: at(),
    }
}

fn created() -> ReleaseEvent {
    ReleaseEvent::ReleaseCreated {
        release_id: 7,
        org_id: 1,
        version: "shop@1.0.0".into(),
        project_ids: vec![10],
        reference: None,
        url: None,
        date_released: None,
        date_started: None,
        at: at(),
    }
}

fn deploy(environment: &str, project_ids: Vec<i64>) -> ReleaseCommand {
    ReleaseCommand::CreateDeploy {
        deploy: NewDeploy {
            deploy_id: 3,
            environment: environment.into(),
            name: None,
            url: None,
            date_started: None,
            date_finished: at(),
            project_ids,
        },
        at: at(),
    }
}

#[test]
fn creating_a_release_records_its_version_and_sorted_projects() {
    ReleaseTest::with(())
        .given_no_previous_events()
        .when(create("shop@1.0.0", vec![10, 10]))
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_an_existing_release_adds_only_the_new_projects() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(create("shop@1.0.0", vec![11, 10]))
        .then_expect_events(vec![ReleaseEvent::ReleaseProjectsAdded {
            project_ids: vec![11],
            at: at(),
        }]);
}

#[test]
fn creating_an_existing_release_with_its_projects_records_nothing() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(create("shop@1.0.0", vec![10]))
        .then_expect_events(vec![]);
}

#[test]
fn creating_an_existing_release_without_projects_only_applies_the_changes() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(ReleaseCommand::CreateRelease {
            release_id: 8,
            org_id: 1,
            version: "shop@1.0.0".into(),
            project_ids: vec![],
            changes: ReleaseChanges {
                status: Some(ReleaseStatus::Archived),
                ..ReleaseChanges::default()
            },
            at: at(),
        })
        .then_expect_events(vec![ReleaseEvent::ReleaseUpdated {
            reference: None,
            url: None,
            date_released: None,
            status: Some(ReleaseStatus::Archived),
            date_started: None,
            at: at(),
        }]);
}

#[test]
fn a_deleted_release_may_be_created_again() {
    let mut again = created();
    if let ReleaseEvent::ReleaseCreated { release_id, .. } = &mut again {
        *release_id = 7;
    }
    ReleaseTest::with(())
        .given(vec![created(), ReleaseEvent::ReleaseDeleted { at: at() }])
        .when(create("shop@1.0.0", vec![10]))
        .then_expect_events(vec![again]);
}

#[test]
fn a_release_without_projects_is_refused() {
    ReleaseTest::with(())
        .given_no_previous_events()
        .when(create("shop@1.0.0", vec![]))
        .then_expect_error(ReleaseError::NoProjects);
}

#[test]
fn versions_may_hold_at_plus_slash_and_spaces_but_not_line_breaks_or_reserved_names() {
    for good in ["shop@1.0.0+build.5", "feature/login 2", "1", "é@1"] {
        assert_eq!(require_version(good), Ok(()), "{good}");
    }
    let long = "x".repeat(MAX_VERSION_LEN + 1);
    for bad in [
        "",
        "  ",
        ".",
        "..",
        "latest",
        "a\nb",
        "a\tb",
        "a\\b",
        long.as_str(),
    ] {
        assert!(require_version(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn finalizing_records_the_release_date_and_again_records_nothing() {
    let finalize = || ReleaseCommand::UpdateRelease {
        changes: ReleaseChanges {
            date_released: Some(Some(at())),
            ..ReleaseChanges::default()
        },
        at: at(),
    };
    let finalized = ReleaseEvent::ReleaseUpdated {
        reference: None,
        url: None,
        date_released: Some(Some(at())),
        status: None,
        date_started: None,
        at: at(),
    };
    ReleaseTest::with(())
        .given(vec![created()])
        .when(finalize())
        .then_expect_events(vec![finalized.clone()]);
    ReleaseTest::with(())
        .given(vec![created(), finalized])
        .when(finalize())
        .then_expect_events(vec![]);
}

#[test]
fn archiving_changes_the_status() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(ReleaseCommand::UpdateRelease {
            changes: ReleaseChanges {
                status: Some(ReleaseStatus::Archived),
                ..ReleaseChanges::default()
            },
            at: at(),
        })
        .then_expect_events(vec![ReleaseEvent::ReleaseUpdated {
            reference: None,
            url: None,
            date_released: None,
            status: Some(ReleaseStatus::Archived),
            date_started: None,
            at: at(),
        }]);
}

#[test]
fn commands_on_a_missing_or_deleted_release_are_refused() {
    ReleaseTest::with(())
        .given_no_previous_events()
        .when(ReleaseCommand::DeleteRelease { at: at() })
        .then_expect_error(ReleaseError::NotFound);
    ReleaseTest::with(())
        .given(vec![created(), ReleaseEvent::ReleaseDeleted { at: at() }])
        .when(deploy("production", vec![]))
        .then_expect_error(ReleaseError::NotFound);
}

#[test]
fn a_deploy_without_projects_covers_every_project_of_the_release() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(deploy(" production ", vec![]))
        .then_expect_events(vec![ReleaseEvent::DeployCreated {
            deploy_id: 3,
            environment: "production".into(),
            name: None,
            url: None,
            date_started: None,
            date_finished: at(),
            project_ids: vec![10],
            at: at(),
        }]);
}

#[test]
fn a_deploy_to_an_empty_environment_or_another_project_is_refused() {
    ReleaseTest::with(())
        .given(vec![created()])
        .when(deploy("", vec![]))
        .then_expect_error(ReleaseError::InvalidEnvironment);
    ReleaseTest::with(())
        .given(vec![created()])
        .when(deploy("production", vec![99]))
        .then_expect_error(ReleaseError::ProjectNotInRelease(99));
}

#[test]
fn an_update_that_clears_the_url_is_stored_as_null() {
    let event = ReleaseEvent::ReleaseUpdated {
        reference: None,
        url: Some(None),
        date_released: None,
        status: None,
        date_started: None,
        at: at(),
    };
    let json = serde_json::to_string(&event).unwrap();
    assert_eq!(
        json,
        r#"{"ReleaseUpdated":{"url":null,"at":"2026-12-01T00:00:00Z"}}"#
    );
    assert_eq!(serde_json::from_str::<ReleaseEvent>(&json).unwrap(), event);
}

#[test]
fn refs_without_commits_record_each_head_as_a_commit() {
    let head = ReleaseRef {
        repository: "acme/shop".into(),
        commit: "b".repeat(40),
        previous_commit: Some("a".repeat(40)),
    };
    ReleaseTest::with(())
        .given(vec![created()])
        .when(ReleaseCommand::SetCommits {
            commits: vec![],
            refs: vec![head.clone()],
            at: at(),
        })
        .then_expect_events(vec![ReleaseEvent::CommitsSet {
            commits: vec![ReleaseCommit {
                id: "b".repeat(40),
                repository: Some("acme/shop".into()),
                message: None,
                author_name: None,
                author_email: None,
                timestamp: None,
                files: vec![],
            }],
            refs: vec![head],
            at: at(),
        }]);
}

#[test]
fn a_commit_id_longer_than_64_characters_is_refused() {
    let commit = ReleaseCommit {
        id: "c".repeat(65),
        repository: None,
        message: None,
        author_name: None,
        author_email: None,
        timestamp: None,
        files: vec![],
    };
    ReleaseTest::with(())
        .given(vec![created()])
        .when(ReleaseCommand::SetCommits {
            commits: vec![commit],
            refs: vec![],
            at: at(),
        })
        .then_expect_error(ReleaseError::InvalidCommit);
}
