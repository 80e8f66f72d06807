//! Given/when/then tests of the organization aggregate.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;

use super::*;

type OrgTest = TestFramework<Organization>;

const OWNER: i64 = 10;
const ALICE: i64 = 11;
const TEAM: i64 = 3;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn created() -> Vec<OrganizationEvent> {
    vec![
        OrganizationEvent::OrganizationCreated {
            org_id: 1,
            name: "Acme".into(),
            slug: slug("acme"),
            at: at(),
        },
        member_added(OWNER, OrgRole::Owner),
    ]
}

fn member_added(member_id: i64, role: OrgRole) -> OrganizationEvent {
    OrganizationEvent::MemberAdded {
        member_id,
        user_id: member_id + 100,
        email: format!("user{member_id}@example.com"),
        role,
        at: at(),
    }
}

fn team_created(team_id: i64, team_slug: &str) -> OrganizationEvent {
    OrganizationEvent::TeamCreated {
        team_id,
        slug: slug(team_slug),
        name: "Backend".into(),
        at: at(),
    }
}

fn team_member_added(team_id: i64, member_id: i64) -> OrganizationEvent {
    OrganizationEvent::TeamMemberAdded {
        team_id,
        member_id,
        at: at(),
    }
}

fn with(extra: impl IntoIterator<Item = OrganizationEvent>) -> Vec<OrganizationEvent> {
    created().into_iter().chain(extra).collect()
}

fn deleted() -> Vec<OrganizationEvent> {
    with([OrganizationEvent::OrganizationDeleted { at: at() }])
}

fn change_role(member_id: i64, role: OrgRole) -> OrganizationCommand {
    OrganizationCommand::ChangeMemberRole {
        member_id,
        role,
        at: at(),
    }
}

fn remove_member(member_id: i64) -> OrganizationCommand {
    OrganizationCommand::RemoveMember {
        member_id,
        at: at(),
    }
}

fn create_team(team_id: i64, team_slug: &str) -> OrganizationCommand {
    OrganizationCommand::CreateTeam {
        team_id,
        slug: slug(team_slug),
        name: "Backend".into(),
        at: at(),
    }
}

#[test]
fn creating_an_organization_makes_the_creator_its_owner() {
    OrgTest::with(())
        .given_no_previous_events()
        .when(OrganizationCommand::CreateOrganization {
            org_id: 1,
            name: "Acme".into(),
            slug: slug("acme"),
            owner_user_id: OWNER + 100,
            owner_member_id: OWNER,
            owner_email: format!("user{OWNER}@example.com"),
            at: at(),
        })
        .then_expect_events(created());
}

#[test]
fn creating_an_organization_twice_is_rejected() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::CreateOrganization {
            org_id: 1,
            name: "Acme".into(),
            slug: slug("acme"),
            owner_user_id: 1,
            owner_member_id: 1,
            owner_email: "a@example.com".into(),
            at: at(),
        })
        .then_expect_error(OrganizationError::AlreadyExists);
}

#[test]
fn creating_an_organization_with_a_blank_name_is_rejected() {
    OrgTest::with(())
        .given_no_previous_events()
        .when(OrganizationCommand::CreateOrganization {
            org_id: 1,
            name: "  ".into(),
            slug: slug("acme"),
            owner_user_id: 1,
            owner_member_id: 1,
            owner_email: "a@example.com".into(),
            at: at(),
        })
        .then_expect_error(OrganizationError::EmptyName);
}

#[test]
fn commands_on_an_organization_that_was_never_created_are_rejected() {
    OrgTest::with(())
        .given_no_previous_events()
        .when(create_team(TEAM, "backend"))
        .then_expect_error(OrganizationError::NotFound);
}

#[test]
fn updating_an_organization_records_only_the_changed_fields() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::UpdateOrganization {
            name: Some("Acme".into()),
            slug: Some(slug("acme-corp")),
            at: at(),
        })
        .then_expect_events(vec![OrganizationEvent::OrganizationUpdated {
            name: None,
            slug: Some(slug("acme-corp")),
            at: at(),
        }]);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::UpdateOrganization {
            name: Some("Acme".into()),
            slug: None,
            at: at(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn deleting_an_organization_records_the_deletion() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::DeleteOrganization { at: at() })
        .then_expect_events(vec![OrganizationEvent::OrganizationDeleted { at: at() }]);
}

#[test]
fn a_deleted_organization_rejects_every_command() {
    OrgTest::with(())
        .given(deleted())
        .when(create_team(TEAM, "backend"))
        .then_expect_error(OrganizationError::OrganizationDeleted);
}

#[test]
fn deleting_an_organization_twice_is_rejected() {
    OrgTest::with(())
        .given(deleted())
        .when(OrganizationCommand::DeleteOrganization { at: at() })
        .then_expect_error(OrganizationError::OrganizationDeleted);
}

#[test]
fn adding_a_member_records_their_role() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::AddMember {
            member_id: ALICE,
            user_id: ALICE + 100,
            email: format!("user{ALICE}@example.com"),
            role: OrgRole::Member,
            at: at(),
        })
        .then_expect_events(vec![member_added(ALICE, OrgRole::Member)]);
}

#[test]
fn adding_the_same_user_twice_is_rejected() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Member)]))
        .when(OrganizationCommand::AddMember {
            member_id: 99,
            user_id: ALICE + 100,
            email: "alice@example.com".into(),
            role: OrgRole::Admin,
            at: at(),
        })
        .then_expect_error(OrganizationError::MemberAlreadyExists);
}

#[test]
fn changing_a_role_records_the_previous_and_new_role() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Member)]))
        .when(change_role(ALICE, OrgRole::Manager))
        .then_expect_events(vec![OrganizationEvent::MemberRoleChanged {
            member_id: ALICE,
            previous_role: OrgRole::Member,
            role: OrgRole::Manager,
            at: at(),
        }]);
}

#[test]
fn changing_a_role_to_the_same_role_records_nothing() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Admin)]))
        .when(change_role(ALICE, OrgRole::Admin))
        .then_expect_events(vec![]);
}

#[test]
fn changing_the_role_of_an_unknown_member_is_rejected() {
    OrgTest::with(())
        .given(created())
        .when(change_role(ALICE, OrgRole::Admin))
        .then_expect_error(OrganizationError::MemberNotFound(ALICE));
}

#[test]
fn demoting_the_last_owner_is_rejected() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Manager)]))
        .when(change_role(OWNER, OrgRole::Manager))
        .then_expect_error(OrganizationError::LastOwner);
}

#[test]
fn demoting_an_owner_is_allowed_while_another_owner_remains() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Owner)]))
        .when(change_role(OWNER, OrgRole::Member))
        .then_expect_events(vec![OrganizationEvent::MemberRoleChanged {
            member_id: OWNER,
            previous_role: OrgRole::Owner,
            role: OrgRole::Member,
            at: at(),
        }]);
}

#[test]
fn removing_the_last_owner_is_rejected() {
    OrgTest::with(())
        .given(with([member_added(ALICE, OrgRole::Member)]))
        .when(remove_member(OWNER))
        .then_expect_error(OrganizationError::LastOwner);
}

#[test]
fn removing_a_member_lists_the_teams_they_leave() {
    OrgTest::with(())
        .given(with([
            member_added(ALICE, OrgRole::Member),
            team_created(TEAM, "backend"),
            team_created(4, "frontend"),
            team_member_added(TEAM, ALICE),
        ]))
        .when(remove_member(ALICE))
        .then_expect_events(vec![OrganizationEvent::MemberRemoved {
            member_id: ALICE,
            user_id: ALICE + 100,
            teams: BTreeSet::from([TEAM]),
            at: at(),
        }]);
}

#[test]
fn a_removed_member_is_no_longer_on_any_team() {
    let mut org = Organization::default();
    let events = with([
        member_added(ALICE, OrgRole::Member),
        team_created(TEAM, "backend"),
        team_member_added(TEAM, ALICE),
        OrganizationEvent::MemberRemoved {
            member_id: ALICE,
            user_id: ALICE + 100,
            teams: BTreeSet::from([TEAM]),
            at: at(),
        },
    ]);
    for event in events {
        org.apply(event);
    }
    assert!(org.team(TEAM).unwrap().members.is_empty());
    assert!(org.member(ALICE).is_none());
    assert!(org.scopes_for_user(ALICE + 100).is_empty());
}

#[test]
fn removing_an_unknown_member_is_rejected() {
    OrgTest::with(())
        .given(created())
        .when(remove_member(ALICE))
        .then_expect_error(OrganizationError::MemberNotFound(ALICE));
}

#[test]
fn creating_a_team_records_its_slug_and_name() {
    OrgTest::with(())
        .given(created())
        .when(create_team(TEAM, "backend"))
        .then_expect_events(vec![team_created(TEAM, "backend")]);
}

#[test]
fn creating_a_team_with_a_taken_slug_is_rejected() {
    OrgTest::with(())
        .given(with([team_created(TEAM, "backend")]))
        .when(create_team(4, "backend"))
        .then_expect_error(OrganizationError::TeamSlugTaken(slug("backend")));
}

#[test]
fn renaming_a_team_to_another_teams_slug_is_rejected() {
    OrgTest::with(())
        .given(with([
            team_created(TEAM, "backend"),
            team_created(4, "frontend"),
        ]))
        .when(OrganizationCommand::UpdateTeam {
            team_id: 4,
            name: None,
            slug: Some(slug("backend")),
            at: at(),
        })
        .then_expect_error(OrganizationError::TeamSlugTaken(slug("backend")));
}

#[test]
fn updating_a_team_records_only_the_changed_fields() {
    OrgTest::with(())
        .given(with([team_created(TEAM, "backend")]))
        .when(OrganizationCommand::UpdateTeam {
            team_id: TEAM,
            name: Some("Platform".into()),
            slug: Some(slug("backend")),
            at: at(),
        })
        .then_expect_events(vec![OrganizationEvent::TeamUpdated {
            team_id: TEAM,
            name: Some("Platform".into()),
            slug: None,
            at: at(),
        }]);
}

#[test]
fn a_deleted_teams_slug_can_be_reused() {
    OrgTest::with(())
        .given(with([
            team_created(TEAM, "backend"),
            OrganizationEvent::TeamDeleted {
                team_id: TEAM,
                at: at(),
            },
        ]))
        .when(create_team(4, "backend"))
        .then_expect_events(vec![team_created(4, "backend")]);
}

#[test]
fn deleting_an_unknown_team_is_rejected() {
    OrgTest::with(())
        .given(created())
        .when(OrganizationCommand::DeleteTeam {
            team_id: TEAM,
            at: at(),
        })
        .then_expect_error(OrganizationError::TeamNotFound(TEAM));
}

#[test]
fn adding_a_member_to_a_team_records_it() {
    OrgTest::with(())
        .given(with([team_created(TEAM, "backend")]))
        .when(OrganizationCommand::AddTeamMember {
            team_id: TEAM,
            member_id: OWNER,
            at: at(),
        })
        .then_expect_events(vec![team_member_added(TEAM, OWNER)]);
}

#[test]
fn adding_a_member_to_a_team_they_are_on_is_rejected() {
    OrgTest::with(())
        .given(with([
            team_created(TEAM, "backend"),
            team_member_added(TEAM, OWNER),
        ]))
        .when(OrganizationCommand::AddTeamMember {
            team_id: TEAM,
            member_id: OWNER,
            at: at(),
        })
        .then_expect_error(OrganizationError::AlreadyTeamMember);
}

#[test]
fn adding_an_unknown_member_to_a_team_is_rejected() {
    OrgTest::with(())
        .given(with([team_created(TEAM, "backend")]))
        .when(OrganizationCommand::AddTeamMember {
            team_id: TEAM,
            member_id: ALICE,
            at: at(),
        })
        .then_expect_error(OrganizationError::MemberNotFound(ALICE));
}

#[test]
fn removing_a_member_from_a_team_they_are_not_on_is_rejected() {
    OrgTest::with(())
        .given(with([team_created(TEAM, "backend")]))
        .when(OrganizationCommand::RemoveTeamMember {
            team_id: TEAM,
            member_id: OWNER,
            at: at(),
        })
        .then_expect_error(OrganizationError::NotTeamMember);
}

#[test]
fn removing_a_member_from_a_team_records_it() {
    OrgTest::with(())
        .given(with([
            team_created(TEAM, "backend"),
            team_member_added(TEAM, OWNER),
        ]))
        .when(OrganizationCommand::RemoveTeamMember {
            team_id: TEAM,
            member_id: OWNER,
            at: at(),
        })
        .then_expect_events(vec![OrganizationEvent::TeamMemberRemoved {
            team_id: TEAM,
            member_id: OWNER,
            at: at(),
        }]);
}

#[test]
fn a_members_scopes_follow_their_role() {
    let mut org = Organization::default();
    for event in with([member_added(ALICE, OrgRole::Admin)]) {
        org.apply(event);
    }
    assert_eq!(org.scopes_for_user(ALICE + 100), OrgRole::Admin.scopes());
    assert_eq!(org.scopes_for_user(OWNER + 100), crate::role::Scope::all());
}

#[test]
fn a_stored_organization_updated_payload_omits_unchanged_fields() {
    let event = OrganizationEvent::OrganizationUpdated {
        name: Some("Acme Inc".into()),
        slug: None,
        at: at(),
    };
    let json = r#"{"OrganizationUpdated":{"name":"Acme Inc","at":"2026-01-01T00:00:00Z"}}"#;
    assert_eq!(serde_json::to_string(&event).unwrap(), json);
    assert_eq!(
        serde_json::from_str::<OrganizationEvent>(json).unwrap(),
        event
    );
    use cqrs_es::DomainEvent;
    assert_eq!(event.event_type(), "OrganizationUpdated");
}
