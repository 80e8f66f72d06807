//! An issue as Sentry shows it in lists and in its detail, with its activity and tags.

use faultline_domain::issue::short_id;
use faultline_domain::monitor::FAILURE_ISSUE_TYPE;
use faultline_projections::issues::queries::{
    ActivityRow, IssueRow, TagKeyRow, TagValueRow, ViewerState,
};
use serde_json::{json, Value};

use crate::json::date;
use crate::render::user::user_json;
use crate::state::AppState;

/// Sentry's default priority for an issue of this level.
fn priority(level: &str) -> &'static str {
    match level {
        "fatal" | "error" => "high",
        "warning" => "medium",
        _ => "low",
    }
}

/// Sentry's `assignedTo`: `{type, id, name, email?}` or null.
fn assigned_to_json(row: &IssueRow, viewer: &ViewerState) -> Value {
    match (row.assignee_user_id, row.assignee_team_id) {
        (Some(user_id), _) => {
            let email = viewer.assignee_email.clone().unwrap_or_default();
            let name = viewer
                .assignee_name
                .clone()
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| email.clone());
            json!({"type": "user", "id": user_id.to_string(), "name": name, "email": email})
        }
        (None, Some(team_id)) => json!({
            "type": "team",
            "id": team_id.to_string(),
            "name": viewer.assignee_team_slug.clone().unwrap_or_default(),
        }),
        (None, None) => Value::Null,
    }
}

/// The issue as Sentry lists it, as `viewer` sees it. Fields about features Faultline
/// does not have (inbox, ownership, autofix) carry Sentry's answer for an issue
/// without them.
pub fn issue_json(
    state: &AppState,
    org_slug: &str,
    row: &IssueRow,
    viewer: Option<&ViewerState>,
) -> Value {
    let default_viewer = ViewerState::default();
    let viewer = viewer.unwrap_or(&default_viewer);
    let first_seen = date(row.first_seen);
    let last_seen = date(row.last_seen);
    let monitor_failure = row.issue_type == FAILURE_ISSUE_TYPE;
    let mut body = json!({
        "id": row.id.to_string(),
        "shareId": null,
        "shortId": short_id(&row.project_slug, row.short_number),
        "title": row.title,
        "culprit": row.culprit,
        "permalink": format!("{}/organizations/{org_slug}/issues/{}/", state.public_url, row.id),
        "logger": null,
        "level": row.level,
        "status": row.status,
        "statusDetails": row.status_details,
        "substatus": row.substatus,
        "isPublic": row.is_public,
        "platform": row.platform,
        "priority": priority(&row.level),
        "priorityLockedAt": null,
        "seerFixabilityScore": null,
        "seerAutofixLastTriggered": null,
        "seerExplorerAutofixLastTriggered": null,
        "project": {
            "id": row.project_id.to_string(),
            "name": row.project_name,
            "slug": row.project_slug,
            "platform": row.project_platform,
        },
        "type": if monitor_failure { "default" } else { row.issue_type.as_str() },
        "metadata": row.metadata,
        "numComments": row.num_comments,
        "assignedTo": assigned_to_json(row, viewer),
        "isBookmarked": viewer.is_bookmarked,
        "isSubscribed": viewer.is_subscribed,
        "subscriptionDetails": if viewer.is_subscribed { json!({"reason": "unknown"}) } else { Value::Null },
        "hasSeen": viewer.has_seen,
        "annotations": [],
        "issueType": if monitor_failure { FAILURE_ISSUE_TYPE } else { "error" },
        "issueCategory": if monitor_failure { "cron" } else { "error" },
        "isUnhandled": false,
        "count": row.times_seen.to_string(),
        "userCount": row.user_count,
        "firstSeen": first_seen,
        "lastSeen": last_seen,
    });
    // Fields of features Faultline does not have, as the document requires them.
    let absent = json!({
        "stats": {},
        "lifetime": {
            "count": row.times_seen.to_string(),
            "userCount": row.user_count,
            "firstSeen": first_seen,
            "lastSeen": last_seen,
            "stats": null,
        },
        "filtered": null,
        "sessionCount": 0,
        "inbox": {
            "reason": 0,
            "reason_details": null,
            "date_added": first_seen,
        },
        "owners": {
            "type": "",
            "owner": "",
            "date_added": first_seen,
        },
        "derivedData": {
            "blocker": "",
            "progress": "",
            "status": "",
            "viewCount": 0,
            "hasOpenFixPr": false,
            "isAssigned": row.assignee_user_id.is_some() || row.assignee_team_id.is_some(),
            "hasRootCause": false,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": null,
        },
        "integrationIssues": [],
        "sentryAppIssues": [],
        "latestEventHasAttachments": false,
        "matchingEventId": null,
        "matchingEventEnvironment": null,
    });
    if let (Some(body), Value::Object(absent)) = (body.as_object_mut(), absent) {
        body.extend(absent);
    }
    body
}

fn activity_json(row: &ActivityRow) -> Value {
    json!({
        "id": row.id.to_string(),
        "type": row.kind,
        "data": row.data,
        "user": user_json(row.user_id, row.user_email.as_deref(), row.user_name.as_deref()),
        "dateCreated": date(row.date_created),
    })
}

/// The issue detail: the list shape plus the detail-only fields.
pub fn issue_detail_json(
    state: &AppState,
    org_slug: &str,
    row: &IssueRow,
    viewer: Option<&ViewerState>,
    tags: &[TagKeyRow],
    activity: &[ActivityRow],
    releases: (Value, Value),
) -> Value {
    let mut body = issue_json(state, org_slug, row, viewer);
    // Sentry ends the feed with the issue's first event.
    let mut feed: Vec<Value> = activity.iter().map(activity_json).collect();
    feed.push(json!({
        "id": "0",
        "type": "first_seen",
        "data": {},
        "user": null,
        "dateCreated": date(row.first_seen),
    }));
    let extra = json!({
        "activity": feed,
        "seenBy": [],
        "participants": [],
        "pluginActions": [],
        "pluginIssues": [],
        "pluginContexts": [],
        "userReportCount": 0,
        "tags": tags.iter().map(tag_summary_json).collect::<Vec<_>>(),
        "firstRelease": releases.0,
        "lastRelease": releases.1,
        "stats": { "24h": [], "30d": [] },
        "inbox": null,
        "owners": null,
        "forecast": {},
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// Sentry's label of a tag key.
fn tag_name(key: &str) -> String {
    match key {
        "user" => "User",
        "release" => "Release",
        "environment" => "Environment",
        "level" => "Level",
        "url" => "URL",
        "server_name" => "Server",
        "transaction" => "Transaction",
        "browser.name" => "Browser Name",
        "os.name" => "OS Name",
        "runtime.name" => "Runtime Name",
        other => other,
    }
    .to_owned()
}

/// A value of a tag key, with its count.
pub fn tag_value_json(row: &TagValueRow) -> Value {
    json!({
        "key": row.key,
        "name": row.value,
        "value": row.value,
        "count": row.times_seen,
        "firstSeen": date(row.first_seen),
        "lastSeen": date(row.last_seen),
    })
}

/// A tag key with its top values.
pub fn tag_summary_json(row: &TagKeyRow) -> Value {
    json!({
        "key": row.key,
        "name": tag_name(&row.key),
        "totalValues": row.total_values,
        "uniqueValues": row.unique_values,
        "topValues": row.top_values.iter().map(tag_value_json).collect::<Vec<_>>(),
    })
}
