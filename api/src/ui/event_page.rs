//! An issue's events: one event (`/organizations/{org}/issues/{id}/events/{event}/`,
//! `latest`, `oldest`, `recommended` or an id) with navigation to its neighbours,
//! and the list of events (`.../events/`).

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use faultline_projections::issues::queries::{self, Page};
use maud::html;

use super::error::UiError;
use super::event_view::event_body;
use super::forms::query_of;
use super::layout::{ago, page};
use super::session::Viewer;
use crate::issue_ops::{event_detail_parts, event_of_issue};
use crate::render::event::{event_list_json, occurrence};
use crate::resolve::{resolve_issue, EVENT_READ};
use crate::state::AppState;

/// Events per page of the list.
const EVENTS_PER_PAGE: i64 = 50;

/// `GET /organizations/{org}/issues/{id}/events/{event}/`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, issue_id, event_id)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&EVENT_READ)?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let row = event_of_issue(&state, &issue, &event_id).await?;
    let (detail, raw) = event_detail_parts(&state, &row, Some(&issue.hash)).await?;
    let base = format!("/organizations/{}/issues/{}/", access.org.slug, issue.id);
    let link = |id: &serde_json::Value| id.as_str().map(|id| format!("{base}events/{id}/"));
    let nav = viewer.nav(&access.org.slug, "issues");
    let title = format!("Event {} · {}", row.event_id, issue.title);
    let body = html! {
        p.muted { a href=(base) { "← " (issue.title) } }
        h1 { "Event " code { (row.event_id) } }
        p.muted { (ago(Some(row.timestamp), Utc::now())) " · received " (row.received.to_rfc3339()) }
        nav.pager aria-label="Events" {
            a.button id="oldest" href=(format!("{base}events/oldest/")) { "Oldest" }
            @if let Some(href) = link(&detail["previousEventID"]) {
                a.button id="previous" rel="prev" href=(href) { "← Older" }
            }
            @if let Some(href) = link(&detail["nextEventID"]) {
                a.button id="next" rel="next" href=(href) { "Newer →" }
            }
            a.button id="latest" href=(format!("{base}events/latest/")) { "Latest" }
            a.button href=(format!("{base}events/")) { "All events" }
        }
        (event_body(&detail, &raw))
    };
    Ok(page(&title, &nav, body).into_response())
}

/// `GET /organizations/{org}/issues/{id}/events/`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, issue_id)): Path<(String, String)>,
    parts: Parts,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&EVENT_READ)?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let offset: i64 = query_of(&parts)
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0)
        .max(0);
    let found = queries::events_of_issue(
        &state.pool,
        issue.org_id,
        issue.id,
        Page {
            limit: EVENTS_PER_PAGE,
            offset,
        },
    )
    .await?;
    let mut events = Vec::with_capacity(found.rows.len());
    for row in &found.rows {
        events.push(event_list_json(row, &occurrence(row)?));
    }
    let base = format!("/organizations/{}/issues/{}/", access.org.slug, issue.id);
    let now = Utc::now();
    let nav = viewer.nav(&access.org.slug, "issues");
    let body = html! {
        p.muted { a href=(base) { "← " (issue.title) } }
        h1 { "Events" }
        table {
            thead { tr { th { "Event" } th { "When" } th { "Message" } th.hide-narrow { "User" } } }
            tbody {
                @for (row, event) in found.rows.iter().zip(&events) {
                    tr.event {
                        td { a href=(format!("{base}events/{}/", row.event_id)) { code { (&row.event_id[..8.min(row.event_id.len())]) } } }
                        td { (ago(Some(row.timestamp), now)) }
                        td { (event["message"].as_str().or(event["title"].as_str()).unwrap_or_default()) }
                        td.hide-narrow { (event["user"]["email"].as_str().or(event["user"]["id"].as_str()).unwrap_or("—")) }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if offset > 0 {
                a.button rel="prev" href=(format!("{base}events/?offset={}", (offset - EVENTS_PER_PAGE).max(0))) { "← Newer" }
            }
            @if found.has_more {
                a.button rel="next" href=(format!("{base}events/?offset={}", offset + EVENTS_PER_PAGE)) { "Older →" }
            }
        }
    };
    Ok(page("Events", &nav, body).into_response())
}
