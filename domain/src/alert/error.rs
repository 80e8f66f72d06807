//! Why a workflow command was refused.

use super::definition::DefinitionError;

/// A refusal of a [`WorkflowCommand`](super::WorkflowCommand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// `CreateWorkflow` on a workflow that already exists.
    #[error("workflow already exists")]
    AlreadyExists,
    /// A command on a workflow that was never created.
    #[error("workflow not found")]
    NotFound,
    /// A command on a deleted workflow.
    #[error("workflow has been deleted")]
    WorkflowDeleted,
    /// The definition breaks one of its rules.
    #[error(transparent)]
    Invalid(#[from] DefinitionError),
    /// A webhook action has no secret and the command brought too few fresh ones.
    #[error("a webhook action has no signing secret")]
    MissingSecret,
}
