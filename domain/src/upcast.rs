//! Upcasts: how an event stored in an older payload shape reads in the current one.
//!
//! The log is never rewritten, so a changed payload shape gets a new `event_version`
//! and an entry in [`UPCASTS`]: a pure function from the old JSON to the next
//! version's JSON. Every reader goes through it: the write side's `AggregateStore`
//! (as cqrs-es `EventUpcaster`s), projections (`StoredEvent::decode`) and the log
//! tools. Upcasts chain: a row is upcast until no entry matches its version.

use std::borrow::Cow;

use serde_json::Value;

/// One payload shape change of one event type.
#[derive(Debug, Clone, Copy)]
pub struct Upcast {
    /// The stream's aggregate type (`issue`, `project`, ...).
    pub aggregate_type: &'static str,
    /// The event type whose shape changed.
    pub event_type: &'static str,
    /// The stored version this turns into [`Upcast::to_version`].
    pub from_version: &'static str,
    /// The version of the payload it returns.
    pub to_version: &'static str,
    /// The change itself, on the whole stored payload (`{"Variant": {...}}`).
    pub upcast: fn(Value) -> Value,
}

/// Every upcast, oldest first per event type.
pub const UPCASTS: &[Upcast] = &[
    crate::issue::COMMENT_ADDED_1_TO_2,
    crate::issue::EVENT_INGESTED_1_TO_2,
    crate::issue::EVENT_INGESTED_2_TO_3,
];

/// The upcast that applies to a stored `(aggregate_type, event_type, version)`.
pub fn find(aggregate_type: &str, event_type: &str, version: &str) -> Option<&'static Upcast> {
    UPCASTS.iter().find(|upcast| {
        upcast.aggregate_type == aggregate_type
            && upcast.event_type == event_type
            && upcast.from_version == version
    })
}

/// The payload in the current shape of its event type: borrowed when it already is.
pub fn current<'a>(
    aggregate_type: &str,
    event_type: &str,
    version: &str,
    payload: &'a Value,
) -> Cow<'a, Value> {
    let mut payload = Cow::Borrowed(payload);
    let mut version = version;
    while let Some(step) = find(aggregate_type, event_type, version) {
        payload = Cow::Owned((step.upcast)(payload.into_owned()));
        version = step.to_version;
    }
    payload
}

/// The payload of a stored row in the current shape of its event type, with the row's
/// `body` column (set only on `EventIngested` 4.0 rows, see [`crate::issue::body`])
/// put back into it first.
pub fn current_of_row(
    aggregate_type: &str,
    event_type: &str,
    version: &str,
    payload: Value,
    body: Option<&[u8]>,
) -> Value {
    let (payload, version) = rejoin_row(event_type, version, payload, body);
    match current(aggregate_type, event_type, version, &payload) {
        Cow::Borrowed(_) => payload,
        Cow::Owned(upcast) => upcast,
    }
}

/// A stored row's payload with its `body` column put back into it, and the version
/// it then reads as (an `EventIngested` 4.0 row with its body reads as 3.0; any other
/// row is returned as it is).
pub fn rejoin_row<'a>(
    event_type: &str,
    version: &'a str,
    mut payload: Value,
    body: Option<&[u8]>,
) -> (Value, &'a str) {
    match body {
        Some(column)
            if event_type == "EventIngested"
                && version == crate::issue::body::IN_COLUMN_VERSION =>
        {
            crate::issue::body::rejoin(&mut payload, column);
            (payload, crate::issue::body::INLINE_VERSION)
        }
        _ => (payload, version),
    }
}

/// Renames `from` to `to` in the object under `variant` (`{"Variant": {...}}`),
/// leaving anything else as it is.
pub fn rename_field(mut payload: Value, variant: &str, from: &str, to: &str) -> Value {
    if let Some(fields) = payload.get_mut(variant).and_then(Value::as_object_mut) {
        if let Some(value) = fields.remove(from) {
            fields.insert(to.to_owned(), value);
        }
    }
    payload
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_current_payload_is_returned_as_is() {
        let payload = json!({"CommentAdded": {"author_id": 1}});
        let read = current("issue", "CommentAdded", "2.0", &payload);
        assert!(matches!(read, Cow::Borrowed(_)));
    }

    #[test]
    fn an_old_payload_is_upcast_to_the_current_shape() {
        let payload = json!({"CommentAdded": {"comment_id": 3, "user_id": 7, "text": "x"}});
        let read = current("issue", "CommentAdded", "1.0", &payload);
        assert_eq!(
            *read,
            json!({"CommentAdded": {"comment_id": 3, "author_id": 7, "text": "x"}})
        );
    }

    #[test]
    fn a_row_without_a_body_column_is_upcast_as_before() {
        let payload = json!({"CommentAdded": {"comment_id": 3, "user_id": 7, "text": "x"}});
        let read = current_of_row("issue", "CommentAdded", "1.0", payload, None);
        assert_eq!(
            read,
            json!({"CommentAdded": {"comment_id": 3, "author_id": 7, "text": "x"}})
        );
    }

    #[test]
    fn other_aggregates_with_the_same_event_name_are_left_alone() {
        let payload = json!({"CommentAdded": {"user_id": 7}});
        assert_eq!(
            *current("project", "CommentAdded", "1.0", &payload),
            payload
        );
    }
}
