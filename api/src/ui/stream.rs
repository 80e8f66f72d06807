//! The issue stream: `/organizations/{org}/issues/` (every project, or `?project=`)
//! and `/organizations/{org}/projects/{project}/` (one project), with the API's
//! search language, sort, stats period, status tabs, cursor paging and bulk actions
//! (`POST /organizations/{org}/issues/bulk/`).

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use faultline_domain::search::DEFAULT_QUERY;
use faultline_projections::issues::queries;
use faultline_projections::issues::search::StatsPeriod;
use maud::{html, Markup};
use serde_json::{json, Value};

use super::error::UiError;
use super::forms::{is_local_path, query_of, query_string, FormData};
use super::layout::{ago, csrf_field, page, parse_time, sparkline};
use super::people::assignee_options;
use super::session::Viewer;
use crate::auth::OrgAccess;
use crate::error::ApiError;
use crate::issue_ops::{
    apply_update, list_issues, merge, parse_update, IssueList, IssueListRequest,
};
use crate::render::issue::issue_json;
use crate::resolve::{resolve_project, EVENT_READ, EVENT_WRITE};
use crate::state::AppState;

/// Issues per page.
const PAGE_SIZE: i64 = 25;

/// The status tabs: label, the status filter they put in the query.
const TABS: [(&str, &str); 4] = [
    ("Unresolved", "unresolved"),
    ("For review", "for_review"),
    ("Ignored", "ignored"),
    ("Resolved", "resolved"),
];

/// The sorts offered, as the API names them.
const SORTS: [(&str, &str); 4] = [
    ("date", "Last seen"),
    ("new", "First seen"),
    ("freq", "Events"),
    ("user", "Users"),
];

/// What the stream was asked for.
struct StreamParams {
    query: String,
    sort: String,
    stats_period: String,
    cursor: String,
    project: String,
}

impl StreamParams {
    fn of(parts: &Parts) -> Self {
        let form = query_of(parts);
        let raw = |name: &str| {
            form.0
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        StreamParams {
            query: raw("query").unwrap_or_else(|| DEFAULT_QUERY.to_owned()),
            sort: form.get("sort").unwrap_or("date").to_owned(),
            // The stream always draws its graphs; an empty period is the default one.
            stats_period: form
                .get("statsPeriod")
                .filter(|period| !period.is_empty())
                .unwrap_or("24h")
                .to_owned(),
            cursor: form.get("cursor").unwrap_or("").to_owned(),
            project: form.get("project").unwrap_or("").to_owned(),
        }
    }

    /// This stream's URL with `query` in place and the cursor dropped.
    fn with_query(&self, base: &str, query: &str) -> String {
        format!(
            "{base}?{}",
            query_string(&[
                ("query", query),
                ("sort", &self.sort),
                ("statsPeriod", &self.stats_period),
                ("project", &self.project),
            ])
        )
    }

    fn with_cursor(&self, base: &str, cursor: &str) -> String {
        format!(
            "{base}?{}",
            query_string(&[
                ("query", &self.query),
                ("sort", &self.sort),
                ("statsPeriod", &self.stats_period),
                ("project", &self.project),
                ("cursor", cursor),
            ])
        )
    }
}

/// `GET /organizations/{org}/issues/`.
pub async fn org_stream(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    parts: Parts,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    access.require(&EVENT_READ)?;
    let params = StreamParams::of(&parts);
    let projects = match params.project.as_str() {
        "" | "-1" => None,
        id => Some(vec![id.parse::<i64>().map_err(|_| {
            UiError::BadRequest("Invalid project id.".to_owned())
        })?]),
    };
    let base = format!("/organizations/{}/issues/", access.org.slug);
    stream(&state, &viewer, &access, &params, projects, &base, "Issues").await
}

/// `GET /organizations/{org}/projects/{project}/`: the project's issues.
pub async fn project_stream(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(String, String)>,
    parts: Parts,
) -> Result<Response, UiError> {
    let access = viewer.access(&state, &org).await?;
    let project = resolve_project(&state, &access, &project).await?;
    access.require(&EVENT_READ)?;
    let params = StreamParams::of(&parts);
    let base = format!(
        "/organizations/{}/projects/{}/",
        access.org.slug, project.slug
    );
    let title = format!("{} issues", project.slug);
    stream(
        &state,
        &viewer,
        &access,
        &params,
        Some(vec![project.id]),
        &base,
        &title,
    )
    .await
}

async fn stream(
    state: &AppState,
    viewer: &Viewer,
    access: &OrgAccess,
    params: &StreamParams,
    project_ids: Option<Vec<i64>>,
    base: &str,
    title: &str,
) -> Result<Response, UiError> {
    let nav = viewer.nav(&access.org.slug, "issues");
    let request = IssueListRequest {
        query: &params.query,
        sort: &params.sort,
        stats_period: &params.stats_period,
        cursor: &params.cursor,
        limit: PAGE_SIZE,
        project_ids,
        environments: Vec::new(),
    };
    let (listed, people) = tokio::join!(
        list_issues(state, access, request, Utc::now()),
        assignee_options(state, access),
    );
    let IssueList {
        page: found,
        stats,
        viewers,
    } = match listed {
        Ok(listed) => listed,
        // Invalid input is shown in the page, beside the form that produced it.
        Err(ApiError::BadRequest(error)) => {
            let body = html! {
                h1 { (title) }
                (search_form(params, base))
                p.error id="search-error" role="alert" { (error) }
            };
            return Ok((StatusCode::BAD_REQUEST, page(title, &nav, body)).into_response());
        }
        Err(other) => return Err(other.into()),
    };
    let people = people?;
    let (period, stats) = stats.unwrap_or((StatsPeriod::Day, Default::default()));
    let now = Utc::now();
    let issues: Vec<(Value, Vec<i64>)> = found
        .rows
        .iter()
        .map(|row| {
            let json = issue_json(state, &access.org.slug, row, viewers.get(&row.id));
            let counts = stats
                .get(&row.id)
                .map(|buckets| buckets.iter().map(|(_, count)| *count).collect())
                .unwrap_or_default();
            (json, counts)
        })
        .collect();
    let current_tab = |status: &str| {
        let term = format!("is:{status}");
        params.query.split_whitespace().any(|t| t == term)
    };
    let here = params.with_cursor(base, &params.cursor);
    let can_write = access.has(faultline_domain::role::Scope::EventWrite);
    let body = html! {
        h1 { (title) }
        (search_form(params, base))
        nav.tabs aria-label="Status" {
            @for (label, status) in TABS {
                a.tab data-status=(status) href=(params.with_query(base, &format!("is:{status}")))
                    aria-current=[current_tab(status).then_some("page")] { (label) }
            }
        }
        form id="bulk" method="post" action=(format!("/organizations/{}/issues/bulk/", access.org.slug)) {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="back" value=(here);
            @if can_write {
                div.controls {
                    button type="submit" name="action" value="resolve" { "Resolve" }
                    button type="submit" name="action" value="unresolve" { "Unresolve" }
                    button type="submit" name="action" value="ignore" { "Ignore" }
                    button type="submit" name="action" value="merge" { "Merge" }
                    label for="bulk-assignee" { "Assign to" }
                    select id="bulk-assignee" name="assignee" { (people.options(None)) }
                    button type="submit" name="action" value="assign" { "Assign" }
                }
            }
            @if issues.is_empty() {
                p.muted id="no-issues" { "No issues match." }
            } @else {
                table {
                    thead { tr {
                        th { span.visually-hidden { "Select" } }
                        th { "Issue" }
                        th.hide-narrow { "Graph (" (period.key()) ")" }
                        th.num { "Events" }
                        th.num { "Users" }
                        th.hide-narrow { "Assignee" }
                    } }
                    tbody {
                        @for (issue, counts) in &issues {
                            (issue_row(&access.org.slug, issue, counts, period, now))
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if found.has_previous {
                a.button rel="prev" href=(params.with_cursor(base, &found.previous.to_string())) { "← Newer" }
            }
            @if found.has_next {
                a.button rel="next" href=(params.with_cursor(base, &found.next.to_string())) { "Older →" }
            }
        }
    };
    Ok(page(title, &nav, body).into_response())
}

fn search_form(params: &StreamParams, base: &str) -> Markup {
    html! {
        form.search id="search" method="get" action=(base) role="search" {
            label.visually-hidden for="query" { "Search" }
            input id="query" name="query" type="search" value=(params.query) placeholder="is:unresolved level:error";
            label.visually-hidden for="sort" { "Sort by" }
            select id="sort" name="sort" {
                @for (value, label) in SORTS {
                    option value=(value) selected[params.sort == value] { (label) }
                }
            }
            label.visually-hidden for="statsPeriod" { "Graph period" }
            select id="statsPeriod" name="statsPeriod" {
                option value="24h" selected[params.stats_period == "24h"] { "24 hours" }
                option value="14d" selected[params.stats_period == "14d"] { "14 days" }
            }
            @if !params.project.is_empty() {
                input type="hidden" name="project" value=(params.project);
            }
            button type="submit" { "Search" }
        }
    }
}

fn issue_row(
    org: &str,
    issue: &Value,
    counts: &[i64],
    period: StatsPeriod,
    now: chrono::DateTime<Utc>,
) -> Markup {
    let id = issue["id"].as_str().unwrap_or_default();
    let title = issue["title"].as_str().unwrap_or_default();
    let level = issue["level"].as_str().unwrap_or("error");
    let status = issue["status"].as_str().unwrap_or_default();
    let assignee = issue["assignedTo"]["name"].as_str();
    html! {
        tr.issue data-issue-id=(id) {
            td { input type="checkbox" name="issue" value=(id) aria-label=(format!("Select {title}")); }
            td {
                span class=(format!("level level-{level}")) title=(level) {}
                a.issue-title href=(format!("/organizations/{org}/issues/{id}/")) { (title) }
                @if status != "unresolved" { " " span class=(format!("status status-{status}")) { (status) } }
                div.culprit {
                    (issue["shortId"].as_str().unwrap_or_default()) " · "
                    (issue["culprit"].as_str().unwrap_or_default()) " · "
                    (ago(parse_time(&issue["lastSeen"]), now)) " · first "
                    (ago(parse_time(&issue["firstSeen"]), now))
                }
            }
            td.hide-narrow { (sparkline(counts, &format!("Events per bucket over {}", period.key()))) }
            td.num.count { (issue["count"].as_str().unwrap_or("0")) }
            td.num.users { (issue["userCount"].as_i64().unwrap_or(0)) }
            td.hide-narrow { (assignee.unwrap_or("—")) }
        }
    }
}

/// `POST /organizations/{org}/issues/bulk/`: one action on the checked issues,
/// through the same update rules as the API's bulk `PUT`.
pub async fn bulk(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    form: FormData,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form)?;
    let access = viewer.access(&state, &org).await?;
    access.require(&EVENT_WRITE)?;
    let ids: Vec<i64> = form
        .all("issue")
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(|id| id.parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| UiError::BadRequest("Invalid issue id.".to_owned()))?;
    let back = form
        .get("back")
        .filter(|b| is_local_path(b))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/organizations/{}/issues/", access.org.slug));
    if ids.is_empty() {
        return Ok(Redirect::to(&back).into_response());
    }
    if ids.len() > 100 {
        return Err(UiError::BadRequest(
            "At most 100 issues at once.".to_owned(),
        ));
    }
    let rows = queries::by_ids(&state.pool, access.org.id, None, &ids).await?;
    let metadata = access.caller.metadata();
    let body = match form.get("action") {
        Some("merge") if form.get("confirm") == Some("yes") => {
            merge(&state, &access, &rows, &metadata).await?;
            return Ok(Redirect::to(&back).into_response());
        }
        Some("merge") => {
            return Ok(confirm_merge(&viewer, &access.org.slug, &rows, &back).into_response())
        }
        Some("assign") => json!({ "assignedTo": form.get("assignee").unwrap_or("") }),
        Some(action) => status_body(action)?,
        None => return Err(UiError::BadRequest("No action chosen.".to_owned())),
    };
    let update = parse_update(&state, &access, &body).await?;
    for row in &rows {
        apply_update(&state, &access, row, &update, &metadata).await?;
    }
    Ok(Redirect::to(&back).into_response())
}

/// The API update body of a status button.
pub fn status_body(action: &str) -> Result<Value, UiError> {
    Ok(match action {
        "resolve" => json!({ "status": "resolved" }),
        "resolve_next_release" => {
            json!({ "status": "resolved", "statusDetails": { "inNextRelease": true } })
        }
        "unresolve" => json!({ "status": "unresolved" }),
        "ignore" => json!({ "status": "ignored" }),
        other => return Err(UiError::BadRequest(format!("Unknown action {other:?}."))),
    })
}

/// Asks before merging: a merge cannot be undone from the UI.
fn confirm_merge(
    viewer: &Viewer,
    org: &str,
    rows: &[faultline_projections::issues::queries::IssueRow],
    back: &str,
) -> axum::response::Html<String> {
    let nav = viewer.nav(org, "issues");
    page(
        "Merge issues",
        &nav,
        html! {
            h1 { "Merge these issues?" }
            p { "Their events move into the one with the most events; the others leave the lists." }
            ul {
                @for row in rows { li { (row.title) " " span.muted { "(" (row.times_seen) " events)" } } }
            }
            form method="post" action=(format!("/organizations/{org}/issues/bulk/")) {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="confirm" value="yes";
                input type="hidden" name="back" value=(back);
                @for row in rows { input type="hidden" name="issue" value=(row.id); }
                button.primary type="submit" id="confirm-merge" name="action" value="merge" { "Merge" }
                " "
                a href=(back) { "Cancel" }
            }
        },
    )
}
