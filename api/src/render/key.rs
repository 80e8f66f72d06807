//! A client key as Sentry shows it, with its DSNs.

use faultline_domain::dsn::{public_dsn, secret_dsn};
use faultline_projections::accounts::queries::keys::KeyRow;
use serde_json::{json, Value};

use crate::json::date;

/// The label of the key every new project starts with, as in Sentry (and of a key
/// created without a name).
pub const DEFAULT_KEY_LABEL: &str = "Default";

/// The URLs an SDK or integration uses with this key.
fn dsn_json(public_url: &str, key: &KeyRow) -> Value {
    let endpoint = public_url.trim_end_matches('/');
    let project = key.project_id;
    let public = &key.public_key;
    json!({
        "secret": secret_dsn(endpoint, public, &key.secret_key, project),
        "public": public_dsn(endpoint, public, project),
        "csp": format!("{endpoint}/api/{project}/csp-report/?sentry_key={public}"),
        "security": format!("{endpoint}/api/{project}/security/?sentry_key={public}"),
        "minidump": format!("{endpoint}/api/{project}/minidump/?sentry_key={public}"),
        "nel": format!("{endpoint}/api/{project}/nel/?sentry_key={public}"),
        "unreal": format!("{endpoint}/api/{project}/unreal/{public}/"),
        "crons": format!("{endpoint}/api/{project}/cron/___MONITOR_SLUG___/{public}/"),
        "cdn": format!("{endpoint}/js-sdk-loader/{public}.min.js"),
        "playstation": format!("{endpoint}/api/{project}/playstation/?sentry_key={public}"),
        "integration": format!("{endpoint}/api/{project}/integration/"),
        "otlp_traces": format!("{endpoint}/api/{project}/integration/otlp/v1/traces"),
        "otlp_logs": format!("{endpoint}/api/{project}/integration/otlp/v1/logs"),
    })
}

/// A client key as Sentry shows it.
pub fn key_json(public_url: &str, key: &KeyRow) -> Value {
    let rate_limit = match (key.rate_limit_window, key.rate_limit_count) {
        (Some(window), Some(count)) => json!({ "window": window, "count": count }),
        _ => Value::Null,
    };
    json!({
        "id": key.public_key,
        "name": key.label,
        "label": key.label,
        "public": key.public_key,
        "secret": key.secret_key,
        "projectId": key.project_id,
        "isActive": key.is_active,
        "rateLimit": rate_limit,
        "dsn": dsn_json(public_url, key),
        "browserSdkVersion": "latest",
        "browserSdk": { "choices": [["latest", "latest"]] },
        "dateCreated": date(key.date_created),
        "dynamicSdkLoaderOptions": {
            "hasReplay": true,
            "hasPerformance": true,
            "hasDebug": false,
            "hasFeedback": false,
            "hasLogsAndMetrics": false,
        },
        "useCase": "user",
    })
}
