//! Events in the life of a workflow.
//!
//! The alerting reactor folds exactly these payloads: keep their names and fields
//! (a change of shape needs a new version and an upcast, AGENTS.md).

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::definition::Definition;

/// Something that happened to a workflow. When it happened is the event's
/// metadata `time`.
///
/// Stored externally tagged, for example
/// `{"WorkflowDeleted":{"workflow_id":17,"org_id":3}}`; `definition` is the
/// [`Definition`] in its serde shape (`{"name": "...", "enabled": true,
/// "environment": null, "frequencyMinutes": 30, "triggers": {...},
/// "actionFilters": [...], "projectIds": [42]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WorkflowEvent {
    /// The workflow was created.
    WorkflowCreated {
        /// The workflow's id.
        workflow_id: i64,
        /// The owning organization.
        org_id: i64,
        /// What it says, every webhook action with its secret.
        definition: Definition,
        /// The user who created it.
        created_by: i64,
    },
    /// The definition was replaced.
    WorkflowUpdated {
        /// The workflow's id.
        workflow_id: i64,
        /// The owning organization.
        org_id: i64,
        /// The whole new definition.
        definition: Definition,
    },
    /// The workflow was deleted.
    WorkflowDeleted {
        /// The workflow's id.
        workflow_id: i64,
        /// The owning organization.
        org_id: i64,
    },
}

impl DomainEvent for WorkflowEvent {
    fn event_type(&self) -> String {
        match self {
            WorkflowEvent::WorkflowCreated { .. } => "WorkflowCreated",
            WorkflowEvent::WorkflowUpdated { .. } => "WorkflowUpdated",
            WorkflowEvent::WorkflowDeleted { .. } => "WorkflowDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
