//! The workflow's rules: which events a command causes, if any.

use super::definition::{Action, Definition};
use super::{Workflow, WorkflowCommand, WorkflowError, WorkflowEvent};

type Decision = Result<Vec<WorkflowEvent>, WorkflowError>;

impl Workflow {
    /// Decides which events a command causes, without changing the workflow.
    pub fn decide(&self, cmd: WorkflowCommand) -> Decision {
        use WorkflowCommand::*;
        if self.deleted {
            return Err(WorkflowError::WorkflowDeleted);
        }
        let workflow_id = match (self.workflow_id, &cmd) {
            (Some(_), CreateWorkflow { .. }) => return Err(WorkflowError::AlreadyExists),
            (None, CreateWorkflow { workflow_id, .. }) => *workflow_id,
            (None, _) => return Err(WorkflowError::NotFound),
            (Some(id), _) => id,
        };
        let org_id = self.org_id;
        match cmd {
            CreateWorkflow {
                org_id,
                definition,
                created_by,
                secrets,
                ..
            } => Ok(vec![WorkflowEvent::WorkflowCreated {
                workflow_id,
                org_id,
                definition: checked(definition, None, secrets)?,
                created_by,
            }]),
            UpdateWorkflow {
                definition,
                secrets,
            } => {
                let definition = checked(definition, self.definition.as_ref(), secrets)?;
                if Some(&definition) == self.definition.as_ref() {
                    return Ok(vec![]);
                }
                Ok(vec![WorkflowEvent::WorkflowUpdated {
                    workflow_id,
                    org_id,
                    definition,
                }])
            }
            DeleteWorkflow => Ok(vec![WorkflowEvent::WorkflowDeleted {
                workflow_id,
                org_id,
            }]),
        }
    }
}

/// `definition` with a signing secret on every webhook action, if it keeps its
/// rules. An action without one (absent or empty) keeps the secret `previous` had
/// for a webhook to the same URL, so a client that leaves the secret out of an
/// update does not change the key receivers check; else it takes a fresh one.
fn checked(
    mut definition: Definition,
    previous: Option<&Definition>,
    fresh: Vec<String>,
) -> Result<Definition, WorkflowError> {
    let mut fresh = fresh.into_iter();
    for action in actions_mut(&mut definition) {
        let Action::Webhook { config, data } = action else {
            continue;
        };
        if data.secret.as_deref().is_some_and(|s| !s.is_empty()) {
            continue;
        }
        let kept =
            previous.and_then(|previous| webhook_secret(previous, &config.target_identifier));
        let secret = kept
            .or_else(|| fresh.next())
            .ok_or(WorkflowError::MissingSecret)?;
        data.secret = Some(secret);
    }
    definition.validate()?;
    Ok(definition)
}

fn actions_mut(definition: &mut Definition) -> impl Iterator<Item = &mut Action> {
    definition
        .action_filters
        .iter_mut()
        .flat_map(|group| group.actions.iter_mut())
}

/// The secret of `definition`'s webhook action to `url`, if any.
fn webhook_secret(definition: &Definition, url: &str) -> Option<String> {
    definition
        .action_filters
        .iter()
        .flat_map(|group| &group.actions)
        .find_map(|action| match action {
            Action::Webhook { config, data } if config.target_identifier == url => {
                data.secret.clone().filter(|s| !s.is_empty())
            }
            _ => None,
        })
}
