//! The organization's pages outside the issue stream: its projects, a project's
//! client keys (DSNs: create, disable, rate limit), members (add, change role,
//! remove), teams, audit log and alert rules, each shown and changeable as far as the
//! viewer's role allows.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use faultline_domain::dsn::public_dsn;
use faultline_domain::project::RateLimit;
use faultline_domain::role::{OrgRole, Scope};
use faultline_projections::accounts::queries::{keys, members, projects, teams, Page};
use faultline_projections::alerts::queries::{self as alert_queries, WorkflowFilter, WorkflowSort};
use faultline_projections::audit::queries::{self as audit_queries, AuditFilter};
use maud::html;

use super::error::UiError;
use super::forms::FormData;
use super::layout::{ago, csrf_field, page};
use super::session::Viewer;
use crate::key_ops::{create_key, resolve_key, update_key};
use crate::member_ops::{add_member, change_role, find_member, remove_member};
use crate::resolve::{resolve_project, ALERTS_READ, PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;
use crate::team_ops::create_team;

/// Rows on one settings page.
const ROWS: Page = Page {
    limit: 200,
    offset: 0,
};

/// `GET /organizations/{org}/projects/`.
pub async fn projects(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let found = projects::in_org(&state.pool, access.org.id, viewer.caller.user_id(), ROWS).await?;
    let slug = &access.org.slug;
    let can_keys = access.has(Scope::ProjectRead) || access.has(Scope::ProjectWrite);
    let body = html! {
        h1 { "Projects" }
        table {
            thead { tr { th { "Project" } th { "Platform" } th.hide-narrow { "Teams" } th { span.visually-hidden { "Links" } } } }
            tbody {
                @for project in &found.rows {
                    tr.project {
                        td { a href=(format!("/organizations/{slug}/projects/{}/", project.slug)) { (project.name) } br; span.muted { (project.slug) } }
                        td { (project.platform.clone().unwrap_or_default()) }
                        td.hide-narrow { (project.team_slugs.join(", ")) }
                        td {
                            a href=(format!("/organizations/{slug}/issues/?project={}", project.id)) { "Issues" }
                            @if can_keys { " · " a href=(format!("/settings/{slug}/projects/{}/keys/", project.slug)) { "Client keys" } }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Projects", &viewer.nav(slug, "projects"), body).into_response())
}

/// `GET /settings/{org}/projects/{project}/keys/`.
pub async fn keys(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    access.require(&PROJECT_READ)?;
    let found = keys::list(&state.pool, access.org.id, project.id, ROWS).await?;
    let can_write = access.require(&PROJECT_WRITE).is_ok();
    let action = format!(
        "/settings/{}/projects/{}/keys/",
        access.org.slug, project.slug
    );
    let body = html! {
        h1 { "Client keys of " (project.name) }
        p.muted { "An SDK sends events with a key's DSN." }
        @for key in &found.rows {
            section.key {
                h2 { (key.label) " " @if !key.is_active { span.status.status-ignored { "disabled" } } }
                p { label for=(format!("dsn-{}", key.public_key)) { "DSN" } br;
                    input.dsn id=(format!("dsn-{}", key.public_key)) readonly size="70"
                        value=(public_dsn(&state.public_url, &key.public_key, project.id)); }
                p.muted { "Created " (ago(Some(key.date_created), Utc::now()))
                    @if let (Some(window), Some(count)) = (key.rate_limit_window, key.rate_limit_count) {
                        " · rate limit " (count) " events per " (window) " s"
                    }
                }
                @if can_write {
                    form.inline method="post" action=(action) {
                        (csrf_field(&viewer.csrf))
                        input type="hidden" name="key" value=(key.public_key);
                        @if key.is_active {
                            button type="submit" name="action" value="disable" { "Disable" }
                        } @else {
                            button type="submit" name="action" value="enable" { "Enable" }
                        }
                    }
                    form.inline method="post" action=(action) {
                        (csrf_field(&viewer.csrf))
                        input type="hidden" name="key" value=(key.public_key);
                        label for=(format!("count-{}", key.public_key)) { "Events" }
                        input id=(format!("count-{}", key.public_key)) name="count" type="number" min="1" size="6"
                            value=[key.rate_limit_count];
                        label for=(format!("window-{}", key.public_key)) { "per seconds" }
                        input id=(format!("window-{}", key.public_key)) name="window" type="number" min="1" size="6"
                            value=[key.rate_limit_window];
                        button type="submit" name="action" value="rate_limit" { "Set rate limit" }
                        button type="submit" name="action" value="no_rate_limit" { "Remove limit" }
                    }
                }
            }
        }
        @if can_write {
            h2 { "New key" }
            form.inline method="post" action=(action) {
                (csrf_field(&viewer.csrf))
                label for="key-name" { "Name" }
                input id="key-name" name="name" maxlength="64";
                button.primary type="submit" name="action" value="create" { "Create key" }
            }
        }
    };
    Ok(page(
        "Client keys",
        &viewer.nav(&access.org.slug, "projects"),
        body,
    )
    .into_response())
}

/// `POST /settings/{org}/projects/{project}/keys/`: create, disable or enable a key,
/// or set its rate limit, through the API's key rules.
pub async fn change_keys(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    access.require(&PROJECT_WRITE)?;
    let back = format!(
        "/settings/{}/projects/{}/keys/",
        access.org.slug, project.slug
    );
    let action = form.get("action").unwrap_or_default();
    if action == "create" {
        create_key(
            &state,
            &access,
            &project,
            form.get("name").map(str::to_owned),
            None,
        )
        .await?;
        return Ok(Redirect::to(&back).into_response());
    }
    let key = resolve_key(
        &state,
        &access,
        &project,
        form.get("key").unwrap_or_default(),
    )
    .await?;
    let (is_active, rate_limit) = match action {
        "disable" => (Some(false), None),
        "enable" => (Some(true), None),
        "no_rate_limit" => (None, Some(None)),
        "rate_limit" => {
            let number = |name: &str| {
                form.get(name)
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        UiError::BadRequest(format!("The {name} must be a positive number."))
                    })
            };
            (
                None,
                Some(Some(RateLimit {
                    window: number("window")?,
                    count: number("count")?,
                })),
            )
        }
        other => return Err(UiError::BadRequest(format!("Unknown action {other:?}."))),
    };
    update_key(&state, &access, &project, &key, None, is_active, rate_limit).await?;
    Ok(Redirect::to(&back).into_response())
}

/// `GET /settings/{org}/members/`: the members, and as the viewer's role allows,
/// adding one, changing a role, removing.
pub async fn members(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&[Scope::MemberRead, Scope::MemberWrite, Scope::MemberAdmin])?;
    let found = members::list(&state.pool, access.org.id, ROWS).await?;
    let slug = &access.org.slug;
    let action = format!("/settings/{slug}/members/");
    let can_add = access
        .require(&[Scope::MemberWrite, Scope::MemberAdmin, Scope::MemberInvite])
        .is_ok();
    let can_edit = access
        .require(&[Scope::MemberWrite, Scope::MemberAdmin])
        .is_ok();
    let can_remove = access.has(Scope::MemberAdmin);
    let roles = |current: &str| {
        html! {
            @for role in OrgRole::ALL {
                option value=(role.as_str()) selected[role.as_str() == current] { (role.as_str()) }
            }
        }
    };
    let body = html! {
        (settings_tabs(slug, "members"))
        h1 { "Members" }
        table {
            thead { tr { th { "Member" } th { "Role" } th.hide-narrow { "Teams" } th.hide-narrow { "Joined" } th { span.visually-hidden { "Actions" } } } }
            tbody {
                @for member in &found.rows {
                    tr.member {
                        td { (member.name) br; span.muted { (member.email) } }
                        td {
                            @if can_edit {
                                form.inline method="post" action=(action) {
                                    (csrf_field(&viewer.csrf))
                                    input type="hidden" name="member" value=(member.id);
                                    select name="role" aria-label=(format!("Role of {}", member.email)) { (roles(&member.role)) }
                                    button type="submit" name="action" value="role" { "Change" }
                                }
                            } @else {
                                (member.role)
                            }
                        }
                        td.hide-narrow { (member.teams.join(", ")) }
                        td.hide-narrow { (ago(Some(member.date_created), Utc::now())) }
                        td {
                            @if can_remove || member.user_id == viewer.caller.user_id() {
                                form.inline method="post" action=(action) {
                                    (csrf_field(&viewer.csrf))
                                    input type="hidden" name="member" value=(member.id);
                                    button.danger type="submit" name="action" value="remove" {
                                        @if member.user_id == viewer.caller.user_id() { "Leave" } @else { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_add {
            h2 { "Add a member" }
            p.muted { "The member is active at once; a new email gets a user, who signs in once given a password (" code { "faultline user set-password" } ")." }
            form.inline method="post" action=(action) {
                (csrf_field(&viewer.csrf))
                label for="new-email" { "Email" }
                input id="new-email" name="email" type="email" required;
                label for="new-role" { "Role" }
                select id="new-role" name="role" { (roles("member")) }
                button.primary type="submit" name="action" value="add" { "Add" }
            }
        }
    };
    Ok(page("Members", &viewer.nav(slug, "settings"), body).into_response())
}

/// `POST /settings/{org}/members/`: add a member, change a role, remove one, through
/// the API's membership rules.
pub async fn change_members(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    let back = format!("/settings/{}/members/", access.org.slug);
    match form.get("action").unwrap_or_default() {
        "add" => {
            add_member(
                &state,
                &access,
                form.get("email").map(str::to_owned),
                form.get("role"),
                &[],
            )
            .await?;
        }
        "role" => {
            let member =
                find_member(&state, &access, form.get("member").unwrap_or_default()).await?;
            change_role(&state, &access, &member, form.get("role")).await?;
        }
        "remove" => {
            let member =
                find_member(&state, &access, form.get("member").unwrap_or_default()).await?;
            let leaving = member.user_id == viewer.caller.user_id();
            remove_member(&state, &access, &member).await?;
            if leaving {
                return Ok(Redirect::to("/").into_response());
            }
        }
        other => return Err(UiError::BadRequest(format!("Unknown action {other:?}."))),
    }
    Ok(Redirect::to(&back).into_response())
}

/// `GET /settings/{org}/teams/`.
pub async fn teams(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&[Scope::OrgRead, Scope::OrgWrite, Scope::OrgAdmin])?;
    let found = teams::list(&state.pool, access.org.id, viewer.caller.user_id(), ROWS).await?;
    let slug = &access.org.slug;
    let can_create = access
        .require(&[Scope::OrgWrite, Scope::OrgAdmin, Scope::TeamWrite])
        .is_ok();
    let body = html! {
        (settings_tabs(slug, "teams"))
        h1 { "Teams" }
        table {
            thead { tr { th { "Team" } th.num { "Members" } th { "You" } } }
            tbody {
                @for team in &found.rows {
                    tr.team {
                        td { "#" (team.slug) br; span.muted { (team.name) } }
                        td.num { (team.member_count) }
                        td { @if team.is_member { "member" } }
                    }
                }
            }
        }
        @if can_create {
            h2 { "New team" }
            form.inline method="post" action=(format!("/settings/{slug}/teams/")) {
                (csrf_field(&viewer.csrf))
                label for="team-name" { "Name" }
                input id="team-name" name="name" required maxlength="64";
                button.primary type="submit" name="action" value="create" { "Create team" }
            }
        }
    };
    Ok(page("Teams", &viewer.nav(slug, "settings"), body).into_response())
}

/// `POST /settings/{org}/teams/`: create a team (the creator joins it).
pub async fn change_teams(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    create_team(&state, &access, form.get("name").map(str::to_owned), None).await?;
    Ok(Redirect::to(&format!("/settings/{}/teams/", access.org.slug)).into_response())
}

/// `GET /settings/{org}/audit-log/`.
pub async fn audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&[Scope::OrgWrite])?;
    let found =
        audit_queries::list(&state.pool, access.org.id, &AuditFilter::default(), ROWS).await?;
    let slug = &access.org.slug;
    let now = Utc::now();
    let body = html! {
        (settings_tabs(slug, "audit-log"))
        h1 { "Audit log" }
        table {
            thead { tr { th { "Event" } th { "By" } th.hide-narrow { "Address" } th { "When" } } }
            tbody {
                @for row in &found.rows {
                    tr.audit {
                        td { (row.note) br; span.muted { (row.event) } }
                        td { (row.actor_user.as_ref().map(|u| u.email.clone()).unwrap_or_else(|| row.actor.clone())) }
                        td.hide-narrow { (row.ip_address.clone().unwrap_or_default()) }
                        td { (ago(Some(row.date_created), now)) }
                    }
                }
            }
        }
    };
    Ok(page("Audit log", &viewer.nav(slug, "settings"), body).into_response())
}

/// `GET /organizations/{org}/alerts/rules/`.
pub async fn alert_rules(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&ALERTS_READ)?;
    let found = alert_queries::workflows(
        &state.pool,
        access.org.id,
        &WorkflowFilter::default(),
        (WorkflowSort::Name, false),
        ROWS,
    )
    .await?;
    let slug = &access.org.slug;
    let now = Utc::now();
    let body = html! {
        h1 { "Alert rules" }
        p.muted { "Rules are created and changed through the API (" code { "/api/0/organizations/" (slug) "/workflows/" } ")." }
        @if found.rows.is_empty() {
            p id="no-rules" { "No alert rules yet." }
        } @else {
            table {
                thead { tr { th { "Rule" } th { "State" } th.hide-narrow { "Environment" } th { "Last triggered" } } }
                tbody {
                    @for rule in &found.rows {
                        tr.rule {
                            td { (rule.definition.name) }
                            td { @if rule.definition.enabled { "enabled" } @else { "disabled" } }
                            td.hide-narrow { (rule.definition.environment.clone().unwrap_or_else(|| "any".to_owned())) }
                            td { (ago(rule.last_triggered, now)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Alert rules", &viewer.nav(slug, "alerts"), body).into_response())
}

fn settings_tabs(org: &str, current: &str) -> maud::Markup {
    html! {
        nav.tabs aria-label="Settings" {
            @for (key, label) in [("members", "Members"), ("teams", "Teams"), ("audit-log", "Audit log")] {
                a href=(format!("/settings/{org}/{key}/")) aria-current=[(key == current).then_some("page")] { (label) }
            }
        }
    }
}
