//! A project's service hook: the POST Sentry's service hooks send for a new event
//! (`get_payload_v0`):
//!
//! ```json
//! {"project": {"slug", "name"}, "group": {...issue, "url": "..."},
//!  "event": {...event, "url": "<issue url>events/<event id>/"}}
//! ```
//!
//! with `X-ServiceHook-Timestamp`, `X-ServiceHook-GUID` (the hook's id) and
//! `X-ServiceHook-Signature` (hex HMAC-SHA256 of the body with the hook's secret).

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde_json::{json, Value};

use super::{set_header, signature, string_or_null, Envelope, HttpMessage};
use crate::payload::Payload;

/// The body and headers of the service hook call for `payload`.
pub fn render(payload: &Value, envelope: Envelope<'_>) -> HttpMessage {
    let view = Payload(payload);
    let link = view.link();
    let mut group = payload.get("issue").cloned().unwrap_or_else(|| json!({}));
    if let Value::Object(fields) = &mut group {
        fields.insert("url".into(), string_or_null(link.clone()));
    }
    let mut event = payload.get("event").cloned().unwrap_or_else(|| json!({}));
    if let Value::Object(fields) = &mut event {
        let url = link
            .as_ref()
            .zip(view.event_id())
            .map(|(link, id)| format!("{}/events/{id}/", link.trim_end_matches('/')));
        fields.insert("url".into(), string_or_null(url));
    }
    let body = json!({
        "project": {
            "slug": string_or_null(view.project_slug()),
            "name": string_or_null(view.project_name()),
        },
        "group": group,
        "event": event,
    });
    let body = serde_json::to_vec(&body).expect("a JSON value serializes");
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    set_header(
        &mut headers,
        "x-servicehook-timestamp",
        &envelope.now.to_string(),
    );
    if let Some(hook_id) = envelope.hook_id {
        set_header(&mut headers, "x-servicehook-guid", hook_id);
    }
    set_header(
        &mut headers,
        "x-faultline-idempotency-key",
        &envelope.id.to_string(),
    );
    if let Some(secret) = envelope.secret {
        set_header(
            &mut headers,
            "x-servicehook-signature",
            &signature(secret, &body),
        );
    }
    HttpMessage { headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_sentrys_project_group_and_event_signed_with_the_hook_secret() {
        let payload = json!({
            "trigger": "event.created",
            "issue": {"id": "7", "title": "boom"},
            "event": {"eventId": "abc"},
            "project": {"slug": "backend", "name": "Backend", "id": "1"},
            "url": "https://f.example/organizations/acme/issues/7/"
        });
        let envelope = Envelope {
            id: uuid::Uuid::nil(),
            secret: Some("k"),
            hook_id: Some("0123456789abcdef0123456789abcdef"),
            now: 5,
        };

        let message = render(&payload, envelope);
        let body: Value = serde_json::from_slice(&message.body).unwrap();

        assert_eq!(
            body["project"],
            json!({"slug": "backend", "name": "Backend"})
        );
        assert_eq!(body["group"]["title"], "boom");
        assert_eq!(
            body["group"]["url"],
            "https://f.example/organizations/acme/issues/7/"
        );
        assert_eq!(
            body["event"]["url"],
            "https://f.example/organizations/acme/issues/7/events/abc/"
        );
        assert_eq!(
            message.headers["x-servicehook-guid"],
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(message.headers["x-servicehook-timestamp"], "5");
        assert_eq!(
            message.headers["x-servicehook-signature"],
            signature("k", &message.body).as_str()
        );
    }
}
