//! A project as Sentry shows it.

use std::collections::BTreeSet;

use faultline_domain::role::Scope;
use faultline_projections::accounts::queries::projects::ProjectRow;
use serde_json::{json, Value};

use crate::json::date;

/// A stable colour per project, as Sentry derives one from the slug.
fn color(slug: &str) -> String {
    const PALETTE: [&str; 8] = [
        "#3f70bf", "#bf3f70", "#70bf3f", "#bf8f3f", "#3fbfae", "#8f3fbf", "#bf5b3f", "#3f9cbf",
    ];
    let sum: usize = slug.bytes().map(usize::from).sum();
    PALETTE[sum % PALETTE.len()].to_owned()
}

fn scope_names(scopes: &BTreeSet<Scope>) -> Vec<&'static str> {
    scopes.iter().map(|s| s.as_str()).collect()
}

/// The project summary Sentry returns from creation and in lists.
pub fn project_json(row: &ProjectRow, scopes: &BTreeSet<Scope>) -> Value {
    let teams: Vec<Value> = row
        .team_ids
        .iter()
        .zip(&row.team_slugs)
        .zip(&row.team_names)
        .map(|((id, slug), name)| json!({ "id": id.to_string(), "slug": slug, "name": name }))
        .collect();
    let platforms: Vec<&str> = row.platform.as_deref().into_iter().collect();
    let mut body = json!({
        "id": row.id.to_string(),
        "slug": row.slug,
        "name": row.name,
        "platform": row.platform,
        "dateCreated": date(row.date_created),
        "isBookmarked": false,
        "isMember": row.is_member,
        "features": [],
        "firstEvent": null,
        "firstTransactionEvent": false,
        "access": scope_names(scopes),
        "hasAccess": true,
        "team": teams.first().cloned().unwrap_or(Value::Null),
        "teams": teams,
        "platforms": platforms,
        "environments": [],
        "latestRelease": null,
        "latestDeploys": null,
        "isInternal": false,
        "isPublic": false,
        "avatar": { "avatarType": "letter_avatar", "avatarUuid": null, "avatarUrl": null },
        "color": color(&row.slug),
        "status": "active",
    });
    // Data Faultline does not collect (yet): Sentry's answer for a project without it.
    let has_flags = [
        "hasFeedbacks",
        "hasFlags",
        "hasMinifiedStackTrace",
        "hasMonitors",
        "hasNewFeedbacks",
        "hasProfiles",
        "hasReplays",
        "hasSessions",
        "hasInsightsHttp",
        "hasInsightsDb",
        "hasInsightsAssets",
        "hasInsightsAppStart",
        "hasInsightsScreenLoad",
        "hasInsightsVitals",
        "hasInsightsCaches",
        "hasInsightsQueues",
        "hasInsightsAgentMonitoring",
        "hasInsightsMCP",
        "hasLogs",
        "hasTraceMetrics",
        "hasUserReports",
    ];
    for flag in has_flags {
        body[flag] = Value::Bool(false);
    }
    body
}
