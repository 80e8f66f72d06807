//! Folding events into the issue's state.

use super::event::{IssueEvent, UnignoreReason};
use super::ignore::Ignore;
use super::status::{IssueStatus, Reopened};
use super::{Comment, Issue};

impl Issue {
    /// Folds one event into the state (the cqrs-es `apply`).
    pub(super) fn fold(&mut self, event: IssueEvent) {
        match event {
            IssueEvent::IssueCreated {
                issue_id,
                project_id,
                org_id,
                first_seen,
                ..
            } => {
                // A reopened fingerprint is a new issue, but the stream's summaries so
                // far stay summarized.
                *self = Issue {
                    issue_id: Some(issue_id),
                    project_id,
                    org_id,
                    first_seen: Some(first_seen),
                    summarized_below: self.summarized_below,
                    ..Issue::default()
                };
            }
            IssueEvent::EventIngested(occurrence) => {
                self.times_seen += 1;
                self.last_seen = Some(
                    self.last_seen
                        .map_or(occurrence.timestamp, |seen| seen.max(occurrence.timestamp)),
                );
                if let Some(ignore) = &mut self.ignore {
                    ignore.record(occurrence.received, occurrence.user_key.as_deref());
                }
            }
            IssueEvent::IssueRegressed { .. } => self.reopen(Some(Reopened::Regressed)),
            IssueEvent::IssueUnignored { reason, .. } => self.reopen(Some(match reason {
                UnignoreReason::Escalating | UnignoreReason::Expired => Reopened::Escalating,
            })),
            IssueEvent::IssueUnresolved { .. } => self.reopen(None),
            IssueEvent::IssueResolved { details, .. } => {
                self.reopen(None);
                self.status = IssueStatus::Resolved;
                self.resolution = Some(details);
            }
            IssueEvent::IssueIgnored { details, until, .. } => {
                self.reopen(None);
                self.status = IssueStatus::Ignored;
                self.ignore = Some(Ignore::new(details, until));
            }
            IssueEvent::IssueAssigned { assignee, .. } => self.assignee = Some(assignee),
            IssueEvent::IssueUnassigned { .. } => self.assignee = None,
            IssueEvent::BookmarkSet {
                user_id,
                bookmarked,
                ..
            } => {
                if bookmarked {
                    self.bookmarks.insert(user_id);
                } else {
                    self.bookmarks.remove(&user_id);
                }
            }
            IssueEvent::SubscriptionSet {
                user_id,
                subscribed,
                ..
            } => {
                self.subscriptions.insert(user_id, subscribed);
            }
            IssueEvent::IssueSeen { user_id, at } => {
                self.seen_by.insert(user_id, at);
            }
            IssueEvent::IssueUnseen { user_id, .. } => {
                self.seen_by.remove(&user_id);
            }
            IssueEvent::PublicSet { public, .. } => self.public = public,
            IssueEvent::CommentAdded {
                comment_id,
                author_id,
                text,
                ..
            } => {
                let comment = Comment {
                    author: author_id,
                    text,
                };
                self.comments.insert(comment_id, comment);
            }
            IssueEvent::CommentEdited {
                comment_id, text, ..
            } => {
                if let Some(comment) = self.comments.get_mut(&comment_id) {
                    comment.text = text;
                }
            }
            IssueEvent::CommentDeleted { comment_id, .. } => {
                self.comments.remove(&comment_id);
            }
            IssueEvent::IssueDeleted { .. } => {
                self.issue_id = None;
                self.deleted = true;
            }
            IssueEvent::IssueMerged {
                into_issue_id,
                into_stream,
                ..
            } => self.merged_into = Some((into_issue_id, into_stream)),
            IssueEvent::IssuesMergedIn { .. } => {}
            IssueEvent::OccurrencesSummarized {
                below,
                times_seen,
                last_seen,
                ignore,
                ..
            } => {
                // Set, not added: folded after the events it covers (live), or without
                // them once they are dropped, the state ends the same.
                self.summarized_below = below;
                self.times_seen = times_seen;
                self.last_seen = last_seen;
                self.ignore = ignore;
            }
        }
    }

    /// Unresolved, with no resolution or ignore in force.
    fn reopen(&mut self, reopened: Option<Reopened>) {
        self.status = IssueStatus::Unresolved;
        self.reopened = reopened;
        self.resolution = None;
        self.ignore = None;
    }
}
