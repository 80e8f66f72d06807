//! Event normalization: a raw SDK payload becomes a [`NormalizedEvent`], as Relay's
//! light normalization does. Lenient: invalid fields are dropped or defaulted, and only
//! a payload that is not a JSON object (or has no usable event id) is refused.
//!
//! Payloads are sonic-rs values: parsed into one arena, they cost a fifth of a
//! serde_json tree to build and almost nothing to drop. Subtrees are moved, never
//! copied: cloning a parsed node only references the arena. Changing a parsed object or
//! list copies its entries (shallowly) into a map or vector, so cleaning reads first and
//! writes only what differs; an SDK's exceptions, frames and breadcrumbs usually stay as
//! parsed.
//!
//! Two things differ from the serde_json maps this code was written against, and the
//! helpers at the end of this module keep the old results: a parsed object keeps
//! repeated keys (serde_json, and so every reader of a stored body, keeps the last one)
//! and its keys in document order (serde_json's were sorted, which decides the order of
//! tags from an object and which context of a type is found first).

mod exception;
mod fields;
mod message;
mod tags;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use sonic_rs::{
    Array, FastStr, JsonContainerTrait, JsonValueMutTrait, JsonValueTrait, Object, Value,
};
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
    /// The cleaned `user` object (the same value as `data.user`).
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
    /// The full normalized event JSON, always an object. Times are float Unix seconds;
    /// `message` lives in `logentry {formatted, message, params}`; `exception` and
    /// `breadcrumbs` are `{values: [...]}`; `tags` are pairs; `server_name` is a tag.
    /// Key order is not meaningful, and an object the client sent that needed no
    /// cleaning may still repeat a key (read it back with serde_json, which keeps the last).
    pub data: Value,
}

/// Normalizes a raw event payload (as parsed by sonic-rs). See the module docs for what
/// is accepted.
pub fn normalize(raw: Value, ctx: &NormalizeContext) -> Result<NormalizedEvent, NormalizeError> {
    let Some(mut data) = raw.into_object() else {
        return Err(NormalizeError::NotAnObject);
    };
    move_legacy_aliases(&mut data);
    let event_id = ctx
        .event_id
        .as_deref()
        .and_then(normalize_event_id)
        .or_else(|| event_id_of(&data))
        .ok_or(NormalizeError::MissingEventId)?;
    let timestamp = fields::timestamp(data.get(&"timestamp"), ctx.received);
    let level = fields::level(data.get(&"level"));
    let platform = fields::platform(data.get(&"platform"), ctx.platform_hint.as_deref());
    let logger = fields::logger(data.get(&"logger"));
    let release = fields::release(data.get(&"release"));
    let dist = fields::dist(data.get(&"dist"));
    let mut client_tags = tags::client_tags(data.get(&"tags"));
    let environment = environment(&data, &mut client_tags);
    let message = message::normalize_message(&mut data);
    let exceptions = exception::normalize_exceptions(&mut data);
    let request_url = clean_request(&mut data);
    let remote_addr = remote_addr(&data);
    let user = tags::normalize_user(
        data.remove(&"user"),
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
        ("server_name", text(data.remove(&"server_name").as_ref())),
        ("site", text(data.remove(&"site").as_ref())),
        ("user", user_key.clone()),
        ("url", request_url.clone()),
        ("os.name", tags::context_name(data.get(&"contexts"), "os")),
        (
            "browser.name",
            tags::context_name(data.get(&"contexts"), "browser"),
        ),
        (
            "runtime.name",
            tags::context_name(data.get(&"contexts"), "runtime"),
        ),
    ];
    tags::add_derived(&mut client_tags, derived);
    let fingerprint = fingerprint(data.get(&"fingerprint"));
    let transaction = text(data.get(&"transaction"));
    let culprit = text(data.get(&"culprit")).map(|c| truncate_chars(&c, 200));
    let event_type = if exceptions.is_empty() {
        "default"
    } else {
        "error"
    }
    .to_string();

    clean_breadcrumbs(&mut data);
    clean_sdk(&mut data, ctx.sdk_name_version.as_deref());
    let extra = match data.remove(&"extra") {
        Some(extra) if extra.is_object() => extra,
        _ => Object::new().into_value(),
    };
    data.insert("event_id", event_id.as_str());
    data.insert("timestamp", fields::unix_seconds(timestamp));
    data.insert("received", fields::unix_seconds(ctx.received));
    data.insert("level", level.as_str());
    data.insert("platform", platform.as_str());
    data.insert("logger", logger.as_str());
    data.insert("environment", environment.as_str());
    data.insert("type", event_type.as_str());
    data.insert("tags", tags::tags_json(&client_tags));
    data.insert("extra", extra);
    set_optional(&mut data, "release", release.as_deref().map(Value::from));
    set_optional(&mut data, "dist", dist.as_deref().map(Value::from));
    // A clone of a modified object shares its map, so `user` costs no copy.
    set_optional(&mut data, "user", user.clone());
    set_optional(
        &mut data,
        "fingerprint",
        fingerprint
            .as_ref()
            .map(|parts| parts.iter().map(String::as_str).collect()),
    );
    set_optional(
        &mut data,
        "transaction",
        transaction.as_deref().map(Value::from),
    );
    set_optional(&mut data, "culprit", culprit.as_deref().map(Value::from));

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
        data: data.into_value(),
    })
}

/// The payload's own event id, normalized: its last `event_id` key (as serde_json read
/// a repeated key), for a caller that must choose an id before [`normalize`].
pub fn payload_event_id(raw: &Value) -> Option<String> {
    event_id_of(raw.as_object()?)
}

fn event_id_of(data: &Object) -> Option<String> {
    field(data, "event_id")?
        .as_str()
        .and_then(normalize_event_id)
}

/// `sentry.interfaces.Exception` → `exception`, `sentry.interfaces.Message` → `logentry`,
/// and the other legacy interface names, unless the modern key is already there.
///
/// Also the first change to the payload object, which turns sonic-rs's parsed key/value
/// list into a map that keeps the last of a repeated key: from here on `data.get` reads
/// each top-level key as serde_json did.
fn move_legacy_aliases(data: &mut Object) {
    const ALIASES: &[(&str, &str)] = &[
        ("sentry.interfaces.Exception", "exception"),
        ("sentry.interfaces.Message", "logentry"),
        ("sentry.interfaces.Stacktrace", "stacktrace"),
        ("sentry.interfaces.User", "user"),
        ("sentry.interfaces.Http", "request"),
        ("sentry.interfaces.Breadcrumbs", "breadcrumbs"),
    ];
    for (legacy, modern) in ALIASES {
        if let Some(value) = data.remove(legacy) {
            data.entry(modern).or_insert(value);
        }
    }
}

/// The `environment` field, else a client `environment` tag (which is then removed),
/// else `production`.
fn environment(data: &Object, client_tags: &mut Vec<(String, String)>) -> String {
    let from_tag = client_tags
        .iter()
        .find(|(k, _)| k == "environment")
        .map(|(_, v)| v.clone());
    client_tags.retain(|(k, _)| k != "environment");
    fields::environment(data.get(&"environment").and_then(Value::as_str))
        .or_else(|| fields::environment(from_tag.as_deref()))
        .unwrap_or_else(|| "production".to_string())
}

/// Drops a `request` that is not an object; returns `request.url`.
fn clean_request(data: &mut Object) -> Option<String> {
    if !data.get(&"request").is_some_and(Value::is_object) {
        data.remove(&"request");
        return None;
    }
    data.get(&"request")
        .and_then(|r| child(r, "url"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
}

fn remote_addr(data: &Object) -> Option<String> {
    let env = child(data.get(&"request")?, "env")?;
    child(env, "REMOTE_ADDR")?
        .as_str()
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
}

/// Drops `contexts` that is not an object, and `contexts.reprocessing`.
fn clean_contexts(data: &mut Object) {
    let Some(contexts) = data.get(&"contexts") else {
        return;
    };
    let Some(contexts) = contexts.as_object() else {
        data.remove(&"contexts");
        return;
    };
    // Changing a parsed object copies it into a map: only when there is something to drop.
    if field(contexts, "reprocessing").is_some() {
        if let Some(contexts) = data
            .get_mut(&"contexts")
            .and_then(JsonValueMutTrait::as_object_mut)
        {
            contexts.remove(&"reprocessing");
        }
    }
}

/// `{values: [...]}` or a bare list → `{values: [...]}` of objects with a default
/// `type` (`default`) and `level` (`info`); nothing left → removed.
fn clean_breadcrumbs(data: &mut Object) {
    let crumbs = match data.remove(&"breadcrumbs") {
        Some(obj) if obj.is_object() => into_field(obj, "values"),
        Some(list) if list.is_array() => Some(list),
        _ => None,
    };
    let Some(crumbs) = crumbs.filter(Value::is_array) else {
        return;
    };
    let complete = |crumb: &Value| {
        crumb.as_object().is_some_and(|crumb| {
            let (mut has_type, mut has_level) = (false, false);
            for (key, _) in crumb.iter() {
                has_type |= key == "type";
                has_level |= key == "level";
            }
            has_type && has_level
        })
    };
    // Changing a parsed list or object copies it: SDKs' crumbs are kept as they are.
    let crumbs = if crumbs
        .as_array()
        .is_some_and(|list| list.iter().all(complete))
    {
        crumbs
    } else {
        let list = crumbs.into_array().unwrap_or_default();
        let list: Array = list
            .into_iter()
            .filter_map(Value::into_object)
            .map(|mut crumb| {
                if field(&crumb, "type").is_none() {
                    crumb.insert("type", "default");
                }
                if field(&crumb, "level").is_none() {
                    crumb.insert("level", "info");
                }
                crumb.into_value()
            })
            .collect();
        list.into_value()
    };
    if crumbs.as_array().is_some_and(|list| !list.is_empty()) {
        let mut breadcrumbs = Object::new();
        breadcrumbs.insert("values", crumbs);
        data.insert("breadcrumbs", breadcrumbs);
    }
}

/// Keeps an `sdk` object; without one, derives `{name, version}` from `sentry_client`.
fn clean_sdk(data: &mut Object, sdk_name_version: Option<&str>) {
    if data.get(&"sdk").is_some_and(Value::is_object) {
        return;
    }
    data.remove(&"sdk");
    let derived = sdk_name_version.and_then(|s| s.split_once('/'));
    if let Some((name, version)) = derived.filter(|(n, v)| !n.is_empty() && !v.is_empty()) {
        let mut sdk = Object::new();
        sdk.insert("name", name);
        sdk.insert("version", version);
        data.insert("sdk", sdk);
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

fn text(value: Option<&Value>) -> Option<String> {
    value?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn set_optional(data: &mut Object, key: &str, value: Option<Value>) {
    match value {
        Some(value) => data.insert(key, value),
        None => data.remove(&key),
    };
}

/// `obj[key]`; of a repeated key the last, as serde_json reads it. (`Object::get` finds
/// the first in a parsed object.) Scans the object: for the small objects of an event,
/// cheaper than copying them into a map.
pub(crate) fn field<'a>(obj: &'a Object, key: &str) -> Option<&'a Value> {
    obj.iter()
        .filter(|(k, _)| *k == key)
        .last()
        .map(|(_, value)| value)
}

/// [`field`] of a value that may not be an object.
pub(crate) fn child<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    field(value.as_object()?, key)
}

/// `value[key]`, moved out of an object that is dropped. Removing the key would first
/// copy a parsed object into a map; a clone of a parsed child only references the arena.
pub(crate) fn into_field(value: Value, key: &str) -> Option<Value> {
    child(&value, key).cloned()
}

/// The entries of `obj` as a serde_json map held them: sorted by key, and of a repeated
/// key only the last. For the places where their order shows.
pub(crate) fn sorted_entries(obj: &Object) -> Vec<(&str, &Value)> {
    let mut entries: Vec<(&str, &Value)> = obj.iter().collect();
    // Stable, so the entries of a repeated key stay in document order.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.dedup_by(|later, kept| {
        let repeated = later.0 == kept.0;
        if repeated {
            kept.1 = later.1;
        }
        repeated
    });
    entries
}

/// A string value that takes over `text`'s buffer rather than copying it (short text is
/// stored inline).
pub(crate) fn string_value(text: String) -> Value {
    Value::from(FastStr::from(text))
}
