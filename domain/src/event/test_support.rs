//! Helpers shared by the event rule tests.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

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

/// `raw` normalized with [`context`].
pub(crate) fn event(raw: Value) -> NormalizedEvent {
    normalize(raw, &context()).expect("test event normalizes")
}
