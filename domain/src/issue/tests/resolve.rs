//! Resolving and unresolving by hand.

use super::*;

fn resolve(details: ResolveDetails, at: DateTime<Utc>) -> IssueCommand {
    IssueCommand::Resolve {
        details,
        at,
        actor: actor(),
    }
}

#[test]
fn resolving_an_unresolved_issue_records_how_and_by_whom() {
    let details = ResolveDetails::InRelease {
        version: "1.2.0".to_owned(),
        earlier_releases: vec![],
    };
    test()
        .given(existing())
        .when(resolve(details.clone(), at(2)))
        .then_expect_events(vec![resolved(details, at(2))]);
}

#[test]
fn resolving_an_already_resolved_issue_changes_nothing() {
    test()
        .given(existing_then([resolved(ResolveDetails::Plain, at(2))]))
        .when(resolve(ResolveDetails::Plain, at(3)))
        .then_expect_events(vec![]);
}

#[test]
fn resolving_a_resolved_issue_in_a_release_changes_its_resolution() {
    let details = ResolveDetails::InNextRelease {
        current_release: Some("1.0".to_owned()),
        earlier_releases: vec![],
    };
    test()
        .given(existing_then([resolved(ResolveDetails::Plain, at(2))]))
        .when(resolve(details.clone(), at(3)))
        .then_expect_events(vec![resolved(details, at(3))]);
}

#[test]
fn resolving_an_ignored_issue_ends_the_ignore() {
    let issue = issue_after(existing_then([
        ignored(IgnoreDetails::default(), at(2)),
        resolved(ResolveDetails::Plain, at(3)),
    ]));
    assert_eq!(issue.status(), IssueStatus::Resolved);
    assert_eq!(issue.ignore_details(), None);
}

#[test]
fn resolving_an_issue_that_does_not_exist_is_rejected() {
    test()
        .given_no_previous_events()
        .when(resolve(ResolveDetails::Plain, at(3)))
        .then_expect_error(IssueError::NotFound);
}

#[test]
fn unresolving_a_resolved_issue_reopens_it() {
    test()
        .given(existing_then([resolved(ResolveDetails::Plain, at(2))]))
        .when(IssueCommand::Unresolve {
            at: at(3),
            actor: actor(),
        })
        .then_expect_events(vec![IssueEvent::IssueUnresolved {
            at: at(3),
            actor: actor(),
        }]);
}

#[test]
fn unresolving_an_ignored_issue_reopens_it() {
    test()
        .given(existing_then([ignored(IgnoreDetails::default(), at(2))]))
        .when(IssueCommand::Unresolve {
            at: at(3),
            actor: None,
        })
        .then_expect_events(vec![IssueEvent::IssueUnresolved {
            at: at(3),
            actor: None,
        }]);
}

#[test]
fn unresolving_an_unresolved_issue_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::Unresolve {
            at: at(3),
            actor: actor(),
        })
        .then_expect_events(vec![]);
}
