//! Tags (client and derived) and the user interface.

use serde_json::{Map, Value};

use super::exception::scalar_string;
use crate::event::truncate_chars;

/// Tag keys a client may not set: Sentry derives them or refuses them.
const RESERVED_TAG_KEYS: &[&str] = &["release", "dist", "user", "filename", "function"];
/// Relay's limit for tag keys and values.
const TAG_MAX: usize = 200;
/// Relay's limit for `user.email`.
const EMAIL_MAX: usize = 75;
/// Platforms whose events get the client IP as `user.ip_address` by default.
const IP_BACKFILL_PLATFORMS: &[&str] = &["javascript", "cocoa", "objc"];

/// Client tags from an object or a list of pairs: reserved keys, empty keys or values,
/// values with newlines and duplicates (first wins) are dropped; keys and values are cut
/// to 200 characters.
pub(crate) fn client_tags(value: Option<&Value>) -> Vec<(String, String)> {
    let raw: Vec<(String, Option<String>)> = match value {
        Some(Value::Object(obj)) => obj
            .iter()
            .map(|(k, v)| (k.clone(), scalar_string(Some(v))))
            .collect(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|pair| match pair.as_array()?.as_slice() {
                [k, v] => Some((k.as_str()?.to_string(), scalar_string(Some(v)))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for (key, value) in raw {
        let key = truncate_chars(key.trim(), TAG_MAX);
        let Some(value) = value.map(|v| truncate_chars(v.trim(), TAG_MAX)) else {
            continue;
        };
        let invalid =
            key.is_empty() || value.is_empty() || key.contains('\n') || value.contains('\n');
        let reserved = RESERVED_TAG_KEYS.contains(&key.as_str());
        if invalid || reserved || tags.iter().any(|(k, _)| *k == key) {
            continue;
        }
        tags.push((key, value));
    }
    tags
}

/// Sets each derived tag that has a value, replacing a client tag of the same key.
pub(crate) fn add_derived(tags: &mut Vec<(String, String)>, derived: Vec<(&str, Option<String>)>) {
    for (key, value) in derived {
        let Some(value) = value.map(|v| truncate_chars(v.trim(), TAG_MAX)) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        tags.retain(|(k, _)| k != key);
        tags.push((key.to_string(), value));
    }
}

/// Tags as JSON pairs `[[key, value], ...]`.
pub(crate) fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| Value::Array(vec![Value::from(k.as_str()), Value::from(v.as_str())]))
            .collect(),
    )
}

/// `contexts.{kind}.name` (or the context whose `type` is `kind`).
pub(crate) fn context_name(contexts: Option<&Value>, kind: &str) -> Option<String> {
    let contexts = contexts?.as_object()?;
    let context = contexts.get(kind).or_else(|| {
        contexts
            .values()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    })?;
    scalar_string(context.get("name"))
}

/// Cleans `user`: ids as strings, `{{auto}}` and missing IPs filled from the request or
/// client IP, email cut to 75, unknown keys moved into `data`. Empty → `None`.
pub(crate) fn normalize_user(
    user: Option<Value>,
    remote_addr: Option<String>,
    client_ip: Option<&str>,
    platform: &str,
) -> Option<Value> {
    let mut user = match user {
        Some(Value::Object(obj)) => obj,
        _ => Map::new(),
    };
    user.retain(|_, v| !v.is_null());
    move_unknown_keys_into_data(&mut user);
    for key in ["id", "username"] {
        match scalar_string(user.get(key)).filter(|s| !s.is_empty()) {
            Some(text) => user.insert(key.into(), Value::String(text)),
            None => user.remove(key),
        };
    }
    match user.get("email").and_then(Value::as_str).map(str::trim) {
        Some(email) if !email.is_empty() => {
            let email = truncate_chars(email, EMAIL_MAX);
            user.insert("email".into(), Value::String(email));
        }
        _ => {
            user.remove("email");
        }
    }
    let ip = match user.get("ip_address").and_then(Value::as_str) {
        Some("{{auto}}") => client_ip.map(str::to_string),
        Some(ip) if !ip.is_empty() => Some(ip.to_string()),
        _ => remote_addr.or_else(|| {
            let backfill = IP_BACKFILL_PLATFORMS.contains(&platform);
            client_ip.filter(|_| backfill).map(str::to_string)
        }),
    };
    match ip {
        Some(ip) => user.insert("ip_address".into(), Value::String(ip)),
        None => user.remove("ip_address"),
    };
    (!user.is_empty()).then_some(Value::Object(user))
}

fn move_unknown_keys_into_data(user: &mut Map<String, Value>) {
    const KNOWN: &[&str] = &[
        "id",
        "email",
        "ip_address",
        "username",
        "name",
        "geo",
        "data",
        "segment",
        "sentry_user",
    ];
    let unknown: Vec<String> = user
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    if unknown.is_empty() {
        return;
    }
    let mut data = match user.remove("data") {
        Some(Value::Object(data)) => data,
        _ => Map::new(),
    };
    for key in unknown {
        if let Some(value) = user.remove(&key) {
            data.insert(key, value);
        }
    }
    user.insert("data".into(), Value::Object(data));
}

/// The value counted for `userCount`: `id:`, `email:`, `username:` or `ip:`, first present.
pub(crate) fn user_key(user: Option<&Value>) -> Option<String> {
    let user = user?;
    [
        ("id", "id"),
        ("email", "email"),
        ("username", "username"),
        ("ip_address", "ip"),
    ]
    .iter()
    .find_map(|(field, prefix)| {
        let value = user.get(*field)?.as_str()?;
        Some(format!("{prefix}:{value}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_as_an_object_or_as_pairs_read_the_same() {
        let from_object = client_tags(Some(&json!({"region": "eu", "tier": 2})));
        let from_pairs = client_tags(Some(&json!([["region", "eu"], ["tier", 2]])));

        let expected = vec![("region".into(), "eu".into()), ("tier".into(), "2".into())];
        assert_eq!(from_object, expected);
        assert_eq!(from_pairs, expected);
    }

    #[test]
    fn reserved_empty_duplicate_and_multiline_tags_are_dropped() {
        let tags = client_tags(Some(&json!([
            ["release", "1.0"],
            ["user", "x"],
            ["", "v"],
            ["k", ""],
            ["k", "first"],
            ["k", "second"],
            ["multi", "a\nb"],
            ["bad"],
            ["n", null]
        ])));

        assert_eq!(tags, vec![("k".to_string(), "first".to_string())]);
    }

    #[test]
    fn long_tag_keys_and_values_are_cut_to_200_characters() {
        let tags = client_tags(Some(&json!({ "k".repeat(250): "v".repeat(250) })));

        assert_eq!(tags[0].0.chars().count(), 200);
        assert_eq!(tags[0].1.chars().count(), 200);
    }

    #[test]
    fn an_auto_ip_is_replaced_by_the_client_ip_and_unknown_user_keys_move_into_data() {
        let user = normalize_user(
            Some(json!({"id": 7, "ip_address": "{{auto}}", "plan": "gold"})),
            None,
            Some("198.51.100.4"),
            "python",
        );

        assert_eq!(
            user,
            Some(json!({"id": "7", "ip_address": "198.51.100.4", "data": {"plan": "gold"}}))
        );
    }

    #[test]
    fn javascript_events_without_a_user_get_the_client_ip() {
        let js = normalize_user(None, None, Some("198.51.100.4"), "javascript");
        let py = normalize_user(None, None, Some("198.51.100.4"), "python");

        assert_eq!(js, Some(json!({"ip_address": "198.51.100.4"})));
        assert_eq!(py, None);
    }

    #[test]
    fn the_user_key_prefers_id_then_email_then_username_then_ip() {
        let full = json!({"id": "1", "email": "a@b.c", "ip_address": "10.0.0.1"});
        let ip_only = json!({"ip_address": "10.0.0.1"});

        assert_eq!(user_key(Some(&full)).as_deref(), Some("id:1"));
        assert_eq!(user_key(Some(&ip_only)).as_deref(), Some("ip:10.0.0.1"));
        assert_eq!(user_key(None), None);
    }
}
