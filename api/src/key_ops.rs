//! Client key changes the REST routes and the web UI share: creating a key and
//! changing its label, state or rate limit, with the label rules in one place.

use faultline_commands::secrets::new_client_key;
use faultline_domain::project::{Project, ProjectCommand, RateLimit};
use faultline_projections::accounts::queries::keys::{self, KeyRow};
use faultline_projections::accounts::queries::projects::ProjectRow;

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::fields::field_error;
use crate::render::key::DEFAULT_KEY_LABEL;
use crate::state::AppState;

/// The project's key `key_id` (its public key), 404 when not in the organization.
pub async fn resolve_key(
    state: &AppState,
    access: &OrgAccess,
    project: &ProjectRow,
    key_id: &str,
) -> Result<KeyRow, ApiError> {
    keys::get(&state.pool, access.org.id, project.id, key_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Creates a key labelled `name` (the default label when blank); answers it.
pub async fn create_key(
    state: &AppState,
    access: &OrgAccess,
    project: &ProjectRow,
    name: Option<String>,
    rate_limit: Option<RateLimit>,
) -> Result<KeyRow, ApiError> {
    let label = name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_KEY_LABEL.to_owned());
    if label.chars().count() > 64 {
        return Err(field_error(
            "name",
            "Ensure this field has no more than 64 characters.",
        ));
    }
    let (public_key, secret_key) = new_client_key();
    state
        .execute_in::<Project>(
            access.org.id,
            &project.id.to_string(),
            ProjectCommand::CreateClientKey {
                public_key: public_key.clone(),
                secret_key,
                label,
                rate_limit,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    resolve_key(state, access, project, &public_key).await
}

/// Changes what is `Some` of `key`'s label, state and rate limit; answers the key.
pub async fn update_key(
    state: &AppState,
    access: &OrgAccess,
    project: &ProjectRow,
    key: &KeyRow,
    name: Option<String>,
    is_active: Option<bool>,
    rate_limit: Option<Option<RateLimit>>,
) -> Result<KeyRow, ApiError> {
    let label = name.map(|n| n.trim().to_owned());
    if label.as_deref() == Some("") {
        return Err(field_error("name", "This field may not be blank."));
    }
    state
        .execute_in::<Project>(
            access.org.id,
            &project.id.to_string(),
            ProjectCommand::UpdateClientKey {
                public_key: key.public_key.clone(),
                label,
                is_active,
                rate_limit,
                at: chrono::Utc::now(),
            },
            &access.caller.metadata(),
        )
        .await?;
    resolve_key(state, access, project, &key.public_key).await
}
