//! Tags (client and derived) and the user interface.

use std::borrow::Cow;
use std::collections::HashSet;

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Object, Value, ValueRef};

use super::exception::scalar_string;
use super::{child, field, sorted_entries, string_value};
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
/// to 200 characters. An object's tags come in key order, the last of a repeated key
/// winning, as when events were parsed into serde_json maps.
pub(crate) fn client_tags(value: Option<&Value>) -> Vec<(String, String)> {
    let raw: Vec<(&str, Option<Cow<'_, str>>)> = match value.map(Value::as_ref) {
        Some(ValueRef::Object(obj)) => sorted_entries(obj)
            .into_iter()
            .map(|(k, v)| (k, scalar_text(v)))
            .collect(),
        Some(ValueRef::Array(pairs)) => pairs
            .iter()
            .filter_map(|pair| match pair.as_array()?.as_slice() {
                [k, v] => Some((k.as_str()?, scalar_text(v))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    // A set of the keys taken once there are many: the scan below is quadratic, and an
    // event of 40,000 tags (536 KB, under the size limit) took 3.4 s of CPU with it.
    let mut taken: Option<HashSet<String>> = (raw.len() > 32).then(HashSet::new);
    let mut tags: Vec<(String, String)> = Vec::new();
    for (key, value) in raw {
        let key = truncate_chars(key.trim(), TAG_MAX);
        let Some(value) = value.map(|v| truncate_chars(v.trim(), TAG_MAX)) else {
            continue;
        };
        let invalid =
            key.is_empty() || value.is_empty() || key.contains('\n') || value.contains('\n');
        let reserved = RESERVED_TAG_KEYS.contains(&key.as_str());
        if invalid || reserved {
            continue;
        }
        let repeated = match &mut taken {
            Some(taken) => !taken.insert(key.clone()),
            None => tags.iter().any(|(k, _)| *k == key),
        };
        if repeated {
            continue;
        }
        tags.push((key, value));
    }
    tags
}

/// [`scalar_string`] without copying a string.
fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value.as_str() {
        Some(text) => Some(Cow::Borrowed(text)),
        None => scalar_string(Some(value)).map(Cow::Owned),
    }
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
    tags.iter()
        .map(|(k, v)| Value::from(vec![k.as_str(), v.as_str()]))
        .collect()
}

/// `contexts.{kind}.name` (or that of the first context, in key order, whose `type` is
/// `kind`).
pub(crate) fn context_name(contexts: Option<&Value>, kind: &str) -> Option<String> {
    let contexts = contexts?.as_object()?;
    let context = field(contexts, kind).or_else(|| {
        sorted_entries(contexts)
            .into_iter()
            .map(|(_, context)| context)
            .find(|c| child(c, "type").and_then(Value::as_str) == Some(kind))
    })?;
    scalar_string(child(context, "name"))
}

/// Cleans `user`: ids as strings, `{{auto}}` and missing IPs filled from the request or
/// client IP, email cut to 75, unknown keys moved into `data`. Empty → `None`.
pub(crate) fn normalize_user(
    user: Option<Value>,
    remote_addr: Option<String>,
    client_ip: Option<&str>,
    platform: &str,
) -> Option<Value> {
    let mut user = user.and_then(Value::into_object).unwrap_or_default();
    // The first change: `user` is a map from here on, with one entry per key.
    user.retain(|_, v| !v.is_null());
    move_unknown_keys_into_data(&mut user);
    for key in ["id", "username"] {
        match scalar_string(user.get(&key)).filter(|s| !s.is_empty()) {
            Some(text) => user.insert(key, string_value(text)),
            None => user.remove(&key),
        };
    }
    match user.get(&"email").and_then(Value::as_str).map(str::trim) {
        Some(email) if !email.is_empty() => {
            let email = truncate_chars(email, EMAIL_MAX);
            user.insert("email", string_value(email));
        }
        _ => {
            user.remove(&"email");
        }
    }
    let ip = match user.get(&"ip_address").and_then(Value::as_str) {
        Some("{{auto}}") => client_ip.map(str::to_string),
        Some(ip) if !ip.is_empty() => Some(ip.to_string()),
        _ => remote_addr.or_else(|| {
            let backfill = IP_BACKFILL_PLATFORMS.contains(&platform);
            client_ip.filter(|_| backfill).map(str::to_string)
        }),
    };
    match ip {
        Some(ip) => user.insert("ip_address", string_value(ip)),
        None => user.remove(&"ip_address"),
    };
    (!user.is_empty()).then_some(user.into_value())
}

fn move_unknown_keys_into_data(user: &mut Object) {
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
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !KNOWN.contains(k))
        .map(str::to_string)
        .collect();
    if unknown.is_empty() {
        return;
    }
    let mut data = user
        .remove(&"data")
        .and_then(Value::into_object)
        .unwrap_or_default();
    for key in unknown {
        if let Some(value) = user.remove(&key) {
            data.insert(&key, value);
        }
    }
    user.insert("data", data);
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
    .find_map(|(key, prefix)| {
        let value = child(user, key)?.as_str()?;
        Some(format!("{prefix}:{value}"))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::test_support::sonic;

    fn tags_of(raw: serde_json::Value) -> Vec<(String, String)> {
        client_tags(Some(&sonic(raw)))
    }

    fn user_of(user: Option<serde_json::Value>, platform: &str) -> Option<serde_json::Value> {
        normalize_user(user.map(sonic), None, Some("198.51.100.4"), platform)
            .map(|user| serde_json::to_value(&user).unwrap())
    }

    #[test]
    fn tags_as_an_object_or_as_pairs_read_the_same() {
        let from_object = tags_of(json!({"region": "eu", "tier": 2}));
        let from_pairs = tags_of(json!([["region", "eu"], ["tier", 2]]));

        let expected = vec![("region".into(), "eu".into()), ("tier".into(), "2".into())];
        assert_eq!(from_object, expected);
        assert_eq!(from_pairs, expected);
    }

    #[test]
    fn tags_from_an_object_come_in_key_order_and_a_repeated_key_keeps_its_last_value() {
        let raw =
            crate::event::test_support::parse(r#"{"zone": "a", "region": "eu", "region": "us"}"#);

        let tags = client_tags(Some(&raw));

        assert_eq!(
            tags,
            vec![
                ("region".to_string(), "us".to_string()),
                ("zone".to_string(), "a".to_string())
            ]
        );
    }

    #[test]
    fn reserved_empty_duplicate_and_multiline_tags_are_dropped() {
        let tags = tags_of(json!([
            ["release", "1.0"],
            ["user", "x"],
            ["", "v"],
            ["k", ""],
            ["k", "first"],
            ["k", "second"],
            ["multi", "a\nb"],
            ["bad"],
            ["n", null]
        ]));

        assert_eq!(tags, vec![("k".to_string(), "first".to_string())]);
    }

    #[test]
    fn thousands_of_pairs_keep_each_key_once_the_first_winning() {
        let pairs: Vec<serde_json::Value> = (0..5_000)
            .map(|i| json!([format!("k{}", i % 2_000), format!("v{i}")]))
            .collect();
        let tags = tags_of(json!(pairs));
        assert_eq!(tags.len(), 2_000);
        assert_eq!(tags[0], ("k0".to_string(), "v0".to_string()));
        assert_eq!(tags[1_999], ("k1999".to_string(), "v1999".to_string()));
    }

    #[test]
    fn long_tag_keys_and_values_are_cut_to_200_characters() {
        let tags = tags_of(json!({ "k".repeat(250): "v".repeat(250) }));

        assert_eq!(tags[0].0.chars().count(), 200);
        assert_eq!(tags[0].1.chars().count(), 200);
    }

    #[test]
    fn a_context_found_by_type_is_the_first_in_key_order() {
        let contexts = sonic(json!({
            "zz": {"type": "browser", "name": "Chrome"},
            "aa": {"type": "browser", "name": "Firefox"},
            "os": {"name": "Linux"}
        }));

        assert_eq!(
            context_name(Some(&contexts), "browser").as_deref(),
            Some("Firefox")
        );
        assert_eq!(
            context_name(Some(&contexts), "os").as_deref(),
            Some("Linux")
        );
        assert_eq!(context_name(Some(&contexts), "runtime"), None);
    }

    #[test]
    fn an_auto_ip_is_replaced_by_the_client_ip_and_unknown_user_keys_move_into_data() {
        let user = user_of(
            Some(json!({"id": 7, "ip_address": "{{auto}}", "plan": "gold"})),
            "python",
        );

        assert_eq!(
            user,
            Some(json!({"id": "7", "ip_address": "198.51.100.4", "data": {"plan": "gold"}}))
        );
    }

    #[test]
    fn javascript_events_without_a_user_get_the_client_ip() {
        let js = user_of(None, "javascript");
        let py = user_of(None, "python");

        assert_eq!(js, Some(json!({"ip_address": "198.51.100.4"})));
        assert_eq!(py, None);
    }

    #[test]
    fn the_user_key_prefers_id_then_email_then_username_then_ip() {
        let full = sonic(json!({"id": "1", "email": "a@b.c", "ip_address": "10.0.0.1"}));
        let ip_only = sonic(json!({"ip_address": "10.0.0.1"}));

        assert_eq!(user_key(Some(&full)).as_deref(), Some("id:1"));
        assert_eq!(user_key(Some(&ip_only)).as_deref(), Some("ip:10.0.0.1"));
        assert_eq!(user_key(None), None);
    }
}
