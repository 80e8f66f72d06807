//! Who an issue can be assigned to: the organization's members and teams, as the
//! `assignedTo` values the API takes (`user:<id>`, `team:<id>`).

use faultline_projections::accounts::queries::{members, teams, Page};
use maud::{html, Markup};

use super::error::UiError;
use crate::auth::OrgAccess;
use crate::state::AppState;

/// The most members or teams offered in an assignee list.
const MAX_CHOICES: i64 = 500;

/// The organization's members and teams.
pub struct People {
    /// `(user id, label)`.
    pub members: Vec<(i64, String)>,
    /// `(team id, slug)`.
    pub teams: Vec<(i64, String)>,
}

impl People {
    /// `<option>`s for an assignee `<select>`, `selected` (`user:1`, `team:2`) chosen.
    pub fn options(&self, selected: Option<&str>) -> Markup {
        html! {
            option value="" selected[selected.is_none()] { "Nobody" }
            @for (id, label) in &self.members {
                @let value = format!("user:{id}");
                option value=(value) selected[selected == Some(value.as_str())] { (label) }
            }
            @for (id, slug) in &self.teams {
                @let value = format!("team:{id}");
                option value=(value) selected[selected == Some(value.as_str())] { "#" (slug) }
            }
        }
    }
}

/// The members and teams of the organization `access` is for.
pub async fn assignee_options(state: &AppState, access: &OrgAccess) -> Result<People, UiError> {
    let page = Page {
        limit: MAX_CHOICES,
        offset: 0,
    };
    let (members, teams) = tokio::try_join!(
        members::list(&state.pool, access.org.id, page),
        teams::list(&state.pool, access.org.id, access.caller.user_id(), page),
    )?;
    Ok(People {
        members: members
            .rows
            .into_iter()
            .map(|m| {
                let label = if m.name.is_empty() || m.name == m.email {
                    m.email
                } else {
                    format!("{} ({})", m.name, m.email)
                };
                (m.user_id, label)
            })
            .collect(),
        teams: teams.rows.into_iter().map(|t| (t.id, t.slug)).collect(),
    })
}
