//! Deleting an issue and merging issues.

use super::*;

fn deleted() -> IssueEvent {
    IssueEvent::IssueDeleted {
        issue_id: 7,
        at: at(5),
        actor: actor(),
    }
}

fn merged() -> IssueEvent {
    IssueEvent::IssueMerged {
        issue_id: 7,
        into_issue_id: 3,
        into_stream: "primary".to_owned(),
        at: at(5),
        actor: actor(),
    }
}

fn reopened_issue() -> NewIssue {
    NewIssue {
        issue_id: 8,
        short_number: 8,
        ..new_issue()
    }
}

#[test]
fn deleting_an_issue_records_which_issue_was_deleted() {
    test()
        .given(existing())
        .when(IssueCommand::Delete {
            at: at(5),
            actor: actor(),
        })
        .then_expect_events(vec![deleted()]);
}

#[test]
fn a_deleted_issue_no_longer_exists() {
    let issue = issue_after(existing_then([deleted()]));
    assert!(!issue.exists());
    assert!(issue.is_deleted());
    assert_eq!(issue.issue_id(), None);
}

#[test]
fn a_deleted_issue_rejects_workflow_commands() {
    test()
        .given(existing_then([deleted()]))
        .when(IssueCommand::Resolve {
            details: ResolveDetails::Plain,
            at: at(6),
            actor: actor(),
        })
        .then_expect_error(IssueError::Deleted);
}

#[test]
fn deleting_a_deleted_issue_is_rejected() {
    test()
        .given(existing_then([deleted()]))
        .when(IssueCommand::Delete {
            at: at(6),
            actor: actor(),
        })
        .then_expect_error(IssueError::Deleted);
}

#[test]
fn a_deleted_issue_reopens_as_a_new_issue_on_its_next_event() {
    let event = occurrence("e9", 9);
    test()
        .given(existing_then([deleted()]))
        .when(IssueCommand::RecordOccurrence {
            new_issue: Some(reopened_issue()),
            occurrence: event.clone(),
        })
        .then_expect_events(vec![
            IssueEvent::IssueCreated {
                issue_id: 8,
                project_id: 1,
                org_id: 1,
                short_number: 8,
                hash: "a".repeat(32),
                title: "ValueError: bad".to_owned(),
                culprit: "app in handler".to_owned(),
                metadata: json!({"type": "ValueError", "value": "bad"}),
                issue_type: "error".to_owned(),
                level: "error".to_owned(),
                platform: "python".to_owned(),
                first_seen: at(9),
            },
            ingested(event),
        ]);
}

#[test]
fn a_reopened_issue_starts_afresh() {
    let reopened = Issue::default()
        .decide(IssueCommand::RecordOccurrence {
            new_issue: Some(reopened_issue()),
            occurrence: occurrence("e9", 9),
        })
        .unwrap();
    let issue = issue_after(
        existing_then([
            resolved(ResolveDetails::Plain, at(2)),
            IssueEvent::PublicSet {
                public: true,
                at: at(3),
                actor: actor(),
            },
            deleted(),
        ])
        .into_iter()
        .chain(reopened),
    );
    assert_eq!(issue.issue_id(), Some(8));
    assert_eq!(issue.times_seen(), 1);
    assert_eq!(issue.status(), IssueStatus::Unresolved);
    assert!(!issue.is_public());
    assert!(!issue.is_deleted());
}

#[test]
fn an_event_for_a_deleted_issue_without_new_issue_data_is_rejected() {
    test()
        .given(existing_then([deleted()]))
        .when(record(occurrence("e9", 9)))
        .then_expect_error(IssueError::NotCreated);
}

#[test]
fn merging_an_issue_into_another_records_the_primary() {
    test()
        .given(existing())
        .when(IssueCommand::MergeInto {
            primary_issue_id: 3,
            primary_stream: "primary".to_owned(),
            at: at(5),
            actor: actor(),
        })
        .then_expect_events(vec![merged()]);
}

#[test]
fn merging_an_issue_into_itself_is_rejected() {
    test()
        .given(existing())
        .when(IssueCommand::MergeInto {
            primary_issue_id: 7,
            primary_stream: "self".to_owned(),
            at: at(5),
            actor: actor(),
        })
        .then_expect_error(IssueError::MergeIntoSelf);
}

#[test]
fn a_merged_issue_tells_where_its_events_now_go() {
    let issue = issue_after(existing_then([merged()]));
    assert!(issue.exists());
    assert_eq!(issue.merged_into(), Some((3, "primary".to_owned())));
}

#[test]
fn an_event_for_a_merged_issue_is_refused_with_its_primary() {
    test()
        .given(existing_then([merged()]))
        .when(record(occurrence("e9", 9)))
        .then_expect_error(IssueError::Merged {
            into_issue_id: 3,
            into_stream: "primary".to_owned(),
        });
}

#[test]
fn a_merged_issue_rejects_workflow_commands() {
    test()
        .given(existing_then([merged()]))
        .when(IssueCommand::Assign {
            assignee: Assignee::User(5),
            at: at(6),
            actor: actor(),
        })
        .then_expect_error(IssueError::Merged {
            into_issue_id: 3,
            into_stream: "primary".to_owned(),
        });
}

#[test]
fn absorbing_merged_issues_records_them_on_the_primary() {
    test()
        .given(existing())
        .when(IssueCommand::AbsorbMerge {
            from_issue_ids: vec![9, 4, 9],
            at: at(5),
            actor: actor(),
        })
        .then_expect_events(vec![IssueEvent::IssuesMergedIn {
            from_issue_ids: vec![4, 9],
            at: at(5),
            actor: actor(),
        }]);
}

#[test]
fn absorbing_no_issues_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::AbsorbMerge {
            from_issue_ids: vec![],
            at: at(5),
            actor: actor(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn absorbing_an_issue_into_itself_is_rejected() {
    test()
        .given(existing())
        .when(IssueCommand::AbsorbMerge {
            from_issue_ids: vec![7],
            at: at(5),
            actor: actor(),
        })
        .then_expect_error(IssueError::MergeIntoSelf);
}

#[test]
fn an_issue_whose_last_event_is_before_the_horizon_expires_as_deleted_by_retention() {
    test()
        .given(existing())
        .when(IssueCommand::Expire {
            horizon: at(50),
            at: at(55),
        })
        .then_expect_events(vec![IssueEvent::IssueDeleted {
            issue_id: 7,
            at: at(55),
            actor: Some("retention".to_owned()),
        }]);
}

#[test]
fn an_issue_with_an_event_at_or_after_the_horizon_does_not_expire() {
    test()
        .given(existing_then([ingested(occurrence("late", 30))]))
        .when(IssueCommand::Expire {
            horizon: at(30),
            at: at(55),
        })
        .then_expect_error(IssueError::NotExpired);
}
