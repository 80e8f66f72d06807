//! The issue aggregate: one group of events sharing a fingerprint in a project.
//!
//! Its stream holds the issue's creation, every occurrence (`EventIngested`, with the
//! full normalized event) and status changes. Ingestion keeps the state in memory and
//! snapshots bound the replay, so a hot issue is never replayed whole.

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use command::{IssueCommand, NewIssue, Occurrence};
pub use error::IssueError;
pub use event::IssueEvent;

/// Namespace of issue aggregate ids: `UUIDv5(ISSUE_NAMESPACE, "<project id>:<hash>")`.
pub const ISSUE_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_7c3e_2b4d_4e8f_9a0b_1c2d_3e4f_5a6b);

/// The aggregate id of the issue that events of `hash` in `project_id` group into:
/// deterministic, so that concurrent first events of one fingerprint meet on one
/// stream and optimistic concurrency lets exactly one of them create it.
pub fn issue_stream_id(project_id: i64, hash: &str) -> String {
    Uuid::new_v5(&ISSUE_NAMESPACE, format!("{project_id}:{hash}").as_bytes()).to_string()
}

/// Where an issue stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Needs attention.
    #[default]
    Unresolved,
    /// Fixed.
    Resolved,
    /// Muted.
    Ignored,
}

/// An issue as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    issue_id: Option<i64>,
    project_id: i64,
    status: IssueStatus,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    times_seen: u64,
}

impl Issue {
    /// The issue's numeric id, once created.
    pub fn issue_id(&self) -> Option<i64> {
        self.issue_id
    }

    /// Whether the issue exists.
    pub fn exists(&self) -> bool {
        self.issue_id.is_some()
    }

    /// The issue's status.
    pub fn status(&self) -> IssueStatus {
        self.status
    }

    /// How many events it has.
    pub fn times_seen(&self) -> u64 {
        self.times_seen
    }

    /// Decides what recording an occurrence (or creating the issue) means.
    pub fn decide(&self, command: IssueCommand) -> Result<Vec<IssueEvent>, IssueError> {
        match command {
            IssueCommand::RecordOccurrence {
                new_issue,
                occurrence,
            } => {
                let mut events = Vec::with_capacity(3);
                match (self.exists(), new_issue) {
                    (true, _) => {}
                    (false, Some(new)) => events.push(IssueEvent::IssueCreated {
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
                    }),
                    (false, None) => return Err(IssueError::NotCreated),
                }
                if self.status == IssueStatus::Resolved {
                    events.push(IssueEvent::IssueRegressed {
                        event_id: occurrence.event_id.clone(),
                        release: occurrence.release.clone(),
                        at: occurrence.received,
                    });
                }
                events.push(IssueEvent::EventIngested(Box::new(occurrence)));
                Ok(events)
            }
            IssueCommand::Resolve { at } => {
                self.require_exists()?;
                if self.status == IssueStatus::Resolved {
                    return Ok(Vec::new());
                }
                Ok(vec![IssueEvent::IssueResolved { at }])
            }
        }
    }

    fn require_exists(&self) -> Result<(), IssueError> {
        if self.exists() {
            Ok(())
        } else {
            Err(IssueError::NotFound)
        }
    }
}

impl Aggregate for Issue {
    const TYPE: &'static str = "issue";
    type Command = IssueCommand;
    type Event = IssueEvent;
    type Error = IssueError;
    type Services = ();

    async fn handle(
        &mut self,
        command: IssueCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), IssueError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: IssueEvent) {
        match event {
            IssueEvent::IssueCreated {
                issue_id,
                project_id,
                first_seen,
                ..
            } => {
                self.issue_id = Some(issue_id);
                self.project_id = project_id;
                self.first_seen = Some(first_seen);
                self.status = IssueStatus::Unresolved;
            }
            IssueEvent::EventIngested(occurrence) => {
                self.times_seen += 1;
                self.last_seen = Some(
                    self.last_seen
                        .map_or(occurrence.timestamp, |seen| seen.max(occurrence.timestamp)),
                );
            }
            IssueEvent::IssueRegressed { .. } => self.status = IssueStatus::Unresolved,
            IssueEvent::IssueResolved { .. } => self.status = IssueStatus::Resolved,
        }
    }
}
