//! The rules: what each command means for the issue as it stands.

use chrono::{DateTime, Utc};

use super::command::IssueCommand;
use super::details::{IgnoreDetails, ResolveDetails};
use super::error::IssueError;
use super::event::{IssueEvent, UnignoreReason};
use super::ignore;
use super::status::IssueStatus;
use super::summary::SummaryPart;
use super::Issue;

type Decision = Result<Vec<IssueEvent>, IssueError>;

/// One event when `changed`, else none: a command that changes nothing decides nothing.
fn only_if(changed: bool, event: impl FnOnce() -> IssueEvent) -> Decision {
    Ok(if changed { vec![event()] } else { Vec::new() })
}

impl Issue {
    /// Decides what `command` means: the events to record, none if it changes nothing,
    /// or why it is refused. Pure: time, ids and the actor come in the command.
    pub fn decide(&self, command: IssueCommand) -> Decision {
        if let IssueCommand::RecordOccurrence {
            new_issue,
            occurrence,
        } = command
        {
            return self.decide_occurrence(new_issue, occurrence);
        }
        if let IssueCommand::SummarizeOccurrences {
            below,
            project_id,
            parts,
            at,
        } = command
        {
            return self.summarize(below, project_id, parts, at);
        }
        self.require_live()?;
        match command {
            IssueCommand::RecordOccurrence { .. } | IssueCommand::SummarizeOccurrences { .. } => {
                unreachable!("decided above")
            }
            IssueCommand::Resolve { details, at, actor } => self.resolve(details, at, actor),
            IssueCommand::Unresolve { at, actor } => {
                only_if(self.status != IssueStatus::Unresolved, || {
                    IssueEvent::IssueUnresolved { at, actor }
                })
            }
            IssueCommand::Ignore { details, at, actor } => self.ignore(details, at, actor),
            IssueCommand::ExpireIgnore { now } => only_if(
                self.ignore_expires_at().is_some_and(|until| now >= until),
                || IssueEvent::IssueUnignored {
                    reason: UnignoreReason::Expired,
                    at: now,
                },
            ),
            IssueCommand::Assign {
                assignee,
                at,
                actor,
            } => only_if(self.assignee != Some(assignee), || {
                IssueEvent::IssueAssigned {
                    assignee,
                    at,
                    actor,
                }
            }),
            IssueCommand::Unassign { at, actor } => Ok(self
                .assignee
                .map(|previous| IssueEvent::IssueUnassigned {
                    previous,
                    at,
                    actor,
                })
                .into_iter()
                .collect()),
            IssueCommand::SetBookmark {
                user_id,
                bookmarked,
                at,
            } => only_if(self.is_bookmarked_by(user_id) != bookmarked, || {
                IssueEvent::BookmarkSet {
                    user_id,
                    bookmarked,
                    at,
                }
            }),
            IssueCommand::SetSubscribed {
                user_id,
                subscribed,
                at,
            } => only_if(self.subscription_of(user_id) != Some(subscribed), || {
                IssueEvent::SubscriptionSet {
                    user_id,
                    subscribed,
                    at,
                }
            }),
            IssueCommand::MarkSeen { user_id, at } => only_if(!self.has_seen(user_id), || {
                IssueEvent::IssueSeen { user_id, at }
            }),
            IssueCommand::MarkUnseen { user_id, at } => only_if(self.has_seen(user_id), || {
                IssueEvent::IssueUnseen { user_id, at }
            }),
            IssueCommand::SetPublic { public, at, actor } => only_if(self.public != public, || {
                IssueEvent::PublicSet { public, at, actor }
            }),
            IssueCommand::AddComment {
                comment_id,
                user_id,
                text,
                at,
            } => self.add_comment(comment_id, user_id, text, at),
            IssueCommand::EditComment {
                comment_id,
                user_id,
                text,
                at,
                is_admin,
            } => self.edit_comment(comment_id, user_id, text, at, is_admin),
            IssueCommand::DeleteComment {
                comment_id,
                user_id,
                at,
                is_admin,
            } => self.delete_comment(comment_id, user_id, at, is_admin),
            IssueCommand::Delete { at, actor } => Ok(vec![IssueEvent::IssueDeleted {
                issue_id: self.live_id()?,
                at,
                actor,
            }]),
            IssueCommand::Expire { horizon, at } => {
                let issue_id = self.live_id()?;
                if self.last_seen.is_some_and(|seen| seen >= horizon) {
                    return Err(IssueError::NotExpired);
                }
                Ok(vec![IssueEvent::IssueDeleted {
                    issue_id,
                    at,
                    actor: Some("retention".to_owned()),
                }])
            }
            IssueCommand::MergeInto {
                primary_issue_id,
                primary_stream,
                at,
                actor,
            } => self.merge_into(primary_issue_id, primary_stream, at, actor),
            IssueCommand::AbsorbMerge {
                from_issue_ids,
                at,
                actor,
            } => self.absorb(from_issue_ids, at, actor),
        }
    }

    /// Summarizes once per horizon: a retention pass that stopped before dropping the
    /// piece runs again and must not count the same occurrences twice.
    fn summarize(
        &self,
        below: i64,
        project_id: i64,
        parts: Vec<SummaryPart>,
        at: DateTime<Utc>,
    ) -> Decision {
        if self.issue_id.is_none() && !self.deleted {
            return Err(IssueError::NotFound);
        }
        only_if(below > self.summarized_below, || {
            IssueEvent::OccurrencesSummarized {
                below,
                project_id,
                parts,
                times_seen: self.times_seen,
                last_seen: self.last_seen,
                ignore: self.ignore.clone(),
                at,
            }
        })
    }

    /// Refuses commands on an issue that is not there (any more).
    fn require_live(&self) -> Result<(), IssueError> {
        if let Some((into_issue_id, into_stream)) = self.merged_into() {
            return Err(IssueError::Merged {
                into_issue_id,
                into_stream,
            });
        }
        match (self.exists(), self.deleted) {
            (true, _) => Ok(()),
            (false, true) => Err(IssueError::Deleted),
            (false, false) => Err(IssueError::NotFound),
        }
    }

    fn live_id(&self) -> Result<i64, IssueError> {
        self.require_live()?;
        self.issue_id.ok_or(IssueError::NotFound)
    }

    fn resolve(
        &self,
        details: ResolveDetails,
        at: DateTime<Utc>,
        actor: Option<String>,
    ) -> Decision {
        let unchanged =
            self.status == IssueStatus::Resolved && self.resolution.as_ref() == Some(&details);
        only_if(!unchanged, || IssueEvent::IssueResolved {
            at,
            details,
            actor,
        })
    }

    fn ignore(&self, details: IgnoreDetails, at: DateTime<Utc>, actor: Option<String>) -> Decision {
        ignore::validate(&details)?;
        let unchanged =
            self.status == IssueStatus::Ignored && self.ignore_details() == Some(&details);
        only_if(!unchanged, || IssueEvent::IssueIgnored {
            until: ignore::until(&details, at),
            details,
            at,
            actor,
        })
    }

    fn merge_into(
        &self,
        primary_issue_id: i64,
        primary_stream: String,
        at: DateTime<Utc>,
        actor: Option<String>,
    ) -> Decision {
        let issue_id = self.live_id()?;
        if primary_issue_id == issue_id {
            return Err(IssueError::MergeIntoSelf);
        }
        Ok(vec![IssueEvent::IssueMerged {
            issue_id,
            into_issue_id: primary_issue_id,
            into_stream: primary_stream,
            at,
            actor,
        }])
    }

    fn absorb(
        &self,
        mut from_issue_ids: Vec<i64>,
        at: DateTime<Utc>,
        actor: Option<String>,
    ) -> Decision {
        let issue_id = self.live_id()?;
        if from_issue_ids.contains(&issue_id) {
            return Err(IssueError::MergeIntoSelf);
        }
        from_issue_ids.sort_unstable();
        from_issue_ids.dedup();
        only_if(!from_issue_ids.is_empty(), || IssueEvent::IssuesMergedIn {
            from_issue_ids,
            at,
            actor,
        })
    }
}
