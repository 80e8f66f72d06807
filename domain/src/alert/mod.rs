//! Alerts: workflows (Sentry's current name for alert rules) that notify people
//! when issues appear, regress or spike. `definition` holds what a workflow says
//! and the pure rules that evaluate it; the `Workflow` aggregate records every
//! change to a workflow; the evaluator that applies it to the log builds on both.
//!
//! Aggregate id: the workflow's numeric id as a decimal string (`"17"`).

mod command;
mod decide;
pub mod definition;
mod error;
mod event;
#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::WorkflowCommand;
pub use error::WorkflowError;
pub use event::WorkflowEvent;

use definition::Definition;

/// A workflow as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    workflow_id: Option<i64>,
    org_id: i64,
    definition: Option<Definition>,
    deleted: bool,
}

impl Workflow {
    /// The workflow's id, once created.
    pub fn workflow_id(&self) -> Option<i64> {
        self.workflow_id
    }

    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// What the workflow says, once created.
    pub fn definition(&self) -> Option<&Definition> {
        self.definition.as_ref()
    }

    /// Whether the workflow exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.workflow_id.is_some() && !self.deleted
    }
}

impl Aggregate for Workflow {
    const TYPE: &'static str = "workflow";
    type Command = WorkflowCommand;
    type Event = WorkflowEvent;
    type Error = WorkflowError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            WorkflowEvent::WorkflowCreated {
                workflow_id,
                org_id,
                definition,
                created_by: _,
            } => {
                self.workflow_id = Some(workflow_id);
                self.org_id = org_id;
                self.definition = Some(definition);
            }
            WorkflowEvent::WorkflowUpdated { definition, .. } => {
                self.definition = Some(definition);
            }
            WorkflowEvent::WorkflowDeleted { .. } => self.deleted = true,
        }
    }
}
