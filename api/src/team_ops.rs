//! Creating a team, shared by the REST route and the web UI.

use faultline_commands::ids::{next_id, IdKind};
use faultline_domain::organization::{Organization, OrganizationCommand};
use faultline_domain::role::Scope;
use faultline_domain::slug::Slug;

use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::fields::{field_error, slug_field};
use crate::state::AppState;

/// Creates a team named `name` with `slug` (from the name when absent), and puts the
/// creator on it as Sentry does; answers the slug.
pub async fn create_team(
    state: &AppState,
    access: &OrgAccess,
    name: Option<String>,
    slug: Option<&str>,
) -> Result<Slug, ApiError> {
    access.require(&[Scope::OrgWrite, Scope::OrgAdmin, Scope::TeamWrite])?;
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let slug = match (slug, &name) {
        (Some(slug), _) => slug_field("slug", slug)?,
        (None, Some(name)) => {
            Slug::from_name(name).map_err(|e| field_error("name", &e.to_string()))?
        }
        (None, None) => return Err(field_error("slug", "This field is required.")),
    };
    let name = name.unwrap_or_else(|| slug.to_string());
    let team_id = next_id(&state.pool, IdKind::Team).await?;
    let org_id = access.org.id.to_string();
    let metadata = access.caller.metadata();
    state
        .execute::<Organization>(
            &org_id,
            OrganizationCommand::CreateTeam {
                team_id,
                slug: slug.clone(),
                name,
                at: chrono::Utc::now(),
            },
            &metadata,
        )
        .await?;
    // Sentry puts the creator on the new team.
    if let Some(member) = &access.member {
        state
            .execute::<Organization>(
                &org_id,
                OrganizationCommand::AddTeamMember {
                    team_id,
                    member_id: member.id,
                    at: chrono::Utc::now(),
                },
                &metadata,
            )
            .await?;
    }
    Ok(slug)
}
