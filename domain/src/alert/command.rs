//! Commands on a workflow.

use super::definition::Definition;

/// A request to change a workflow. Ids and secrets are decided by the caller.
///
/// Whether the organization exists and the projects (`Definition::project_ids`)
/// belong to it are checked by the caller against the read models; this aggregate
/// guards its own state and the definition's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkflowCommand {
    /// Create the workflow in an organization.
    CreateWorkflow {
        /// The workflow's numeric id, allocated outside the domain.
        workflow_id: i64,
        /// The owning organization.
        org_id: i64,
        /// What it says.
        definition: Definition,
        /// The user who creates it.
        created_by: i64,
        /// Fresh signing secrets (64 hex characters each), one for every webhook
        /// action that may come without one; unused ones are dropped.
        secrets: Vec<String>,
    },
    /// Replace the whole definition; an unchanged definition changes nothing.
    UpdateWorkflow {
        /// The new definition.
        definition: Definition,
        /// Fresh signing secrets for webhook actions without one whose URL no
        /// webhook action of the current definition has.
        secrets: Vec<String>,
    },
    /// Delete the workflow; it then refuses every command.
    DeleteWorkflow,
}
