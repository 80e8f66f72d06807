//! Cron monitors: `/organizations/{org}/crons/` (every monitor with its schedule and
//! each environment's state) and `/organizations/{org}/crons/{monitor}/` (its
//! environments and latest check-ins, with Sentry's actions on it: mute, disable,
//! delete). Monitors are created by their jobs' check-ins or through the API.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use faultline_domain::monitor::{
    Monitor, MonitorChanges, MonitorCommand, MonitorConfig, MonitorStatus, Schedule,
    DEFAULT_MARGIN_MINUTES, DEFAULT_MAX_RUNTIME_MINUTES,
};
use faultline_projections::accounts::queries::Page;
use faultline_projections::monitors::queries::{self, EnvironmentRow};
use maud::{html, Markup};

use super::error::UiError;
use super::forms::FormData;
use super::layout::{ago, confirm_delete, csrf_field, page};
use super::session::Viewer;
use crate::resolve::{PROJECT_READ, PROJECT_WRITE};
use crate::state::AppState;

/// Monitors and check-ins a page lists.
const ROWS: Page = Page {
    limit: 100,
    offset: 0,
};

fn schedule(config: &MonitorConfig) -> String {
    let zone = config.timezone.as_deref().unwrap_or("UTC");
    match &config.schedule {
        Schedule::Crontab { value } => format!("{value} ({zone})"),
        Schedule::Interval { value, unit } => format!("every {value} {}", unit.as_str()),
    }
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn environments(envs: &[&EnvironmentRow], now: DateTime<Utc>) -> Markup {
    html! {
        @if envs.is_empty() {
            span.muted { "no check-in yet" }
        }
        @for env in envs {
            div.environment data-environment=(env.name) {
                (env.name) ": " span.status data-status=(env.status) { (env.status) }
                " · last " (ago(env.last_check_in, now))
                " · next " (when(env.next_check_in))
            }
        }
    }
}

/// `GET /organizations/{org}/crons/`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&PROJECT_READ)?;
    let found = queries::list(&state.pool, access.org.id, &[], &[], ROWS).await?;
    let ids: Vec<_> = found.rows.iter().map(|m| m.monitor_id).collect();
    let envs = queries::environments(&state.pool, access.org.id, &ids).await?;
    let slug = &access.org.slug;
    let now = Utc::now();
    let body = html! {
        h1 { "Cron monitors" }
        p.muted { "Jobs check in with " code { "sentry-cli monitors run" } ", the SDKs or the HTTP check-in URL; a check-in with a config creates its monitor." }
        @if found.rows.is_empty() {
            p id="no-monitors" { "No monitors yet." }
        } @else {
            table {
                thead { tr { th { "Monitor" } th.hide-narrow { "Schedule" } th { "Environments" } } }
                tbody {
                    @for monitor in &found.rows {
                        @let mine: Vec<&EnvironmentRow> = envs.iter().filter(|e| e.monitor_id == monitor.monitor_id).collect();
                        tr.monitor data-slug=(monitor.slug) {
                            td {
                                a href=(format!("/organizations/{slug}/crons/{}/", monitor.slug)) { (monitor.name) }
                                @if monitor.status == "disabled" { " " span.muted { "(disabled)" } }
                                @if monitor.is_muted { " " span.muted { "(muted)" } }
                            }
                            td.hide-narrow { (schedule(&monitor.config)) }
                            td { (environments(&mine, now)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Cron monitors", &viewer.nav(slug, "crons"), body).into_response())
}

/// `GET /organizations/{org}/crons/{monitor}/`.
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, monitor)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    let monitor = queries::by_slug_or_id(&state.pool, access.org.id, &monitor)
        .await?
        .ok_or(UiError::NotFound)?;
    access.require(&PROJECT_READ)?;
    let envs = queries::environments(&state.pool, monitor.org_id, &[monitor.monitor_id]).await?;
    let check_ins =
        queries::check_ins(&state.pool, monitor.org_id, monitor.monitor_id, &[], ROWS).await?;
    let slug = &access.org.slug;
    let now = Utc::now();
    let config = &monitor.config;
    let base = format!("/organizations/{slug}/crons/{}/", monitor.slug);
    let can_write = PROJECT_WRITE.iter().any(|scope| access.has(*scope));
    let action = |value: &str, label: &str| {
        html! {
            form.inline method="post" action=(base) {
                (csrf_field(&viewer.csrf))
                button type="submit" id=(value) name="action" value=(value) { (label) }
            }
        }
    };
    let body = html! {
        h1 { (monitor.name) }
        @if can_write {
            div.actions {
                @if monitor.is_muted { (action("unmute", "Unmute")) } @else { (action("mute", "Mute")) }
                " "
                @if monitor.status == "disabled" { (action("enable", "Enable")) } @else { (action("disable", "Disable")) }
                " "
                (action("delete", "Delete"))
            }
        }
        dl.facts {
            div { dt { "Schedule" } dd id="schedule" { (schedule(config)) } }
            div { dt { "Margin" } dd { (config.checkin_margin.unwrap_or(DEFAULT_MARGIN_MINUTES)) " min" } }
            div { dt { "Max runtime" } dd { (config.max_runtime.unwrap_or(DEFAULT_MAX_RUNTIME_MINUTES)) " min" } }
            div { dt { "Status" } dd { (monitor.status) @if monitor.is_muted { ", muted" } } }
        }
        h2 { "Environments" }
        (environments(&envs.iter().collect::<Vec<_>>(), now))
        h2 { "Check-ins" }
        @if check_ins.rows.is_empty() {
            p id="no-check-ins" { "No check-ins yet." }
        } @else {
            table {
                thead { tr { th { "Status" } th { "Environment" } th { "Started" } th { "Duration" } } }
                tbody {
                    @for check_in in &check_ins.rows {
                        tr.check-in data-status=(check_in.status) {
                            td { (check_in.status) }
                            td { (check_in.environment) }
                            td { (ago(Some(check_in.date_added), now)) }
                            td { @match check_in.duration_ms { Some(ms) => { (ms) " ms" } None => { "—" } } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&monitor.name, &viewer.nav(slug, "crons"), body).into_response())
}

/// `POST /organizations/{org}/crons/{monitor}/`: `action` is `mute`, `unmute`,
/// `disable`, `enable` or `delete` (which asks to confirm first).
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, monitor)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    let row = queries::by_slug_or_id(&state.pool, access.org.id, &monitor)
        .await?
        .ok_or(UiError::NotFound)?;
    access.require(&PROJECT_WRITE)?;
    let slug = &access.org.slug;
    let back = format!("/organizations/{slug}/crons/{}/", row.slug);
    let at = Utc::now();
    let changes = |status: Option<MonitorStatus>, muted: Option<bool>| MonitorCommand::Update {
        changes: MonitorChanges {
            status,
            muted,
            ..MonitorChanges::default()
        },
        at,
    };
    let command = match form.get("action").unwrap_or_default() {
        "mute" => changes(None, Some(true)),
        "unmute" => changes(None, Some(false)),
        "disable" => changes(Some(MonitorStatus::Disabled), None),
        "enable" => changes(Some(MonitorStatus::Active), None),
        "delete" if form.get("confirm") == Some("yes") => MonitorCommand::Delete { at },
        "delete" => return Ok(confirm_delete(
                &viewer.csrf,
                &viewer.nav(slug, "crons"),
                &back,
                "monitor",
                &row.name,
                "Its check-ins stop being recorded and it leaves every list; a check-in with a config creates it again.",
            ).into_response()),
        other => {
            return Err(UiError::BadRequest(format!(
                "{other:?} is not an action on a monitor."
            )))
        }
    };
    let deleting = matches!(command, MonitorCommand::Delete { .. });
    state
        .execute::<Monitor>(&row.stream_id, command, &access.caller.metadata())
        .await?;
    if deleting {
        return Ok(Redirect::to(&format!("/organizations/{slug}/crons/")).into_response());
    }
    Ok(Redirect::to(&back).into_response())
}
