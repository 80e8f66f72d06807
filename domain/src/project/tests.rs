//! Given/when/then tests of the project aggregate.

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;

use super::*;

type ProjectTest = TestFramework<Project>;

const PUBLIC: &str = "6012fc1d8b6a4f0f9c2d3e4f5a6b7c8d";
const SECRET: &str = "1894aa0c3d2e4f5a6b7c8d9e0f1a2b3c";

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn limit(window: u32, count: u32) -> RateLimit {
    RateLimit { window, count }
}

fn created() -> ProjectEvent {
    ProjectEvent::ProjectCreated {
        project_id: 42,
        org_id: 1,
        slug: slug("api"),
        name: "API".into(),
        platform: Some("python".into()),
        team_id: Some(3),
        at: at(),
    }
}

fn key_created() -> ProjectEvent {
    ProjectEvent::ClientKeyCreated {
        public_key: PUBLIC.into(),
        secret_key: SECRET.into(),
        label: "Default".into(),
        rate_limit: None,
        at: at(),
    }
}

fn key_revoked() -> ProjectEvent {
    ProjectEvent::ClientKeyRevoked {
        public_key: PUBLIC.into(),
        at: at(),
    }
}

fn deleted() -> ProjectEvent {
    ProjectEvent::ProjectDeleted { at: at() }
}

fn create_key(public_key: &str, rate_limit: Option<RateLimit>) -> ProjectCommand {
    ProjectCommand::CreateClientKey {
        public_key: public_key.into(),
        secret_key: SECRET.into(),
        label: "Default".into(),
        rate_limit,
        at: at(),
    }
}

fn update_key(is_active: Option<bool>, rate_limit: Option<Option<RateLimit>>) -> ProjectCommand {
    ProjectCommand::UpdateClientKey {
        public_key: PUBLIC.into(),
        label: None,
        is_active,
        rate_limit,
        at: at(),
    }
}

fn project(events: Vec<ProjectEvent>) -> Project {
    let mut project = Project::default();
    for event in events {
        project.apply(event);
    }
    project
}

#[test]
fn creating_a_project_records_its_facts() {
    ProjectTest::with(())
        .given_no_previous_events()
        .when(ProjectCommand::CreateProject {
            project_id: 42,
            org_id: 1,
            slug: slug("api"),
            name: "API".into(),
            platform: Some("python".into()),
            team_id: Some(3),
            at: at(),
        })
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_a_project_twice_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::CreateProject {
            project_id: 42,
            org_id: 1,
            slug: slug("api"),
            name: "API".into(),
            platform: None,
            team_id: None,
            at: at(),
        })
        .then_expect_error(ProjectError::AlreadyExists);
}

#[test]
fn commands_on_a_project_that_was_never_created_are_rejected() {
    ProjectTest::with(())
        .given_no_previous_events()
        .when(create_key(PUBLIC, None))
        .then_expect_error(ProjectError::NotFound);
}

#[test]
fn updating_a_project_records_only_the_changed_fields() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::UpdateProject {
            name: Some("Public API".into()),
            slug: Some(slug("api")),
            platform: Some(Some("python".into())),
            retention: RetentionChange::default(),
            at: at(),
        })
        .then_expect_events(vec![ProjectEvent::ProjectUpdated {
            name: Some("Public API".into()),
            slug: None,
            platform: None,
            at: at(),
        }]);
}

#[test]
fn clearing_the_platform_is_recorded_and_survives_storage() {
    let cleared = ProjectEvent::ProjectUpdated {
        name: None,
        slug: None,
        platform: Some(None),
        at: at(),
    };
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::UpdateProject {
            name: None,
            slug: None,
            platform: Some(None),
            retention: RetentionChange::default(),
            at: at(),
        })
        .then_expect_events(vec![cleared.clone()]);
    let json = serde_json::to_string(&cleared).unwrap();
    assert_eq!(
        json,
        r#"{"ProjectUpdated":{"platform":null,"at":"2026-01-01T00:00:00Z"}}"#
    );
    assert_eq!(
        serde_json::from_str::<ProjectEvent>(&json).unwrap(),
        cleared
    );
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::UpdateProject {
            name: Some("API".into()),
            slug: None,
            platform: None,
            retention: RetentionChange::default(),
            at: at(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn deleting_a_project_records_the_deletion() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::DeleteProject { at: at() })
        .then_expect_events(vec![deleted()]);
}

#[test]
fn a_deleted_project_rejects_every_command() {
    ProjectTest::with(())
        .given(vec![created(), deleted()])
        .when(create_key(PUBLIC, None))
        .then_expect_error(ProjectError::ProjectDeleted);
}

#[test]
fn adding_a_team_gives_it_access() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::AddProjectTeam {
            team_id: 4,
            at: at(),
        })
        .then_expect_events(vec![ProjectEvent::ProjectTeamAdded {
            team_id: 4,
            at: at(),
        }]);
}

#[test]
fn adding_a_team_that_already_has_access_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::AddProjectTeam {
            team_id: 3,
            at: at(),
        })
        .then_expect_error(ProjectError::TeamAlreadyAdded(3));
}

#[test]
fn removing_a_team_without_access_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::RemoveProjectTeam {
            team_id: 4,
            at: at(),
        })
        .then_expect_error(ProjectError::TeamNotAdded(4));
}

#[test]
fn removing_a_team_takes_its_access_away() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::RemoveProjectTeam {
            team_id: 3,
            at: at(),
        })
        .then_expect_events(vec![ProjectEvent::ProjectTeamRemoved {
            team_id: 3,
            at: at(),
        }]);
}

#[test]
fn creating_a_client_key_records_it_as_given() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(create_key(PUBLIC, None))
        .then_expect_events(vec![key_created()]);
}

#[test]
fn a_client_key_that_is_not_32_hex_characters_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(create_key("6012FC1D8B6A4F0F9C2D3E4F5A6B7C8D", None))
        .then_expect_error(ProjectError::InvalidKey);
}

#[test]
fn creating_a_client_key_with_an_existing_public_key_is_rejected() {
    ProjectTest::with(())
        .given(vec![created(), key_created(), key_revoked()])
        .when(create_key(PUBLIC, None))
        .then_expect_error(ProjectError::ClientKeyAlreadyExists);
}

#[test]
fn a_rate_limit_with_a_zero_window_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(create_key(PUBLIC, Some(limit(0, 100))))
        .then_expect_error(ProjectError::InvalidRateLimit);
}

#[test]
fn a_rate_limit_with_a_zero_count_is_rejected() {
    ProjectTest::with(())
        .given(vec![created(), key_created()])
        .when(update_key(None, Some(Some(limit(60, 0)))))
        .then_expect_error(ProjectError::InvalidRateLimit);
}

#[test]
fn updating_a_client_key_records_only_the_changed_fields() {
    ProjectTest::with(())
        .given(vec![created(), key_created()])
        .when(update_key(Some(false), Some(Some(limit(7200, 1000)))))
        .then_expect_events(vec![ProjectEvent::ClientKeyUpdated {
            public_key: PUBLIC.into(),
            label: None,
            is_active: Some(false),
            rate_limit: Some(Some(limit(7200, 1000))),
            at: at(),
        }]);
}

#[test]
fn removing_a_rate_limit_is_recorded_as_null() {
    let removed = ProjectEvent::ClientKeyUpdated {
        public_key: PUBLIC.into(),
        label: None,
        is_active: None,
        rate_limit: Some(None),
        at: at(),
    };
    let limited = ProjectEvent::ClientKeyUpdated {
        public_key: PUBLIC.into(),
        label: None,
        is_active: None,
        rate_limit: Some(Some(limit(60, 10))),
        at: at(),
    };
    ProjectTest::with(())
        .given(vec![created(), key_created(), limited])
        .when(update_key(None, Some(None)))
        .then_expect_events(vec![removed.clone()]);
    let json = serde_json::to_string(&removed).unwrap();
    assert!(json.contains(r#""rate_limit":null"#));
    assert_eq!(
        serde_json::from_str::<ProjectEvent>(&json).unwrap(),
        removed
    );
}

#[test]
fn updating_an_unknown_client_key_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(update_key(Some(false), None))
        .then_expect_error(ProjectError::ClientKeyNotFound);
}

#[test]
fn updating_a_revoked_client_key_is_rejected() {
    ProjectTest::with(())
        .given(vec![created(), key_created(), key_revoked()])
        .when(update_key(Some(true), None))
        .then_expect_error(ProjectError::ClientKeyRevoked);
}

#[test]
fn revoking_a_client_key_records_the_revocation() {
    ProjectTest::with(())
        .given(vec![created(), key_created()])
        .when(ProjectCommand::RevokeClientKey {
            public_key: PUBLIC.into(),
            at: at(),
        })
        .then_expect_events(vec![key_revoked()]);
}

#[test]
fn revoking_a_client_key_twice_is_rejected() {
    ProjectTest::with(())
        .given(vec![created(), key_created(), key_revoked()])
        .when(ProjectCommand::RevokeClientKey {
            public_key: PUBLIC.into(),
            at: at(),
        })
        .then_expect_error(ProjectError::ClientKeyRevoked);
}

#[test]
fn a_live_project_accepts_events_through_an_active_key() {
    assert!(project(vec![created(), key_created()]).accepts_events(PUBLIC));
}

#[test]
fn an_unknown_key_is_not_accepted() {
    assert!(!project(vec![created(), key_created()]).accepts_events(SECRET));
}

#[test]
fn a_disabled_key_is_not_accepted() {
    let disabled = ProjectEvent::ClientKeyUpdated {
        public_key: PUBLIC.into(),
        label: None,
        is_active: Some(false),
        rate_limit: None,
        at: at(),
    };
    assert!(!project(vec![created(), key_created(), disabled]).accepts_events(PUBLIC));
}

#[test]
fn a_revoked_key_is_not_accepted() {
    assert!(!project(vec![created(), key_created(), key_revoked()]).accepts_events(PUBLIC));
}

#[test]
fn a_deleted_project_accepts_no_events() {
    assert!(!project(vec![created(), key_created(), deleted()]).accepts_events(PUBLIC));
}

#[test]
fn events_are_named_after_their_variant_at_version_one() {
    use cqrs_es::DomainEvent;
    assert_eq!(key_created().event_type(), "ClientKeyCreated");
    assert_eq!(deleted().event_version(), "1.0");
}

fn set_retention(days: Option<Option<u32>>, max_events: Option<Option<u64>>) -> ProjectCommand {
    ProjectCommand::UpdateProject {
        name: None,
        slug: None,
        platform: None,
        retention: RetentionChange { days, max_events },
        at: at(),
    }
}

fn retention_changed(days: Option<u32>, max_events: Option<u64>) -> ProjectEvent {
    ProjectEvent::RetentionChanged {
        retention: Retention { days, max_events },
        at: at(),
    }
}

#[test]
fn setting_retention_records_the_whole_new_setting() {
    ProjectTest::with(())
        .given(vec![created(), retention_changed(Some(30), None)])
        .when(set_retention(None, Some(Some(10_000))))
        .then_expect_events(vec![retention_changed(Some(30), Some(10_000))]);
}

#[test]
fn returning_retention_days_to_the_server_default_is_recorded() {
    ProjectTest::with(())
        .given(vec![created(), retention_changed(Some(30), Some(5))])
        .when(set_retention(Some(None), None))
        .then_expect_events(vec![retention_changed(None, Some(5))]);
}

#[test]
fn a_retention_that_changes_nothing_records_nothing() {
    ProjectTest::with(())
        .given(vec![created(), retention_changed(Some(30), None)])
        .when(set_retention(Some(Some(30)), Some(None)))
        .then_expect_events(vec![]);
}

#[test]
fn retention_of_zero_days_or_more_than_ten_years_is_rejected() {
    for days in [0, MAX_RETENTION_DAYS + 1] {
        ProjectTest::with(())
            .given(vec![created()])
            .when(set_retention(Some(Some(days)), None))
            .then_expect_error(ProjectError::InvalidRetentionDays);
    }
}

#[test]
fn a_maximum_of_zero_stored_events_is_rejected() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(set_retention(None, Some(Some(0))))
        .then_expect_error(ProjectError::InvalidMaxEvents);
}

#[test]
fn a_project_follows_the_server_retention_until_it_sets_its_own() {
    let default = project(vec![created()]).retention();
    let own = project(vec![created(), retention_changed(Some(14), None)]).retention();
    assert_eq!(default.days_or(90), 90);
    assert_eq!(own.days_or(90), 14);
}

#[test]
fn retention_changed_is_stored_without_its_unset_fields() {
    let event = retention_changed(Some(30), None);
    let json = serde_json::to_string(&event).unwrap();
    assert_eq!(
        json,
        r#"{"RetentionChanged":{"retention":{"days":30},"at":"2026-01-01T00:00:00Z"}}"#
    );
    assert_eq!(serde_json::from_str::<ProjectEvent>(&json).unwrap(), event);
}

#[test]
fn hiding_environments_records_only_those_whose_visibility_changes() {
    let hidden = |names: &[&str], hidden| ProjectEvent::EnvironmentsHidden {
        names: names.iter().map(|n| n.to_string()).collect(),
        hidden,
        at: at(),
    };
    ProjectTest::with(())
        .given(vec![created(), hidden(&["staging"], true)])
        .when(ProjectCommand::SetEnvironmentsHidden {
            names: vec!["staging".into(), "qa".into(), "qa".into()],
            hidden: true,
            at: at(),
        })
        .then_expect_events(vec![hidden(&["qa"], true)]);
    let project = project(vec![
        created(),
        hidden(&["staging"], true),
        hidden(&["staging"], false),
    ]);
    assert!(!project.hides_environment("staging"));
}

#[test]
fn a_rename_and_a_retention_change_are_recorded_together() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::UpdateProject {
            name: Some("Renamed".into()),
            slug: None,
            platform: None,
            retention: RetentionChange {
                days: Some(Some(7)),
                max_events: None,
            },
            at: at(),
        })
        .then_expect_events(vec![
            ProjectEvent::ProjectUpdated {
                name: Some("Renamed".into()),
                slug: None,
                platform: None,
                at: at(),
            },
            retention_changed(Some(7), None),
        ]);
}

#[test]
fn a_rename_with_a_bad_retention_records_nothing() {
    ProjectTest::with(())
        .given(vec![created()])
        .when(ProjectCommand::UpdateProject {
            name: Some("Renamed".into()),
            slug: None,
            platform: None,
            retention: RetentionChange {
                days: Some(Some(0)),
                max_events: None,
            },
            at: at(),
        })
        .then_expect_error(ProjectError::InvalidRetentionDays);
}
