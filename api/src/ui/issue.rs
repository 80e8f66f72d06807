//! The issue page (`/organizations/{org}/issues/{id}/`): what the issue is, its
//! counts, tag distributions, assignee, activity and comments, the latest event; and
//! its actions (`POST` to the same URL), each the API's update rules or command.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use faultline_domain::role::Scope;
use faultline_projections::issues::queries;
use maud::{html, Markup};
use serde_json::{json, Value};

use super::error::UiError;
use super::event_view::event_body;
use super::forms::FormData;
use super::layout::{ago, confirm_delete, csrf_field, page, parse_time};
use super::people::assignee_options;
use super::session::Viewer;
use super::stream::status_body;
use crate::issue_ops::{
    apply_update, delete_issue, detail_for, event_detail_parts, event_of_issue, parse_update,
    post_comment,
};
use crate::resolve::{resolve_issue, EVENT_ADMIN, EVENT_READ, EVENT_WRITE};
use crate::state::AppState;

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `GET /organizations/{org}/issues/{id}/`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&EVENT_READ)?;
    let row = resolve_issue(&state, &access, &issue_id).await?;
    let event_row = async {
        match event_of_issue(&state, &row, "latest").await {
            Ok(event) => Ok(Some(event)),
            Err(crate::error::ApiError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    };
    let (detail, comments, people, event_row) = tokio::try_join!(
        async { Ok::<_, UiError>(detail_for(&state, &access, &issue_id).await?) },
        async { Ok::<_, UiError>(queries::comments(&state.pool, row.org_id, row.id).await?) },
        assignee_options(&state, &access),
        async { Ok::<_, UiError>(event_row.await?) },
    )?;
    let event = match &event_row {
        Some(event_row) => Some(event_detail_parts(&state, event_row, Some(&row.hash)).await?),
        None => None,
    };
    let now = Utc::now();
    let org = access.org.slug.clone();
    let base = format!("/organizations/{org}/issues/{}/", row.id);
    let status = text(&detail["status"]);
    let title = text(&detail["title"]).to_owned();
    let assigned = detail["assignedTo"]["type"]
        .as_str()
        .map(|kind| format!("{kind}:{}", text(&detail["assignedTo"]["id"])));
    let can_write = access.has(Scope::EventWrite);
    let can_delete = access.has(Scope::EventAdmin);
    let action = |value: &str, label: &str, class: Option<&str>| {
        html! {
            form.inline method="post" action=(base) {
                (csrf_field(&viewer.csrf))
                button type="submit" id=(value) name="action" value=(value) class=[class] { (label) }
            }
        }
    };
    let nav = viewer.nav(&org, "issues");
    let body = html! {
        p.muted {
            a href=(format!("/organizations/{org}/issues/?project={}", row.project_id)) { (text(&detail["project"]["slug"])) }
            " · " (text(&detail["shortId"]))
        }
        h1 id="issue-title" {
            span class=(format!("level level-{}", text(&detail["level"]))) title=(text(&detail["level"])) {}
            (title)
        }
        p id="culprit" .culprit { (text(&detail["culprit"])) }
        p { span id="issue-status" class=(format!("status status-{status}")) { (status) }
            @if let Some(details) = detail["statusDetails"].as_object().filter(|d| !d.is_empty()) {
                " " span.muted { (Value::Object(details.clone()).to_string()) }
            }
        }
        @if can_write {
            div.controls id="actions" {
                @if status == "resolved" || status == "ignored" {
                    (action("unresolve", "Unresolve", Some("primary")))
                } @else {
                    (action("resolve", "Resolve", Some("primary")))
                    (action("resolve_next_release", "Resolve in next release", None))
                }
                @if status != "ignored" {
                    form.inline method="post" action=(base) {
                        (csrf_field(&viewer.csrf))
                        label for="ignore_duration" { "Ignore for" }
                        select id="ignore_duration" name="ignore_duration" {
                            option value="" { "ever" }
                            option value="30" { "30 minutes" }
                            option value="120" { "2 hours" }
                            option value="1440" { "24 hours" }
                            option value="10080" { "1 week" }
                        }
                        label for="ignore_count" { "or until events" }
                        input id="ignore_count" name="ignore_count" type="number" min="1" style="width:6rem";
                        button type="submit" id="ignore" name="action" value="ignore" { "Ignore" }
                    }
                }
                @if detail["isBookmarked"] == json!(true) {
                    (action("unbookmark", "Remove bookmark", None))
                } @else {
                    (action("bookmark", "Bookmark", None))
                }
                @if detail["isSubscribed"] == json!(true) {
                    (action("unsubscribe", "Unsubscribe", None))
                } @else {
                    (action("subscribe", "Subscribe", None))
                }
                form.inline method="post" action=(format!("/organizations/{org}/issues/bulk/")) {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="issue" value=(row.id);
                    input type="hidden" name="back" value=(base);
                    label for="merge-with" { "Merge with issue" }
                    input id="merge-with" name="issue" inputmode="numeric" style="width:7rem" placeholder="id";
                    button type="submit" id="merge" name="action" value="merge" { "Merge…" }
                }
                @if can_delete {
                    (action("delete", "Delete…", Some("danger")))
                }
            }
        }
        div.layout {
            div {
                dl.facts {
                    div { dt { "Events" } dd id="event-count" { (text(&detail["count"])) } }
                    div { dt { "Users" } dd { (detail["userCount"].as_i64().unwrap_or(0)) } }
                    div { dt { "First seen" } dd { (ago(parse_time(&detail["firstSeen"]), now))
                        @if let Some(release) = detail["firstRelease"]["version"].as_str() { br; span.muted { "in " (release) } } } }
                    div { dt { "Last seen" } dd { (ago(parse_time(&detail["lastSeen"]), now))
                        @if let Some(release) = detail["lastRelease"]["version"].as_str() { br; span.muted { "in " (release) } } } }
                }
                @if let Some((event, raw)) = &event {
                    h2 { "Latest event " span.muted { (text(&event["eventID"])) } }
                    p {
                        a href=(format!("{base}events/latest/")) { "Open the event" } " · "
                        a href=(format!("{base}events/")) { "All events" }
                    }
                    (event_body(event, raw))
                }
            }
            aside {
                @if can_write {
                    section id="assignee" {
                        h2 { "Assignee" }
                        form method="post" action=(base) {
                            (csrf_field(&viewer.csrf))
                            label.visually-hidden for="assignee" { "Assignee" }
                            select id="assignee" name="assignee" { (people.options(assigned.as_deref())) }
                            " "
                            button type="submit" id="assign" name="action" value="assign" { "Assign" }
                        }
                    }
                }
                section id="tag-distributions" {
                    h2 { "Tags" }
                    @for tag in detail["tags"].as_array().into_iter().flatten() {
                        (tag_distribution(tag))
                    }
                }
                section id="activity" {
                    h2 { "Activity" }
                    @if can_write {
                        form method="post" action=(base) {
                            (csrf_field(&viewer.csrf))
                            label.block for="comment" { "Comment" }
                            textarea id="comment" name="text" rows="3" style="width:100%" {}
                            button type="submit" id="add-comment" name="action" value="comment" { "Comment" }
                        }
                    }
                    ul.activity {
                        @for comment in &comments {
                            li.comment {
                                strong { (comment.user_name.clone().or(comment.user_email.clone()).unwrap_or_default()) }
                                " " span.muted { (ago(Some(comment.date_created), now)) }
                                p { (comment.text) }
                            }
                        }
                        @for item in detail["activity"].as_array().into_iter().flatten() {
                            @if item["type"] != json!("note") {
                                li {
                                    (text(&item["type"]).replace('_', " "))
                                    @if let Some(who) = item["user"]["name"].as_str() { " by " (who) }
                                    " " span.muted { (ago(parse_time(&item["dateCreated"]), now)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&title, &nav, body).into_response())
}

fn tag_distribution(tag: &Value) -> Markup {
    // Of every event with the tag, not of the top values shown.
    let total = tag["totalValues"].as_i64().unwrap_or(0).max(1);
    html! {
        h3 { (text(&tag["name"])) }
        ul.tagvalues {
            @for value in tag["topValues"].as_array().into_iter().flatten() {
                @let count = value["count"].as_i64().unwrap_or(0);
                @let percent = count * 100 / total;
                li {
                    (text(&value["value"])) " " span.muted { (percent) "%" }
                    div.bar role="presentation" { span style=(format!("width:{percent}%")) {} }
                }
            }
        }
    }
}

/// `POST /organizations/{org}/issues/{id}/`: one action of the issue page.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, issue_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    let row = resolve_issue(&state, &access, &issue_id).await?;
    let back = format!("/organizations/{}/issues/{}/", access.org.slug, row.id);
    let metadata = access.caller.metadata();
    let body = match form.get("action").unwrap_or_default() {
        "comment" => {
            access.require(&EVENT_WRITE)?;
            let text = form
                .get("text")
                .ok_or_else(|| UiError::BadRequest("A comment needs text.".to_owned()))?;
            post_comment(&state, &access, &row, text.to_owned()).await?;
            return Ok(Redirect::to(&back).into_response());
        }
        "delete" => {
            access.require(&EVENT_ADMIN)?;
            if form.get("confirm") != Some("yes") {
                return Ok(
                    confirm_delete(
                        &viewer.csrf,
                        &viewer.nav(&access.org.slug, "issues"),
                        &back,
                        "issue",
                        &row.title,
                        "Its events stay in the log until retention removes them; the issue leaves every list.",
                    ).into_response()
                );
            }
            delete_issue(&state, &access, &row, &metadata).await?;
            return Ok(
                Redirect::to(&format!("/organizations/{}/issues/", access.org.slug))
                    .into_response(),
            );
        }
        "ignore" => {
            let mut details = serde_json::Map::new();
            if let Some(minutes) = form.get("ignore_duration") {
                details.insert("ignoreDuration".into(), json!(number(minutes)?));
            }
            if let Some(count) = form.get("ignore_count") {
                details.insert("ignoreCount".into(), json!(number(count)?));
            }
            json!({ "status": "ignored", "statusDetails": details })
        }
        "assign" => json!({ "assignedTo": form.get("assignee").unwrap_or("") }),
        "bookmark" => json!({ "isBookmarked": true }),
        "unbookmark" => json!({ "isBookmarked": false }),
        "subscribe" => json!({ "isSubscribed": true }),
        "unsubscribe" => json!({ "isSubscribed": false }),
        action => status_body(action)?,
    };
    access.require(&EVENT_WRITE)?;
    let update = parse_update(&state, &access, &body).await?;
    apply_update(&state, &access, &row, &update, &metadata).await?;
    Ok(Redirect::to(&back).into_response())
}

fn number(raw: &str) -> Result<u64, UiError> {
    raw.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| UiError::BadRequest(format!("{raw:?} is not a positive number.")))
}
