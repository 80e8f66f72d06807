use chrono::Duration;
use serde_json::{json, Value};

use super::*;
use crate::event::test_support::{context, event, received};
use crate::event::{default_hash, grouping_hash, summarize};

/// A sentry-python 2.x Django event as `tools/loadgen.py` sends it, cut to four frames.
const SENTRY_PYTHON_DJANGO: &str = include_str!("../testdata/sentry_python_django.json");

fn tag<'a>(event: &'a NormalizedEvent, key: &str) -> Option<&'a str> {
    event
        .tags
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_realistic_sentry_python_event_normalizes_groups_and_summarizes() {
    let raw: Value = serde_json::from_str(SENTRY_PYTHON_DJANGO).unwrap();

    let event = event(raw.clone());
    let summary = summarize(&event);

    assert_eq!(event.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
    assert_eq!(
        event.timestamp.timestamp_micros(),
        (received() - Duration::microseconds(1_876_544)).timestamp_micros()
    );
    assert_eq!(event.event_type, "error");
    assert_eq!(event.platform, "python");
    assert_eq!(event.release.as_deref(), Some("shop-api@1.4.2"));
    assert_eq!(event.exceptions.len(), 1);
    assert_eq!(event.exceptions[0].frames.len(), 4);
    assert_eq!(event.user_key.as_deref(), Some("id:25960"));
    assert_eq!(tag(&event, "server_name"), Some("web-7"));
    assert_eq!(tag(&event, "runtime.name"), Some("CPython"));
    assert_eq!(tag(&event, "os.name"), Some("Linux"));
    assert_eq!(tag(&event, "region"), Some("eu-west-1"));
    assert_eq!(
        tag(&event, "url"),
        Some("https://shop.example.com/api/v2/payments/27757/resolve/")
    );
    assert!(event.data.get("server_name").is_none());
    assert_eq!(
        event.data["breadcrumbs"]["values"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(event.data["sdk"]["name"], "sentry.python.django");
    assert_eq!(
        summary.title,
        "AttributeError: could not resolve 'payment_d': missing field 'voucher'"
    );
    assert_eq!(summary.culprit, "/api/v2/payments/{id}/resolve/");
    assert_eq!(summary.metadata["filename"], "shop/profiles_d/publish.py");
    assert_eq!(summary.metadata["function"], "publish_profile_d_19");
    assert_eq!(grouping_hash(&event).len(), 32);

    let mut later = raw;
    later["exception"]["values"][0]["stacktrace"]["frames"][3]["lineno"] = json!(777);
    later["user"]["id"] = json!("1");
    assert_eq!(grouping_hash(&self::event(later)), grouping_hash(&event));
}

#[test]
fn a_payload_that_is_not_an_object_is_refused() {
    assert_eq!(
        normalize(json!([1, 2]), &context()),
        Err(NormalizeError::NotAnObject)
    );
}

#[test]
fn the_envelope_event_id_wins_and_a_payload_id_is_the_fallback() {
    let raw = json!({"event_id": "11111111-2222-3333-4444-555555555555"});
    let mut ctx = context();
    assert_eq!(
        normalize(raw.clone(), &ctx).unwrap().event_id,
        "9ec79c33ec9942ab8353589fcb2e04dc"
    );

    ctx.event_id = None;
    assert_eq!(
        normalize(raw, &ctx).unwrap().event_id,
        "11111111222233334444555555555555"
    );
}

#[test]
fn an_event_without_any_valid_id_is_refused() {
    let ctx = NormalizeContext {
        event_id: Some("nope".into()),
        ..context()
    };

    assert_eq!(
        normalize(json!({"event_id": 5}), &ctx),
        Err(NormalizeError::MissingEventId)
    );
}

#[test]
fn an_empty_event_gets_sentry_defaults() {
    let event = event(json!({}));

    assert_eq!(event.level, "error");
    assert_eq!(event.platform, "other");
    assert_eq!(event.logger, "");
    assert_eq!(event.environment, "production");
    assert_eq!(event.event_type, "default");
    assert_eq!(event.timestamp, received());
    assert_eq!(event.data["extra"], json!({}));
    assert_eq!(
        event.data["sdk"],
        json!({"name": "sentry.python", "version": "2.0.0"})
    );
    assert_eq!(
        event.data["timestamp"].as_f64(),
        Some(received().timestamp() as f64)
    );
}

#[test]
fn a_bare_exception_list_and_the_legacy_alias_read_like_values() {
    let exc = json!({"type": "ValueError", "value": "bad"});

    let from_values = event(json!({"exception": {"values": [exc.clone()]}}));
    let from_list = event(json!({"exception": [exc.clone()]}));
    let from_alias = event(json!({"sentry.interfaces.Exception": {"values": [exc]}}));

    assert_eq!(from_list.exceptions, from_values.exceptions);
    assert_eq!(from_alias.exceptions, from_values.exceptions);
    assert_eq!(from_list.data["exception"], from_values.data["exception"]);
    assert!(from_alias.data.get("sentry.interfaces.Exception").is_none());
}

#[test]
fn an_untyped_exception_value_of_the_form_type_colon_message_is_split() {
    let event = event(json!({"exception": [{"value": "ZeroDivisionError: division by zero"}]}));

    assert_eq!(event.exceptions[0].ty.as_deref(), Some("ZeroDivisionError"));
    assert_eq!(
        event.exceptions[0].value.as_deref(),
        Some("division by zero")
    );
    assert_eq!(
        event.data["exception"]["values"][0]["type"],
        "ZeroDivisionError"
    );
}

#[test]
fn exceptions_with_neither_type_nor_value_are_dropped() {
    let event = event(json!({"exception": [{"module": "x"}, {"type": "E"}, 7]}));

    assert_eq!(event.exceptions.len(), 1);
    assert_eq!(event.exceptions[0].ty.as_deref(), Some("E"));
}

#[test]
fn a_top_level_stacktrace_moves_into_the_only_exception_lacking_one() {
    let event = event(json!({
        "exception": [{"type": "E", "value": "v"}],
        "stacktrace": {"frames": [{"function": "main", "filename": "a.py"}]}
    }));

    assert_eq!(event.exceptions[0].frames.len(), 1);
    assert!(event.data.get("stacktrace").is_none());
}

#[test]
fn a_question_mark_function_reads_as_none_and_context_gets_a_context_line() {
    let event = event(
        json!({"exception": [{"type": "E", "stacktrace": {"frames": [
            {"function": "?", "filename": "a.c", "pre_context": ["x"]}
        ]}}]}),
    );

    let frame = &event.exceptions[0].frames[0];
    assert_eq!(frame.function, None);
    assert_eq!(frame.context_line.as_deref(), Some(""));
    assert!(
        event.data["exception"]["values"][0]["stacktrace"]["frames"][0]
            .get("function")
            .is_none()
    );
}

#[test]
fn derived_tags_replace_client_tags_and_reserved_keys_are_removed() {
    let event = event(json!({
        "level": "warn",
        "tags": [["level", "debug"], ["release", "x"], ["team", "core"]],
        "release": "1.0",
        "server_name": "web-1",
        "user": {"email": "a@example.com"}
    }));

    assert_eq!(
        event.tags,
        vec![
            ("team".to_string(), "core".to_string()),
            ("level".to_string(), "warning".to_string()),
            ("environment".to_string(), "production".to_string()),
            ("release".to_string(), "1.0".to_string()),
            ("server_name".to_string(), "web-1".to_string()),
            ("user".to_string(), "email:a@example.com".to_string()),
        ]
    );
    assert_eq!(event.data["tags"][0], json!(["team", "core"]));
}

#[test]
fn an_environment_tag_moves_up_when_the_field_is_unset() {
    let event = event(json!({"tags": {"environment": "staging"}}));

    assert_eq!(event.environment, "staging");
    assert_eq!(tag(&event, "environment"), Some("staging"));
}

#[test]
fn the_request_remote_addr_fills_a_missing_user_ip() {
    let event =
        event(json!({"request": {"url": "https://x.test/a", "env": {"REMOTE_ADDR": "10.1.2.3"}}}));

    assert_eq!(event.user, Some(json!({"ip_address": "10.1.2.3"})));
    assert_eq!(event.user_key.as_deref(), Some("ip:10.1.2.3"));
    assert_eq!(event.request_url.as_deref(), Some("https://x.test/a"));
}

#[test]
fn breadcrumbs_as_a_bare_list_get_values_and_defaults() {
    let event = event(json!({"breadcrumbs": [{"message": "clicked"}, "junk"]}));

    assert_eq!(
        event.data["breadcrumbs"],
        json!({"values": [{"message": "clicked", "type": "default", "level": "info"}]})
    );
}

#[test]
fn oversized_fields_are_trimmed_as_sentry_does() {
    let event = event(json!({
        "logger": "l".repeat(100),
        "dist": "d".repeat(100),
        "culprit": "c".repeat(300),
        "user": {"email": format!("{}@example.com", "e".repeat(100))}
    }));

    assert_eq!(event.logger.chars().count(), 64);
    assert_eq!(event.dist.as_deref().map(|d| d.chars().count()), Some(64));
    assert_eq!(
        event.culprit.as_deref().map(|c| c.chars().count()),
        Some(200)
    );
    assert_eq!(
        event.data["user"]["email"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        75
    );
}

#[test]
fn the_legacy_message_interface_and_fingerprint_numbers_are_accepted() {
    let event = event(json!({
        "sentry.interfaces.Message": {"message": "job %s failed", "params": ["42"]},
        "fingerprint": ["job", 42, {"x": 1}]
    }));

    assert_eq!(event.message.as_deref(), Some("job 42 failed"));
    assert_eq!(
        event.fingerprint,
        Some(vec!["job".to_string(), "42".to_string()])
    );
}

#[test]
fn invalid_optional_fields_are_dropped_rather_than_refused() {
    let event = event(json!({
        "release": "latest", "user": "bob", "request": 3, "contexts": [],
        "transaction": 5, "tags": "x", "extra": [1], "platform": "cobol"
    }));

    assert_eq!(event.release, None);
    assert_eq!(event.user, None);
    assert_eq!(event.request_url, None);
    assert_eq!(event.transaction, None);
    assert_eq!(event.platform, "other");
    assert!(event.data.get("contexts").is_none());
    assert_eq!(event.data["extra"], json!({}));
}

#[test]
fn the_same_payload_always_normalizes_and_hashes_the_same() {
    let raw: Value = serde_json::from_str(SENTRY_PYTHON_DJANGO).unwrap();

    let first = event(raw.clone());
    let second = event(raw);

    assert_eq!(first, second);
    assert_eq!(default_hash(&first), default_hash(&second));
}
