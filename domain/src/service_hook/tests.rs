//! Given/when/then tests of the service hook aggregate.

use cqrs_es::test::TestFramework;

use super::*;

type HookTest = TestFramework<ServiceHook>;

const ID: &str = "4f9d73e63b7144ecb8944c41620a090b";
const SECRET: &str = "8fcac28aaa4c4f5fa572b61d40a8e084364db25fd37449c299e5a41c0504cbc2";
const URL: &str = "https://empowerplant.io/sentry-hook";

fn names(events: &[&str]) -> Vec<String> {
    events.iter().map(|e| e.to_string()).collect()
}

fn create(url: &str, events: &[&str]) -> ServiceHookCommand {
    ServiceHookCommand::CreateServiceHook {
        hook_id: ID.into(),
        org_id: 3,
        project_id: 42,
        url: url.into(),
        events: names(events),
        secret: SECRET.into(),
    }
}

fn update(url: &str, events: &[&str]) -> ServiceHookCommand {
    ServiceHookCommand::UpdateServiceHook {
        url: url.into(),
        events: names(events),
    }
}

fn created(events: &[&str]) -> ServiceHookEvent {
    ServiceHookEvent::ServiceHookCreated {
        hook_id: ID.into(),
        org_id: 3,
        project_id: 42,
        url: URL.into(),
        events: names(events),
        secret: SECRET.into(),
    }
}

fn deleted() -> ServiceHookEvent {
    ServiceHookEvent::ServiceHookDeleted {
        hook_id: ID.into(),
        org_id: 3,
        project_id: 42,
    }
}

#[test]
fn registering_a_hook_records_its_events_sorted_without_repeats() {
    HookTest::with(())
        .given_no_previous_events()
        .when(create(
            URL,
            &["event.created", "event.alert", "event.created"],
        ))
        .then_expect_events(vec![created(&["event.alert", "event.created"])]);
}

#[test]
fn registering_a_hook_twice_is_rejected() {
    HookTest::with(())
        .given(vec![created(&["event.created"])])
        .when(create(URL, &["event.created"]))
        .then_expect_error(ServiceHookError::AlreadyExists);
}

#[test]
fn a_hook_to_anything_but_an_http_url_is_rejected() {
    HookTest::with(())
        .given_no_previous_events()
        .when(create("ftp://empowerplant.io/", &["event.created"]))
        .then_expect_error(ServiceHookError::InvalidUrl);
}

#[test]
fn an_event_name_sentry_does_not_know_is_rejected() {
    HookTest::with(())
        .given_no_previous_events()
        .when(create(URL, &["event.created", "issue.created"]))
        .then_expect_error(ServiceHookError::UnknownEvent("issue.created".into()));
}

#[test]
fn a_hook_id_that_is_not_32_hex_characters_is_rejected() {
    let mut command = create(URL, &[]);
    if let ServiceHookCommand::CreateServiceHook { hook_id, .. } = &mut command {
        *hook_id = "not-a-uuid".into();
    }

    HookTest::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(ServiceHookError::InvalidId);
}

#[test]
fn a_secret_that_is_not_64_hex_characters_is_rejected() {
    let mut command = create(URL, &[]);
    if let ServiceHookCommand::CreateServiceHook { secret, .. } = &mut command {
        *secret = "short".into();
    }

    HookTest::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(ServiceHookError::InvalidSecret);
}

#[test]
fn updating_records_the_new_url_and_events() {
    HookTest::with(())
        .given(vec![created(&["event.created"])])
        .when(update("http://example.com/new", &["event.alert"]))
        .then_expect_events(vec![ServiceHookEvent::ServiceHookUpdated {
            hook_id: ID.into(),
            org_id: 3,
            project_id: 42,
            url: "http://example.com/new".into(),
            events: names(&["event.alert"]),
        }]);
}

#[test]
fn updating_to_the_same_url_and_events_records_nothing() {
    HookTest::with(())
        .given(vec![created(&["event.alert", "event.created"])])
        .when(update(URL, &["event.created", "event.alert"]))
        .then_expect_events(vec![]);
}

#[test]
fn an_update_to_a_bad_url_is_rejected() {
    HookTest::with(())
        .given(vec![created(&["event.created"])])
        .when(update("javascript:alert(1)", &["event.created"]))
        .then_expect_error(ServiceHookError::InvalidUrl);
}

#[test]
fn updating_a_hook_that_was_never_registered_is_rejected() {
    HookTest::with(())
        .given_no_previous_events()
        .when(update(URL, &["event.created"]))
        .then_expect_error(ServiceHookError::NotFound);
}

#[test]
fn removing_a_hook_records_it() {
    HookTest::with(())
        .given(vec![created(&["event.created"])])
        .when(ServiceHookCommand::DeleteServiceHook)
        .then_expect_events(vec![deleted()]);
}

#[test]
fn commands_on_a_removed_hook_are_rejected() {
    HookTest::with(())
        .given(vec![created(&["event.created"]), deleted()])
        .when(ServiceHookCommand::DeleteServiceHook)
        .then_expect_error(ServiceHookError::HookDeleted);
}

#[test]
fn a_hook_folds_its_events() {
    let mut hook = ServiceHook::default();
    hook.apply(created(&["event.created"]));

    assert_eq!(hook.hook_id(), Some(ID));
    assert_eq!(hook.project_id(), 42);
    assert_eq!(hook.url(), URL);
    assert_eq!(hook.events(), names(&["event.created"]).as_slice());
    assert!(hook.is_live());
    hook.apply(deleted());
    assert!(!hook.is_live());
}
