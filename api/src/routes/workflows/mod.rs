//! `/api/0/organizations/{org}/workflows/` (list, create, bulk enable/disable and
//! delete) and `.../workflows/{workflow_id}/`: alert workflows, as Sentry's
//! workflows API. A workflow is attached to projects through their error detectors,
//! whose ids are the project ids (`detectors.rs`).
//!
//! - `index`: the list and the bulk operations on it, creation.
//! - `detail`: one workflow.
//! - `body`: the request body into a definition.
//! - `render`: the response JSON.

mod body;
mod detail;
mod index;
mod render;

use faultline_commands::secrets::new_signing_secret;
use faultline_domain::alert::definition::{Action, Definition};
use faultline_domain::alert::{Workflow, WorkflowCommand};
use faultline_projections::alerts::queries::{self, WorkflowRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::state::AppState;

/// The workflow routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            index::list,
            index::create,
            index::bulk_update,
            index::bulk_delete
        ))
        .routes(routes!(detail::get, detail::update, detail::remove))
}

/// Workflow `id` of the caller's organization; 404 for another organization's or a
/// non-numeric id.
async fn resolve_workflow(
    state: &AppState,
    access: &OrgAccess,
    id: &str,
) -> Result<WorkflowRow, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    queries::workflow(&state.pool, access.org.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A 400 on `detectorIds` unless each is the error detector (the id) of a project
/// of the caller's organization.
async fn check_detectors(
    state: &AppState,
    access: &OrgAccess,
    definition: &Definition,
) -> Result<(), ApiError> {
    let found =
        queries::projects_in_org(&state.pool, access.org.id, &definition.project_ids).await?;
    let mut errors = FieldErrors::default();
    for id in definition
        .project_ids
        .iter()
        .filter(|id| !found.contains(id))
    {
        errors.add(
            "detectorIds",
            format!("Detector {id} does not exist in this organization."),
        );
    }
    errors.finish()
}

/// One fresh signing secret per webhook action of `definition` (those that bring
/// their own, or keep the one they had, leave theirs unused).
fn fresh_secrets(definition: &Definition) -> Vec<String> {
    definition
        .action_filters
        .iter()
        .flat_map(|group| &group.actions)
        .filter(|action| matches!(action, Action::Webhook { .. }))
        .map(|_| new_signing_secret())
        .collect()
}

/// Replaces the definition of workflow `id` (a webhook action without a secret
/// keeps the one it had for its URL, else gets a fresh one).
async fn save(
    state: &AppState,
    access: &OrgAccess,
    id: i64,
    definition: Definition,
) -> Result<(), ApiError> {
    let secrets = fresh_secrets(&definition);
    let update = WorkflowCommand::UpdateWorkflow {
        definition,
        secrets,
    };
    state
        .execute_in::<Workflow>(
            access.org.id,
            &id.to_string(),
            update,
            &access.caller.metadata(),
        )
        .await?;
    Ok(())
}

/// Deletes workflow `id`.
async fn delete(state: &AppState, access: &OrgAccess, id: i64) -> Result<(), ApiError> {
    state
        .execute_in::<Workflow>(
            access.org.id,
            &id.to_string(),
            WorkflowCommand::DeleteWorkflow,
            &access.caller.metadata(),
        )
        .await?;
    Ok(())
}
