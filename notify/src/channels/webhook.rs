//! A workflow's webhook action: Sentry's `event_alert` webhook, signed.
//!
//! ```json
//! {"action": "triggered",
//!  "data": {"issue": {...}, "event": {..., "web_url": "..."}, "workflow": {"id", "name"},
//!           "trigger": "first_seen_event", "triggered_rule": "<workflow name>"},
//!  "project": {"id", "slug", "name"}, "organization": {"slug"}, "url": "...",
//!  "actor": {"type": "application", "id": "faultline", "name": "Faultline"}}
//! ```
//!
//! Headers as Sentry sends an integration's webhooks (`Sentry-Hook-Resource`,
//! `-Timestamp`, `Request-ID`, `Sentry-Hook-Signature`), the service hooks'
//! `X-ServiceHook-Signature`, and the row id as idempotency key: a retry carries the
//! same `Request-ID`, so a receiver can drop repeats.

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde_json::{json, Value};

use super::{set_header, signature, string_or_null, Envelope, HttpMessage};
use crate::payload::Payload;

/// The body and headers of the webhook for `payload`.
pub fn render(payload: &Value, envelope: Envelope<'_>) -> HttpMessage {
    let view = Payload(payload);
    let link = view.link();
    let mut event = payload.get("event").cloned().unwrap_or(Value::Null);
    if let (Value::Object(fields), Some(link)) = (&mut event, &link) {
        fields.insert("web_url".into(), json!(link));
        fields.insert("issue_url".into(), json!(link));
        if let Some(issue_id) = view.issue_id() {
            fields.insert("issue_id".into(), json!(issue_id));
        }
    }
    let body = json!({
        "action": "triggered",
        "actor": {"type": "application", "id": "faultline", "name": "Faultline"},
        "data": {
            "issue": payload.get("issue").cloned().unwrap_or(Value::Null),
            "event": event,
            "workflow": payload.get("workflow").cloned().unwrap_or(Value::Null),
            "trigger": string_or_null(view.trigger()),
            "triggered_rule": string_or_null(view.workflow_name()),
        },
        "project": payload.get("project").cloned().unwrap_or(Value::Null),
        "organization": payload.get("organization").cloned().unwrap_or(Value::Null),
        "url": string_or_null(link),
    });
    let body = serde_json::to_vec(&body).expect("a JSON value serializes");
    let id = envelope.id.to_string();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    set_header(&mut headers, "sentry-hook-resource", "event_alert");
    set_header(
        &mut headers,
        "sentry-hook-timestamp",
        &envelope.now.to_string(),
    );
    set_header(&mut headers, "request-id", &id);
    set_header(&mut headers, "sentry-hook-request-id", &id);
    set_header(&mut headers, "x-faultline-idempotency-key", &id);
    if let Some(secret) = envelope.secret {
        let signature = signature(secret, &body);
        set_header(&mut headers, "x-servicehook-signature", &signature);
        set_header(&mut headers, "sentry-hook-signature", &signature);
    }
    HttpMessage { headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(secret: Option<&str>) -> Envelope<'_> {
        Envelope {
            id: uuid::Uuid::from_u128(0x1234),
            secret,
            hook_id: None,
            now: 1_700_000_000,
        }
    }

    #[test]
    fn the_body_carries_the_issue_event_and_workflow_and_is_signed() {
        let payload = json!({
            "trigger": "first_seen_event",
            "issue": {"id": "7", "title": "boom"},
            "event": {"eventId": "ab"},
            "workflow": {"id": "3", "name": "Errors"},
            "project": {"slug": "backend"},
            "organization": {"slug": "acme"},
            "url": "https://f.example/organizations/acme/issues/7/"
        });

        let message = render(&payload, envelope(Some("s3cret")));
        let body: Value = serde_json::from_slice(&message.body).unwrap();

        assert_eq!(body["action"], "triggered");
        assert_eq!(body["data"]["issue"]["title"], "boom");
        assert_eq!(body["data"]["event"]["eventId"], "ab");
        assert_eq!(body["data"]["event"]["issue_id"], "7");
        assert_eq!(body["data"]["triggered_rule"], "Errors");
        assert_eq!(body["data"]["trigger"], "first_seen_event");
        assert_eq!(body["project"]["slug"], "backend");
        assert_eq!(
            message.headers["x-servicehook-signature"],
            signature("s3cret", &message.body).as_str()
        );
        assert_eq!(message.headers["sentry-hook-resource"], "event_alert");
        assert_eq!(message.headers["sentry-hook-timestamp"], "1700000000");
        assert_eq!(
            message.headers["x-faultline-idempotency-key"],
            "00000000-0000-0000-0000-000000001234"
        );
        assert_eq!(
            message.headers["request-id"],
            message.headers["sentry-hook-request-id"]
        );
    }

    #[test]
    fn a_payload_without_anything_still_renders() {
        let message = render(&json!(null), envelope(None));
        let body: Value = serde_json::from_slice(&message.body).unwrap();

        assert_eq!(body["data"]["issue"], Value::Null);
        assert!(!message.headers.contains_key("x-servicehook-signature"));
    }
}
