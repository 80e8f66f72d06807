//! Sentry's substatus, derived from the state and the time of asking.

use super::*;

#[test]
fn an_unresolved_issue_is_new_within_a_week_of_its_first_event() {
    let issue = issue_after(existing());
    assert_eq!(issue.substatus(at(1) + Duration::days(6)), Some("new"));
}

#[test]
fn an_unresolved_issue_is_ongoing_after_a_week() {
    let issue = issue_after(existing());
    assert_eq!(issue.substatus(at(1) + Duration::days(7)), Some("ongoing"));
}

#[test]
fn an_issue_unresolved_by_hand_loses_its_regressed_substatus() {
    let event = occurrence("e3", 3);
    let issue = issue_after(existing_then([
        resolved(ResolveDetails::Plain, at(2)),
        IssueEvent::IssueRegressed {
            event_id: "e3".to_owned(),
            release: None,
            at: at(3),
        },
        ingested(event),
        ignored(IgnoreDetails::default(), at(4)),
        IssueEvent::IssueUnresolved {
            at: at(5),
            actor: None,
        },
    ]));
    assert_eq!(issue.substatus(at(6)), Some("new"));
}

#[test]
fn a_resolved_issue_has_no_substatus() {
    let issue = issue_after(existing_then([resolved(ResolveDetails::Plain, at(2))]));
    assert_eq!(issue.substatus(at(3)), None);
}

#[test]
fn an_issue_ignored_without_conditions_is_archived_forever() {
    let issue = issue_after(existing_then([ignored(IgnoreDetails::default(), at(2))]));
    assert_eq!(issue.substatus(at(3)), Some("archived_forever"));
}

#[test]
fn an_issue_ignored_until_a_count_is_archived_until_condition_met() {
    let details = IgnoreDetails {
        count: Some(10),
        ..IgnoreDetails::default()
    };
    let issue = issue_after(existing_then([ignored(details, at(2))]));
    assert_eq!(issue.substatus(at(3)), Some("archived_until_condition_met"));
}

#[test]
fn an_issue_ignored_until_escalating_is_archived_until_escalating() {
    let details = IgnoreDetails {
        until_escalating: true,
        ..IgnoreDetails::default()
    };
    let issue = issue_after(existing_then([ignored(details, at(2))]));
    assert_eq!(issue.substatus(at(3)), Some("archived_until_escalating"));
}
