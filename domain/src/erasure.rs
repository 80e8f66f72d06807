//! Erasing one person from the stored events (`faultline forget user`): which events
//! are about them, and each such event rewritten without them. Pure: the caller reads
//! and writes the rows.
//!
//! The person's `user` becomes `{"id": "erased:<token>"}`, one random token per user key
//! they were counted under in this erasure: counts of distinct users stay right, and
//! nothing left derives from who they were. Their address goes from the request and
//! from the event's metadata.

use serde_json::Value;

/// Who to erase, as an event's `user` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    /// `user.email`.
    Email(String),
    /// `user.id`.
    Id(String),
    /// `user.ip_address`, or the request's `REMOTE_ADDR`.
    Ip(String),
}

impl Person {
    /// Whether the normalised event `body` is about this person.
    pub fn in_body(&self, body: &Value) -> bool {
        let user = |key: &str| {
            body.pointer(&format!("/user/{key}"))
                .and_then(Value::as_str)
        };
        match self {
            Person::Email(email) => user("email") == Some(email.as_str()),
            Person::Id(id) => user("id") == Some(id.as_str()),
            Person::Ip(ip) => {
                user("ip_address") == Some(ip.as_str())
                    || body
                        .pointer("/request/env/REMOTE_ADDR")
                        .and_then(Value::as_str)
                        == Some(ip.as_str())
            }
        }
    }
}

impl Person {
    /// The user key the person is counted under when this is the first field their
    /// `user` has (`id`, then `email`, `username`, `ip_address`): found even where
    /// no stored body names them any more (dropped by retention, counted in summaries).
    /// An email or address behind an id is found only through the bodies.
    pub fn key(&self) -> String {
        match self {
            Person::Email(email) => format!("email:{email}"),
            Person::Id(id) => format!("id:{id}"),
            Person::Ip(ip) => format!("ip:{ip}"),
        }
    }
}

/// The user key an erased person is counted under from now on.
pub fn erased_key(token: &str) -> String {
    format!("id:erased:{token}")
}

/// Rewrites one `EventIngested` without its person: `head` is the row's payload
/// (`{"EventIngested": {...}}`, its `data` null), `body` the normalised event, and
/// `metadata` the row's metadata. `token` names the person from now on when the event
/// was counted under a user key; an event about them with no key (found by its
/// address alone) loses its `user` and keeps no key, so no user is counted that was
/// not before. Returns the user key the event was counted under, if any.
pub fn erase(
    head: &mut Value,
    body: &mut Value,
    metadata: &mut Value,
    token: Option<&str>,
) -> Option<String> {
    let addresses: Vec<String> = [
        body.pointer("/user/ip_address"),
        body.pointer("/request/env/REMOTE_ADDR"),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_str)
    .map(str::to_owned)
    .collect();
    if let Some(object) = body.as_object_mut() {
        match token {
            Some(token) => {
                object.insert(
                    "user".to_owned(),
                    serde_json::json!({"id": format!("erased:{token}")}),
                );
            }
            None => {
                object.remove("user");
            }
        }
    }
    if let Some(env) = body
        .pointer_mut("/request/env")
        .and_then(Value::as_object_mut)
    {
        env.remove("REMOTE_ADDR");
    }
    if let Some(metadata) = metadata.as_object_mut() {
        let sender = metadata.get("ip_address").and_then(Value::as_str);
        if sender.is_some_and(|ip| addresses.iter().any(|a| a == ip)) {
            metadata.remove("ip_address");
        }
    }
    let occurrence = head.get_mut("EventIngested")?;
    let old_key = occurrence
        .get("user_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let (Some(token), Some(_)) = (token, &old_key) {
        let new_key = erased_key(token);
        occurrence["user_key"] = Value::String(new_key.clone());
        if let Some(tags) = occurrence.get_mut("tags").and_then(Value::as_array_mut) {
            for tag in tags.iter_mut() {
                if tag.get(0).and_then(Value::as_str) == Some("user") {
                    tag[1] = Value::String(new_key.clone());
                }
            }
        }
    }
    old_key
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> (Value, Value, Value) {
        (
            json!({"EventIngested": {"event_id": "e1", "user_key": "id:42",
                   "tags": [["level", "error"], ["user", "id:42"]], "data": null}}),
            json!({"user": {"id": "42", "email": "ada@example.test",
                            "ip_address": "203.0.113.9"},
                   "request": {"url": "https://shop.test/", "env": {"REMOTE_ADDR": "203.0.113.9"}}}),
            json!({"actor": "key:abc", "ip_address": "203.0.113.9"}),
        )
    }

    #[test]
    fn a_person_is_found_by_email_id_or_address() {
        let (_, body, _) = event();

        assert!(Person::Email("ada@example.test".into()).in_body(&body));
        assert!(Person::Id("42".into()).in_body(&body));
        assert!(Person::Ip("203.0.113.9".into()).in_body(&body));
        assert!(!Person::Email("bob@example.test".into()).in_body(&body));
    }

    #[test]
    fn an_erased_event_keeps_nothing_of_the_person_but_a_token() {
        let (mut head, mut body, mut metadata) = event();

        let old = erase(&mut head, &mut body, &mut metadata, Some("t1"));

        assert_eq!(old.as_deref(), Some("id:42"));
        assert_eq!(body["user"], json!({"id": "erased:t1"}));
        assert_eq!(body["request"]["env"], json!({}));
        assert_eq!(body["request"]["url"], "https://shop.test/");
        assert_eq!(metadata, json!({"actor": "key:abc"}));
        assert_eq!(head["EventIngested"]["user_key"], "id:erased:t1");
        assert_eq!(
            head["EventIngested"]["tags"],
            json!([["level", "error"], ["user", "id:erased:t1"]])
        );
        let text = format!("{head}{body}{metadata}");
        assert!(!text.contains("ada@") && !text.contains("203.0.113.9") && !text.contains(":42"));
    }

    #[test]
    fn an_event_found_by_its_address_alone_loses_its_user_and_gains_no_key() {
        let mut head = json!({"EventIngested": {"event_id": "e2", "tags": [], "data": null}});
        let mut body = json!({"user": {"ip_address": "203.0.113.9"},
                              "request": {"env": {"REMOTE_ADDR": "203.0.113.9"}}});
        let mut metadata = json!({"ip_address": "203.0.113.9"});

        let old = erase(&mut head, &mut body, &mut metadata, None);

        assert_eq!(old, None);
        assert_eq!(body, json!({"request": {"env": {}}}));
        assert_eq!(head["EventIngested"].get("user_key"), None);
        assert_eq!(metadata, json!({}));
    }
}
