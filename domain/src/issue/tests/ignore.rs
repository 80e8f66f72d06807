//! Ignoring, and ignores that end by themselves.

use super::*;

fn ignore(details: IgnoreDetails, at: DateTime<Utc>) -> IssueCommand {
    IssueCommand::Ignore {
        details,
        at,
        actor: actor(),
    }
}

fn for_minutes(minutes: u32) -> IgnoreDetails {
    IgnoreDetails {
        duration_minutes: Some(minutes),
        ..IgnoreDetails::default()
    }
}

fn until_count(count: u64, window_minutes: Option<u32>) -> IgnoreDetails {
    IgnoreDetails {
        count: Some(count),
        window_minutes,
        ..IgnoreDetails::default()
    }
}

fn until_users(user_count: u64, user_window_minutes: Option<u32>) -> IgnoreDetails {
    IgnoreDetails {
        user_count: Some(user_count),
        user_window_minutes,
        ..IgnoreDetails::default()
    }
}

fn escalated(at: DateTime<Utc>) -> IssueEvent {
    IssueEvent::IssueUnignored {
        reason: UnignoreReason::Escalating,
        at,
    }
}

#[test]
fn ignoring_an_issue_forever_records_no_end() {
    test()
        .given(existing())
        .when(ignore(IgnoreDetails::default(), at(2)))
        .then_expect_events(vec![IssueEvent::IssueIgnored {
            details: IgnoreDetails::default(),
            until: None,
            at: at(2),
            actor: actor(),
        }]);
}

#[test]
fn ignoring_an_issue_for_a_while_records_when_the_ignore_ends() {
    test()
        .given(existing())
        .when(ignore(for_minutes(30), minute(1)))
        .then_expect_events(vec![IssueEvent::IssueIgnored {
            details: for_minutes(30),
            until: Some(minute(31)),
            at: minute(1),
            actor: actor(),
        }]);
}

#[test]
fn ignoring_an_issue_the_same_way_twice_changes_nothing() {
    test()
        .given(existing_then([ignored(for_minutes(30), at(2))]))
        .when(ignore(for_minutes(30), at(3)))
        .then_expect_events(vec![]);
}

#[test]
fn ignoring_with_a_window_but_no_count_is_rejected() {
    test()
        .given(existing())
        .when(ignore(
            IgnoreDetails {
                window_minutes: Some(60),
                ..IgnoreDetails::default()
            },
            at(2),
        ))
        .then_expect_error(IssueError::InvalidIgnore);
}

#[test]
fn an_event_for_an_issue_ignored_forever_does_not_unignore_it() {
    let event = occurrence("e3", 3);
    test()
        .given(existing_then([ignored(IgnoreDetails::default(), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_ignored_issue_stays_ignored_until_its_event_count_is_reached() {
    let event = occurrence_at("e4", minute(4));
    test()
        .given(existing_then([
            ignored(until_count(3, None), minute(2)),
            ingested(occurrence_at("e3", minute(3))),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_ignored_issue_escalates_when_its_event_count_is_reached() {
    let event = occurrence_at("e5", minute(5));
    test()
        .given(existing_then([
            ignored(until_count(3, None), minute(2)),
            ingested(occurrence_at("e3", minute(3))),
            ingested(occurrence_at("e4", minute(4))),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![escalated(minute(5)), ingested(event)]);
}

#[test]
fn an_ignored_issue_escalates_when_its_event_count_is_reached_within_the_window() {
    let event = occurrence_at("e5", minute(12));
    test()
        .given(existing_then([
            ignored(until_count(3, Some(10)), minute(2)),
            ingested(occurrence_at("e3", minute(3))),
            ingested(occurrence_at("e4", minute(4))),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![escalated(minute(12)), ingested(event)]);
}

#[test]
fn events_outside_the_window_do_not_count_towards_an_ignores_event_count() {
    let event = occurrence_at("e5", minute(14));
    test()
        .given(existing_then([
            ignored(until_count(3, Some(10)), minute(2)),
            ingested(occurrence_at("e3", minute(3))),
            ingested(occurrence_at("e4", minute(4))),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_ignored_issue_escalates_when_its_user_count_is_reached() {
    let event = of_user(occurrence_at("e5", minute(5)), "id:3");
    test()
        .given(existing_then([
            ignored(until_users(2, None), minute(2)),
            ingested(of_user(occurrence_at("e3", minute(3)), "id:2")),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![escalated(minute(5)), ingested(event)]);
}

#[test]
fn repeated_events_of_one_user_do_not_reach_an_ignores_user_count() {
    let event = of_user(occurrence_at("e5", minute(5)), "id:2");
    test()
        .given(existing_then([
            ignored(until_users(2, None), minute(2)),
            ingested(of_user(occurrence_at("e3", minute(3)), "id:2")),
            ingested(of_user(occurrence_at("e4", minute(4)), "id:2")),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn users_outside_the_window_do_not_count_towards_an_ignores_user_count() {
    let event = of_user(occurrence_at("e5", minute(20)), "id:3");
    test()
        .given(existing_then([
            ignored(until_users(2, Some(10)), minute(2)),
            ingested(of_user(occurrence_at("e3", minute(3)), "id:2")),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_ignored_issue_escalates_when_its_user_count_is_reached_within_the_window() {
    let event = of_user(occurrence_at("e5", minute(12)), "id:3");
    test()
        .given(existing_then([
            ignored(until_users(2, Some(10)), minute(2)),
            ingested(of_user(occurrence_at("e3", minute(3)), "id:2")),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![escalated(minute(12)), ingested(event)]);
}

#[test]
fn events_before_the_ignore_do_not_count_towards_its_event_count() {
    let event = occurrence_at("e4", minute(4));
    test()
        .given(existing_then([
            ingested(occurrence_at("e2", minute(1))),
            ingested(occurrence_at("e3", minute(1))),
            ignored(until_count(2, None), minute(2)),
        ]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_escalated_issue_is_unresolved_with_substatus_escalating() {
    let issue = issue_after(existing_then([
        ignored(until_count(1, None), minute(2)),
        escalated(minute(3)),
    ]));
    assert_eq!(issue.status(), IssueStatus::Unresolved);
    assert_eq!(issue.substatus(minute(3)), Some("escalating"));
}

#[test]
fn expiring_an_ignore_at_its_time_unignores_the_issue() {
    test()
        .given(existing_then([ignored(for_minutes(30), minute(1))]))
        .when(IssueCommand::ExpireIgnore { now: minute(31) })
        .then_expect_events(vec![IssueEvent::IssueUnignored {
            reason: UnignoreReason::Expired,
            at: minute(31),
        }]);
}

#[test]
fn expiring_an_ignore_before_its_time_changes_nothing() {
    test()
        .given(existing_then([ignored(for_minutes(30), minute(1))]))
        .when(IssueCommand::ExpireIgnore { now: minute(30) })
        .then_expect_events(vec![]);
}

#[test]
fn expiring_the_ignore_of_an_issue_that_is_no_longer_ignored_changes_nothing() {
    test()
        .given(existing_then([
            ignored(for_minutes(30), minute(1)),
            resolved(ResolveDetails::Plain, minute(2)),
        ]))
        .when(IssueCommand::ExpireIgnore { now: minute(40) })
        .then_expect_events(vec![]);
}

#[test]
fn an_issue_ignored_for_a_while_tells_when_its_ignore_expires() {
    let issue = issue_after(existing_then([ignored(for_minutes(30), minute(1))]));
    assert_eq!(issue.ignore_expires_at(), Some(minute(31)));
}

#[test]
fn a_steady_trickle_below_the_windowed_count_never_escalates_and_keeps_the_state_small() {
    let mut issue = issue_after(existing_then([ignored(
        until_count(3, Some(10)),
        minute(0),
    )]));
    for m in 1..200 {
        let decided = issue
            .decide(record(occurrence_at("e", minute(m * 6))))
            .unwrap();
        assert_eq!(decided.len(), 1, "escalated at event {m}");
        decided.into_iter().for_each(|event| issue.apply(event));
    }
    let snapshot = serde_json::to_value(&issue).unwrap();
    let recent = snapshot["ignore"]["recent"].as_array().unwrap();
    assert!(recent.len() < 3, "{recent:?}");
}
