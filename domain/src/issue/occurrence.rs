//! What an accepted event means for its issue: creation (or reopening after a
//! deletion), regression of a resolved issue, escalation of an ignored one.

use super::command::{NewIssue, Occurrence};
use super::error::IssueError;
use super::event::{IssueEvent, UnignoreReason};
use super::release;
use super::status::IssueStatus;
use super::Issue;

impl Issue {
    /// Decides `RecordOccurrence`: the issue's creation if it does not exist, then a
    /// regression or escalation if the event ends a resolve or ignore, then the event.
    pub(super) fn decide_occurrence(
        &self,
        new_issue: Option<NewIssue>,
        occurrence: Occurrence,
    ) -> Result<Vec<IssueEvent>, IssueError> {
        if let Some((into_issue_id, into_stream)) = self.merged_into() {
            return Err(IssueError::Merged {
                into_issue_id,
                into_stream,
            });
        }
        let mut events = Vec::with_capacity(3);
        if self.exists() {
            events.extend(self.transition_on(&occurrence));
        } else {
            let new = new_issue.ok_or(IssueError::NotCreated)?;
            events.push(created(new, &occurrence));
        }
        events.push(IssueEvent::EventIngested(Box::new(occurrence)));
        Ok(events)
    }

    /// The status change an event causes, if any.
    fn transition_on(&self, occurrence: &Occurrence) -> Option<IssueEvent> {
        match self.status {
            IssueStatus::Resolved => {
                let details = self.resolution.clone().unwrap_or_default();
                release::regresses(&details, occurrence.release.as_deref()).then(|| {
                    IssueEvent::IssueRegressed {
                        event_id: occurrence.event_id.clone(),
                        release: occurrence.release.clone(),
                        at: occurrence.received,
                    }
                })
            }
            IssueStatus::Ignored => {
                let ignore = self.ignore.as_ref()?;
                ignore
                    .escalates_with(occurrence.received, occurrence.user_key.as_deref())
                    .then_some(IssueEvent::IssueUnignored {
                        reason: UnignoreReason::Escalating,
                        at: occurrence.received,
                    })
            }
            IssueStatus::Unresolved => None,
        }
    }
}

fn created(new: NewIssue, occurrence: &Occurrence) -> IssueEvent {
    IssueEvent::IssueCreated {
        issue_id: new.issue_id,
        project_id: new.project_id,
        org_id: new.org_id,
        short_number: new.short_number,
        hash: new.hash,
        title: new.title,
        culprit: new.culprit,
        metadata: new.metadata,
        issue_type: new.issue_type,
        level: new.level,
        platform: new.platform,
        first_seen: occurrence.timestamp,
    }
}
