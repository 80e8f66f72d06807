//! Helpers shared by the event rule tests.

use chrono::{DateTime, TimeZone, Utc};

use super::{normalize, NormalizeContext, NormalizedEvent};

/// The fixed receive time of every test event.
pub(crate) fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

/// A context with a fixed receive time, client IP and event id.
pub(crate) fn context() -> NormalizeContext {
    NormalizeContext {
        received: received(),
        client_ip: Some("198.51.100.4".into()),
        event_id: Some("9ec79c33ec9942ab8353589fcb2e04dc".into()),
        sdk_name_version: Some("sentry.python/2.0.0".into()),
        platform_hint: None,
    }
}

/// `text` parsed as the ingest endpoint parses an event payload.
pub(crate) fn parse(text: &str) -> sonic_rs::Value {
    sonic_rs::from_str(text).expect("test payload is valid JSON")
}

/// A payload written with `serde_json::json!`, parsed as the ingest endpoint parses it
/// (into sonic-rs's arena, not built node by node), so tests see what production sees.
pub(crate) fn sonic(raw: serde_json::Value) -> sonic_rs::Value {
    parse(&raw.to_string())
}

/// `raw` normalized with [`context`].
pub(crate) fn event(raw: serde_json::Value) -> NormalizedEvent {
    normalize(sonic(raw), &context()).expect("test event normalizes")
}

/// The normalized JSON as a reader of the stored body sees it.
pub(crate) fn data(event: &NormalizedEvent) -> serde_json::Value {
    serde_json::to_value(&event.data).expect("normalized data serializes")
}
