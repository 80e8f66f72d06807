//! The rules for comments: only the author (or an admin) changes a comment, and a
//! comment always has text.

use chrono::{DateTime, Utc};

use super::error::IssueError;
use super::event::IssueEvent;
use super::{Comment, Issue};

type Decision = Result<Vec<IssueEvent>, IssueError>;

impl Issue {
    pub(super) fn add_comment(
        &self,
        comment_id: i64,
        user_id: i64,
        text: String,
        at: DateTime<Utc>,
    ) -> Decision {
        require_text(&text)?;
        if self.comments.contains_key(&comment_id) {
            return Err(IssueError::CommentExists);
        }
        Ok(vec![IssueEvent::CommentAdded {
            comment_id,
            author_id: user_id,
            text,
            at,
        }])
    }

    pub(super) fn edit_comment(
        &self,
        comment_id: i64,
        user_id: i64,
        text: String,
        at: DateTime<Utc>,
        is_admin: bool,
    ) -> Decision {
        let comment = self.changeable_comment(comment_id, user_id, is_admin)?;
        require_text(&text)?;
        if comment.text == text {
            return Ok(Vec::new());
        }
        Ok(vec![IssueEvent::CommentEdited {
            comment_id,
            user_id,
            text,
            at,
        }])
    }

    pub(super) fn delete_comment(
        &self,
        comment_id: i64,
        user_id: i64,
        at: DateTime<Utc>,
        is_admin: bool,
    ) -> Decision {
        self.changeable_comment(comment_id, user_id, is_admin)?;
        Ok(vec![IssueEvent::CommentDeleted {
            comment_id,
            user_id,
            at,
        }])
    }

    fn changeable_comment(
        &self,
        comment_id: i64,
        user_id: i64,
        is_admin: bool,
    ) -> Result<&Comment, IssueError> {
        let comment = self
            .comments
            .get(&comment_id)
            .ok_or(IssueError::CommentNotFound)?;
        if comment.author == user_id || is_admin {
            Ok(comment)
        } else {
            Err(IssueError::NotCommentAuthor)
        }
    }
}

fn require_text(text: &str) -> Result<(), IssueError> {
    if text.trim().is_empty() {
        Err(IssueError::EmptyComment)
    } else {
        Ok(())
    }
}
