//! Comments: added by anyone, changed by their author or an admin.

use super::*;

fn commented(comment_id: i64, user_id: i64) -> IssueEvent {
    IssueEvent::CommentAdded {
        comment_id,
        author_id: user_id,
        text: "looking into it".to_owned(),
        at: at(2),
    }
}

fn edit(user_id: i64, text: &str, is_admin: bool) -> IssueCommand {
    IssueCommand::EditComment {
        comment_id: 10,
        user_id,
        text: text.to_owned(),
        at: at(3),
        is_admin,
    }
}

fn delete(comment_id: i64, user_id: i64, is_admin: bool) -> IssueCommand {
    IssueCommand::DeleteComment {
        comment_id,
        user_id,
        at: at(3),
        is_admin,
    }
}

#[test]
fn commenting_on_an_issue_records_the_comment() {
    test()
        .given(existing())
        .when(IssueCommand::AddComment {
            comment_id: 10,
            user_id: 5,
            text: "looking into it".to_owned(),
            at: at(2),
        })
        .then_expect_events(vec![commented(10, 5)]);
}

#[test]
fn a_blank_comment_is_rejected() {
    test()
        .given(existing())
        .when(IssueCommand::AddComment {
            comment_id: 10,
            user_id: 5,
            text: "  \n".to_owned(),
            at: at(2),
        })
        .then_expect_error(IssueError::EmptyComment);
}

#[test]
fn adding_a_comment_with_a_taken_id_is_rejected() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(IssueCommand::AddComment {
            comment_id: 10,
            user_id: 6,
            text: "me too".to_owned(),
            at: at(3),
        })
        .then_expect_error(IssueError::CommentExists);
}

#[test]
fn the_author_can_edit_their_comment() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(edit(5, "fixed in #12", false))
        .then_expect_events(vec![IssueEvent::CommentEdited {
            comment_id: 10,
            user_id: 5,
            text: "fixed in #12".to_owned(),
            at: at(3),
        }]);
}

#[test]
fn an_admin_can_edit_someone_elses_comment() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(edit(6, "redacted", true))
        .then_expect_events(vec![IssueEvent::CommentEdited {
            comment_id: 10,
            user_id: 6,
            text: "redacted".to_owned(),
            at: at(3),
        }]);
}

#[test]
fn editing_someone_elses_comment_is_rejected() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(edit(6, "mine now", false))
        .then_expect_error(IssueError::NotCommentAuthor);
}

#[test]
fn editing_a_comment_to_its_own_text_changes_nothing() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(edit(5, "looking into it", false))
        .then_expect_events(vec![]);
}

#[test]
fn editing_a_comment_to_blank_is_rejected() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(edit(5, "", false))
        .then_expect_error(IssueError::EmptyComment);
}

#[test]
fn editing_a_missing_comment_is_rejected() {
    test()
        .given(existing())
        .when(edit(5, "hello", false))
        .then_expect_error(IssueError::CommentNotFound);
}

#[test]
fn the_author_can_delete_their_comment() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(delete(10, 5, false))
        .then_expect_events(vec![IssueEvent::CommentDeleted {
            comment_id: 10,
            user_id: 5,
            at: at(3),
        }]);
}

#[test]
fn deleting_someone_elses_comment_is_rejected() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(delete(10, 6, false))
        .then_expect_error(IssueError::NotCommentAuthor);
}

#[test]
fn an_admin_can_delete_someone_elses_comment() {
    test()
        .given(existing_then([commented(10, 5)]))
        .when(delete(10, 6, true))
        .then_expect_events(vec![IssueEvent::CommentDeleted {
            comment_id: 10,
            user_id: 6,
            at: at(3),
        }]);
}

#[test]
fn deleting_a_deleted_comment_is_rejected() {
    test()
        .given(existing_then([
            commented(10, 5),
            IssueEvent::CommentDeleted {
                comment_id: 10,
                user_id: 5,
                at: at(3),
            },
        ]))
        .when(delete(10, 5, false))
        .then_expect_error(IssueError::CommentNotFound);
}
