//! Assignment, bookmarks, subscriptions, seen marks and public sharing.

use super::*;

fn assigned(assignee: Assignee) -> IssueEvent {
    IssueEvent::IssueAssigned {
        assignee,
        at: at(2),
        actor: actor(),
    }
}

fn assign(assignee: Assignee) -> IssueCommand {
    IssueCommand::Assign {
        assignee,
        at: at(3),
        actor: actor(),
    }
}

#[test]
fn assigning_an_issue_to_a_team_records_the_assignee() {
    test()
        .given(existing())
        .when(IssueCommand::Assign {
            assignee: Assignee::Team(3),
            at: at(2),
            actor: actor(),
        })
        .then_expect_events(vec![assigned(Assignee::Team(3))]);
}

#[test]
fn assigning_an_issue_to_its_assignee_changes_nothing() {
    test()
        .given(existing_then([assigned(Assignee::User(5))]))
        .when(assign(Assignee::User(5)))
        .then_expect_events(vec![]);
}

#[test]
fn reassigning_an_issue_to_someone_else_records_the_new_assignee() {
    test()
        .given(existing_then([assigned(Assignee::User(5))]))
        .when(assign(Assignee::User(6)))
        .then_expect_events(vec![IssueEvent::IssueAssigned {
            assignee: Assignee::User(6),
            at: at(3),
            actor: actor(),
        }]);
}

#[test]
fn unassigning_an_issue_records_who_it_was_assigned_to() {
    test()
        .given(existing_then([assigned(Assignee::User(5))]))
        .when(IssueCommand::Unassign {
            at: at(3),
            actor: actor(),
        })
        .then_expect_events(vec![IssueEvent::IssueUnassigned {
            previous: Assignee::User(5),
            at: at(3),
            actor: actor(),
        }]);
}

#[test]
fn unassigning_an_unassigned_issue_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::Unassign {
            at: at(3),
            actor: actor(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn bookmarking_an_issue_records_the_bookmark() {
    test()
        .given(existing())
        .when(IssueCommand::SetBookmark {
            user_id: 5,
            bookmarked: true,
            at: at(2),
        })
        .then_expect_events(vec![IssueEvent::BookmarkSet {
            user_id: 5,
            bookmarked: true,
            at: at(2),
        }]);
}

#[test]
fn bookmarking_an_issue_twice_changes_nothing() {
    let bookmark = IssueEvent::BookmarkSet {
        user_id: 5,
        bookmarked: true,
        at: at(2),
    };
    test()
        .given(existing_then([bookmark]))
        .when(IssueCommand::SetBookmark {
            user_id: 5,
            bookmarked: true,
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn removing_a_bookmark_that_was_never_set_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::SetBookmark {
            user_id: 5,
            bookmarked: false,
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn unsubscribing_from_an_issue_records_the_choice() {
    test()
        .given(existing())
        .when(IssueCommand::SetSubscribed {
            user_id: 5,
            subscribed: false,
            at: at(2),
        })
        .then_expect_events(vec![IssueEvent::SubscriptionSet {
            user_id: 5,
            subscribed: false,
            at: at(2),
        }]);
}

#[test]
fn subscribing_to_an_issue_twice_changes_nothing() {
    let subscribed = IssueEvent::SubscriptionSet {
        user_id: 5,
        subscribed: true,
        at: at(2),
    };
    test()
        .given(existing_then([subscribed]))
        .when(IssueCommand::SetSubscribed {
            user_id: 5,
            subscribed: true,
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_user_seeing_an_issue_for_the_first_time_is_recorded() {
    test()
        .given(existing())
        .when(IssueCommand::MarkSeen {
            user_id: 5,
            at: at(2),
        })
        .then_expect_events(vec![IssueEvent::IssueSeen {
            user_id: 5,
            at: at(2),
        }]);
}

#[test]
fn seeing_an_issue_again_without_new_events_changes_nothing() {
    test()
        .given(existing_then([IssueEvent::IssueSeen {
            user_id: 5,
            at: at(2),
        }]))
        .when(IssueCommand::MarkSeen {
            user_id: 5,
            at: at(3),
        })
        .then_expect_events(vec![]);
}

#[test]
fn seeing_an_issue_again_after_a_new_event_is_recorded() {
    test()
        .given(existing_then([
            IssueEvent::IssueSeen {
                user_id: 5,
                at: at(2),
            },
            ingested(occurrence("e3", 3)),
        ]))
        .when(IssueCommand::MarkSeen {
            user_id: 5,
            at: at(4),
        })
        .then_expect_events(vec![IssueEvent::IssueSeen {
            user_id: 5,
            at: at(4),
        }]);
}

#[test]
fn sharing_an_issue_publicly_is_recorded() {
    test()
        .given(existing())
        .when(IssueCommand::SetPublic {
            public: true,
            at: at(2),
            actor: actor(),
        })
        .then_expect_events(vec![IssueEvent::PublicSet {
            public: true,
            at: at(2),
            actor: actor(),
        }]);
}

#[test]
fn making_a_private_issue_private_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::SetPublic {
            public: false,
            at: at(2),
            actor: actor(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn marking_a_seen_issue_unseen_forgets_the_seen() {
    test()
        .given(existing_then([IssueEvent::IssueSeen {
            user_id: 5,
            at: at(2),
        }]))
        .when(IssueCommand::MarkUnseen {
            user_id: 5,
            at: at(3),
        })
        .then_expect_events(vec![IssueEvent::IssueUnseen {
            user_id: 5,
            at: at(3),
        }]);
}

#[test]
fn marking_an_issue_never_seen_unseen_changes_nothing() {
    test()
        .given(existing())
        .when(IssueCommand::MarkUnseen {
            user_id: 5,
            at: at(3),
        })
        .then_expect_events(vec![]);
}
