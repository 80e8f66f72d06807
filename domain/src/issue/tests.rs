use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use serde_json::json;

use super::*;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, second).unwrap()
}

fn occurrence(event_id: &str, second: u32) -> Occurrence {
    Occurrence {
        event_id: event_id.to_owned(),
        timestamp: at(second),
        received: at(second),
        level: "error".to_owned(),
        release: None,
        environment: "production".to_owned(),
        user_key: Some("id:1".to_owned()),
        tags: vec![("level".to_owned(), "error".to_owned())],
        title: "ValueError: bad".to_owned(),
        culprit: "app in handler".to_owned(),
        data: json!({"event_id": event_id}),
    }
}

fn new_issue() -> NewIssue {
    NewIssue {
        issue_id: 7,
        project_id: 1,
        org_id: 1,
        short_number: 7,
        hash: "a".repeat(32),
        title: "ValueError: bad".to_owned(),
        culprit: "app in handler".to_owned(),
        metadata: json!({"type": "ValueError", "value": "bad"}),
        issue_type: "error".to_owned(),
        level: "error".to_owned(),
        platform: "python".to_owned(),
    }
}

fn created() -> IssueEvent {
    Issue::default()
        .decide(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e1", 1),
        })
        .unwrap()
        .remove(0)
}

#[test]
fn the_first_event_of_a_fingerprint_creates_the_issue_and_is_recorded() {
    TestFramework::<Issue>::with(())
        .given_no_previous_events()
        .when(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e1", 1),
        })
        .then_expect_events(vec![
            created(),
            IssueEvent::EventIngested(Box::new(occurrence("e1", 1))),
        ]);
}

#[test]
fn a_later_event_is_only_recorded_even_if_new_issue_data_comes_along() {
    TestFramework::<Issue>::with(())
        .given(vec![
            created(),
            IssueEvent::EventIngested(Box::new(occurrence("e1", 1))),
        ])
        .when(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e2", 2),
        })
        .then_expect_events(vec![IssueEvent::EventIngested(Box::new(occurrence(
            "e2", 2,
        )))]);
}

#[test]
fn an_event_for_an_issue_that_does_not_exist_needs_new_issue_data() {
    TestFramework::<Issue>::with(())
        .given_no_previous_events()
        .when(IssueCommand::RecordOccurrence {
            new_issue: None,
            occurrence: occurrence("e1", 1),
        })
        .then_expect_error(IssueError::NotCreated);
}

#[test]
fn an_event_for_a_resolved_issue_regresses_it() {
    TestFramework::<Issue>::with(())
        .given(vec![
            created(),
            IssueEvent::EventIngested(Box::new(occurrence("e1", 1))),
            IssueEvent::IssueResolved { at: at(2) },
        ])
        .when(IssueCommand::RecordOccurrence {
            new_issue: None,
            occurrence: occurrence("e3", 3),
        })
        .then_expect_events(vec![
            IssueEvent::IssueRegressed {
                event_id: "e3".to_owned(),
                release: None,
                at: at(3),
            },
            IssueEvent::EventIngested(Box::new(occurrence("e3", 3))),
        ]);
}

#[test]
fn resolving_an_already_resolved_issue_changes_nothing() {
    TestFramework::<Issue>::with(())
        .given(vec![created(), IssueEvent::IssueResolved { at: at(2) }])
        .when(IssueCommand::Resolve { at: at(3) })
        .then_expect_events(vec![]);
}

#[test]
fn resolving_an_issue_that_does_not_exist_is_rejected() {
    TestFramework::<Issue>::with(())
        .given_no_previous_events()
        .when(IssueCommand::Resolve { at: at(3) })
        .then_expect_error(IssueError::NotFound);
}

#[test]
fn occurrences_count_and_move_last_seen_forward_only() {
    let mut issue = Issue::default();
    issue.apply(created());
    issue.apply(IssueEvent::EventIngested(Box::new(occurrence("e2", 9))));
    issue.apply(IssueEvent::EventIngested(Box::new(occurrence("e3", 4))));
    assert_eq!(issue.times_seen(), 2);
    assert_eq!(issue.last_seen, Some(at(9)));
}

#[test]
fn one_fingerprint_in_one_project_always_maps_to_one_stream() {
    assert_eq!(issue_stream_id(1, "abc"), issue_stream_id(1, "abc"));
    assert_ne!(issue_stream_id(1, "abc"), issue_stream_id(2, "abc"));
}
