//! Event normalization: a raw SDK payload becomes a [`NormalizedEvent`], as Relay's
//! light normalization does. Lenient: invalid fields are dropped or defaulted, and only
//! a payload that is not a JSON object (or has no usable event id) is refused.

mod exception;
mod fields;
mod message;
mod tags;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use thiserror::Error;

pub(crate) use exception::frames_of;
pub use exception::{Exception, Frame};

use super::{normalize_event_id, truncate_chars};

/// What the ingest endpoint knows about an event besides its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizeContext {
    /// When the event arrived (the time fallback and the `received` field).
    pub received: DateTime<Utc>,
    /// The client's IP, for `{{auto}}` and IP backfill.
    pub client_ip: Option<String>,
    /// The envelope's `event_id` header; wins over the payload's. The caller generates
    /// one (uuid4) when neither the envelope nor the payload carries a valid id.
    pub event_id: Option<String>,
    /// `name/version` from the auth header's `sentry_client`, e.g. `sentry.python/2.0.0`;
    /// used for `sdk` when the payload has none.
    pub sdk_name_version: Option<String>,
    /// A platform to use when the payload's is missing or invalid.
    pub platform_hint: Option<String>,
}

/// Why a payload could not be normalized.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NormalizeError {
    /// The payload is valid JSON but not an object.
    #[error("event payload is not a JSON object")]
    NotAnObject,
    /// Neither the context nor the payload has a valid (32 hex or UUID) event id.
    #[error("event has no valid event_id")]
    MissingEventId,
}

/// A normalized error or default event: the typed fields the rest of Faultline reads,
/// plus the complete normalized JSON in [`NormalizedEvent::data`].
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    /// 32 lowercase hex digits.
    pub event_id: String,
    /// When the event happened, clamped to `[received - 30 days, received + 60 s]`.
    pub timestamp: DateTime<Utc>,
    /// When the event arrived.
    pub received: DateTime<Utc>,
    /// `fatal`, `error`, `warning`, `info` or `debug`.
    pub level: String,
    /// A valid Sentry platform, `other` by default.
    pub platform: String,
    /// The logger name (≤ 64 characters), `""` by default.
    pub logger: String,
    /// The release, if valid.
    pub release: Option<String>,
    /// The distribution (≤ 64 characters).
    pub dist: Option<String>,
    /// The environment, `production` by default.
    pub environment: String,
    /// The formatted message (≤ 8192 characters).
    pub message: Option<String>,
    /// The exception chain, oldest first: the last one is the main exception.
    pub exceptions: Vec<Exception>,
    /// Client tags plus the derived ones (`level`, `environment`, `release`,
    /// `server_name`, `user`, `url`, `os.name`, `browser.name`, `runtime.name`).
    pub tags: Vec<(String, String)>,
    /// The cleaned `user` object.
    pub user: Option<Value>,
    /// The `user` tag value (`id:…`, `email:…`, `username:…` or `ip:…`), for `userCount`.
    pub user_key: Option<String>,
    /// The client fingerprint, if any.
    pub fingerprint: Option<Vec<String>>,
    /// The transaction (route) name.
    pub transaction: Option<String>,
    /// The culprit the client sent (≤ 200 characters); the issue culprit is derived in
    /// [`crate::event::summarize`].
    pub culprit: Option<String>,
    /// `request.url`.
    pub request_url: Option<String>,
    /// `error` when there are exceptions, else `default`.
    pub event_type: String,
    /// The full normalized event JSON. Times are float Unix seconds; `message` lives in
    /// `logentry {formatted, message, params}`; `exception` and `breadcrumbs` are
    /// `{values: [...]}`; `tags` are pairs; `server_name` is a tag.
    pub data: Value,
}

/// Normalizes a raw event payload. See the module docs for what is accepted.
pub fn normalize(raw: Value, ctx: &NormalizeContext) -> Result<NormalizedEvent, NormalizeError> {
    let Value::Object(mut data) = raw else {
        return Err(NormalizeError::NotAnObject);
    };
    move_legacy_aliases(&mut data);
    let event_id = ctx
        .event_id
        .as_deref()
        .and_then(normalize_event_id)
        .or_else(|| {
            data.get("event_id")
                .and_then(Value::as_str)
                .and_then(normalize_event_id)
        })
        .ok_or(NormalizeError::MissingEventId)?;
    let timestamp = fields::timestamp(data.get("timestamp"), ctx.received);
    let level = fields::level(data.get("level"));
    let platform = fields::platform(data.get("platform"), ctx.platform_hint.as_deref());
    let logger = fields::logger(data.get("logger"));
    let release = fields::release(data.get("release"));
    let dist = fields::dist(data.get("dist"));
    let mut client_tags = tags::client_tags(data.get("tags"));
    let environment = environment(&data, &mut client_tags);
    let message = message::normalize_message(&mut data);
    let exceptions = exception::normalize_exceptions(&mut data);
    let request_url = clean_request(&mut data);
    let remote_addr = remote_addr(&data);
    let user = tags::normalize_user(
        data.remove("user"),
        remote_addr,
        ctx.client_ip.as_deref(),
        &platform,
    );
    let user_key = tags::user_key(user.as_ref());
    clean_contexts(&mut data);
    let derived = vec![
        ("level", Some(level.clone())),
        ("environment", Some(environment.clone())),
        ("release", release.clone()),
        ("server_name", text(data.remove("server_name"))),
        ("site", text(data.remove("site"))),
        ("user", user_key.clone()),
        ("url", request_url.clone()),
        ("os.name", tags::context_name(data.get("contexts"), "os")),
        (
            "browser.name",
            tags::context_name(data.get("contexts"), "browser"),
        ),
        (
            "runtime.name",
            tags::context_name(data.get("contexts"), "runtime"),
        ),
    ];
    tags::add_derived(&mut client_tags, derived);
    let fingerprint = fingerprint(data.get("fingerprint"));
    let transaction = text(data.get("transaction").cloned());
    let culprit = text(data.get("culprit").cloned()).map(|c| truncate_chars(&c, 200));
    let event_type = if exceptions.is_empty() {
        "default"
    } else {
        "error"
    }
    .to_string();

    clean_breadcrumbs(&mut data);
    clean_sdk(&mut data, ctx.sdk_name_version.as_deref());
    let extra = match data.remove("extra") {
        Some(Value::Object(extra)) => extra,
        _ => Map::new(),
    };
    let mut set = |key: &str, value: Value| {
        data.insert(key.to_string(), value);
    };
    set("event_id", json!(event_id));
    set("timestamp", fields::unix_seconds(timestamp));
    set("received", fields::unix_seconds(ctx.received));
    set("level", json!(level));
    set("platform", json!(platform));
    set("logger", json!(logger));
    set("environment", json!(environment));
    set("type", json!(event_type));
    set("tags", tags::tags_json(&client_tags));
    set("extra", Value::Object(extra));
    set_optional(&mut data, "release", release.clone().map(Value::from));
    set_optional(&mut data, "dist", dist.clone().map(Value::from));
    set_optional(&mut data, "user", user.clone());
    set_optional(
        &mut data,
        "fingerprint",
        fingerprint.clone().map(Value::from),
    );
    set_optional(
        &mut data,
        "transaction",
        transaction.clone().map(Value::from),
    );
    set_optional(&mut data, "culprit", culprit.clone().map(Value::from));

    Ok(NormalizedEvent {
        event_id,
        timestamp,
        received: ctx.received,
        level,
        platform,
        logger,
        release,
        dist,
        environment,
        message,
        exceptions,
        tags: client_tags,
        user,
        user_key,
        fingerprint,
        transaction,
        culprit,
        request_url,
        event_type,
        data: Value::Object(data),
    })
}

/// `sentry.interfaces.Exception` → `exception`, `sentry.interfaces.Message` → `logentry`,
/// and the other legacy interface names, unless the modern key is already there.
fn move_legacy_aliases(data: &mut Map<String, Value>) {
    const ALIASES: &[(&str, &str)] = &[
        ("sentry.interfaces.Exception", "exception"),
        ("sentry.interfaces.Message", "logentry"),
        ("sentry.interfaces.Stacktrace", "stacktrace"),
        ("sentry.interfaces.User", "user"),
        ("sentry.interfaces.Http", "request"),
        ("sentry.interfaces.Breadcrumbs", "breadcrumbs"),
    ];
    for (legacy, modern) in ALIASES {
        if let Some(value) = data.remove(*legacy) {
            data.entry(modern.to_string()).or_insert(value);
        }
    }
}

/// The `environment` field, else a client `environment` tag (which is then removed),
/// else `production`.
fn environment(data: &Map<String, Value>, client_tags: &mut Vec<(String, String)>) -> String {
    let from_tag = client_tags
        .iter()
        .find(|(k, _)| k == "environment")
        .map(|(_, v)| v.clone());
    client_tags.retain(|(k, _)| k != "environment");
    fields::environment(data.get("environment").and_then(Value::as_str))
        .or_else(|| fields::environment(from_tag.as_deref()))
        .unwrap_or_else(|| "production".to_string())
}

/// Drops a `request` that is not an object; returns `request.url`.
fn clean_request(data: &mut Map<String, Value>) -> Option<String> {
    if !data.get("request").is_some_and(Value::is_object) {
        data.remove("request");
        return None;
    }
    data.get("request")
        .and_then(|r| r.get("url"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
}

fn remote_addr(data: &Map<String, Value>) -> Option<String> {
    data.get("request")?
        .get("env")?
        .get("REMOTE_ADDR")?
        .as_str()
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
}

/// Drops `contexts` that is not an object, and `contexts.reprocessing`.
fn clean_contexts(data: &mut Map<String, Value>) {
    match data.get_mut("contexts") {
        Some(Value::Object(contexts)) => {
            contexts.remove("reprocessing");
        }
        Some(_) => {
            data.remove("contexts");
        }
        None => {}
    }
}

/// `{values: [...]}` or a bare list → `{values: [...]}` of objects with a default
/// `type` (`default`) and `level` (`info`); nothing left → removed.
fn clean_breadcrumbs(data: &mut Map<String, Value>) {
    let crumbs = match data.remove("breadcrumbs") {
        Some(Value::Object(mut obj)) => obj.remove("values"),
        Some(list @ Value::Array(_)) => Some(list),
        _ => None,
    };
    let Some(Value::Array(crumbs)) = crumbs else {
        return;
    };
    let crumbs: Vec<Value> = crumbs
        .into_iter()
        .filter_map(|crumb| match crumb {
            Value::Object(mut crumb) => {
                crumb.entry("type").or_insert_with(|| json!("default"));
                crumb.entry("level").or_insert_with(|| json!("info"));
                Some(Value::Object(crumb))
            }
            _ => None,
        })
        .collect();
    if !crumbs.is_empty() {
        data.insert("breadcrumbs".into(), json!({ "values": crumbs }));
    }
}

/// Keeps an `sdk` object; without one, derives `{name, version}` from `sentry_client`.
fn clean_sdk(data: &mut Map<String, Value>, sdk_name_version: Option<&str>) {
    if data.get("sdk").is_some_and(Value::is_object) {
        return;
    }
    data.remove("sdk");
    let derived = sdk_name_version.and_then(|s| s.split_once('/'));
    if let Some((name, version)) = derived.filter(|(n, v)| !n.is_empty() && !v.is_empty()) {
        data.insert("sdk".into(), json!({"name": name, "version": version}));
    }
}

/// The fingerprint as strings (numbers and booleans converted, others dropped); empty → `None`.
fn fingerprint(value: Option<&Value>) -> Option<Vec<String>> {
    let parts: Vec<String> = value?
        .as_array()?
        .iter()
        .filter_map(|part| exception::scalar_string(Some(part)))
        .collect();
    (!parts.is_empty()).then_some(parts)
}

fn text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn set_optional(data: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(value) => data.insert(key.to_string(), value),
        None => data.remove(key),
    };
}
