//! Recording events: creation, regression and release-aware resolves.

use super::*;

fn in_release(version: &str) -> ResolveDetails {
    ResolveDetails::InRelease {
        version: version.to_owned(),
        earlier_releases: vec![],
    }
}

fn in_next_release(current: &str) -> ResolveDetails {
    ResolveDetails::InNextRelease {
        current_release: Some(current.to_owned()),
        earlier_releases: vec![],
    }
}

fn regressed(occurrence: &Occurrence) -> IssueEvent {
    IssueEvent::IssueRegressed {
        event_id: occurrence.event_id.clone(),
        release: occurrence.release.clone(),
        at: occurrence.received,
    }
}

#[test]
fn the_first_event_of_a_fingerprint_creates_the_issue_and_is_recorded() {
    test()
        .given_no_previous_events()
        .when(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e1", 1),
        })
        .then_expect_events(vec![created(), ingested(occurrence("e1", 1))]);
}

#[test]
fn a_later_event_is_only_recorded_even_if_new_issue_data_comes_along() {
    test()
        .given(existing())
        .when(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e2", 2),
        })
        .then_expect_events(vec![ingested(occurrence("e2", 2))]);
}

#[test]
fn an_event_for_an_issue_that_does_not_exist_needs_new_issue_data() {
    test()
        .given_no_previous_events()
        .when(record(occurrence("e1", 1)))
        .then_expect_error(IssueError::NotCreated);
}

#[test]
fn an_event_for_a_resolved_issue_regresses_it() {
    let event = occurrence("e3", 3);
    test()
        .given(existing_then([resolved(ResolveDetails::Plain, at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![regressed(&event), ingested(event)]);
}

#[test]
fn an_event_of_an_older_release_does_not_regress_an_issue_resolved_in_a_newer_release() {
    let event = of_release(occurrence("e3", 3), "shop@1.9.0");
    test()
        .given(existing_then([resolved(in_release("shop@1.10.0"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_event_of_the_fixing_release_regresses_an_issue_resolved_in_that_release() {
    let event = of_release(occurrence("e3", 3), "shop@1.10.0");
    test()
        .given(existing_then([resolved(in_release("shop@1.10.0"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![regressed(&event), ingested(event)]);
}

#[test]
fn an_event_without_a_release_does_not_regress_an_issue_resolved_in_a_release() {
    let event = occurrence("e3", 3);
    test()
        .given(existing_then([resolved(in_release("1.0"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_event_of_another_free_form_release_regresses_an_issue_resolved_in_a_free_form_release() {
    let event = of_release(occurrence("e3", 3), "deadbeef");
    test()
        .given(existing_then([resolved(in_release("cafebabe"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![regressed(&event), ingested(event)]);
}

#[test]
fn an_event_of_the_current_release_does_not_regress_an_issue_resolved_in_the_next_release() {
    let event = of_release(occurrence("e3", 3), "2.0.0");
    test()
        .given(existing_then([resolved(in_next_release("2.0.0"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![ingested(event)]);
}

#[test]
fn an_event_of_a_newer_release_regresses_an_issue_resolved_in_the_next_release() {
    let event = of_release(occurrence("e3", 3), "2.0.1");
    test()
        .given(existing_then([resolved(in_next_release("2.0.0"), at(2))]))
        .when(record(event.clone()))
        .then_expect_events(vec![regressed(&event), ingested(event)]);
}

#[test]
fn a_regressed_issue_is_unresolved_with_substatus_regressed() {
    let event = occurrence("e3", 3);
    let issue = issue_after(existing_then([
        resolved(ResolveDetails::Plain, at(2)),
        regressed(&event),
        ingested(event),
    ]));
    assert_eq!(issue.status(), IssueStatus::Unresolved);
    assert_eq!(issue.substatus(at(4)), Some("regressed"));
}

#[test]
fn occurrences_count_and_move_last_seen_forward_only() {
    let issue = issue_after([
        created(),
        ingested(occurrence("e2", 9)),
        ingested(occurrence("e3", 4)),
    ]);
    assert_eq!(issue.times_seen(), 2);
    assert_eq!(issue.last_seen(), Some(at(9)));
}

#[test]
fn one_fingerprint_in_one_project_always_maps_to_one_stream() {
    assert_eq!(issue_stream_id(1, "abc"), issue_stream_id(1, "abc"));
    assert_ne!(issue_stream_id(1, "abc"), issue_stream_id(2, "abc"));
}
