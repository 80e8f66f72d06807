use chrono::Duration;
use serde_json::{json, Value};
use sonic_rs::JsonContainerTrait;

use super::*;
use crate::event::test_support::{context, data, event, parse, received, sonic};
use crate::event::{
    default_hash, grouping_hash, legacy_default_hash, legacy_grouping_hash, summarize,
};

/// A sentry-python 2.x Django event as `tools/loadgen.py` sends it, cut to four frames.
const SENTRY_PYTHON_DJANGO: &str = include_str!("../testdata/sentry_python_django.json");

/// `data.user`, which the typed `user` field must equal.
fn data_user(event: &NormalizedEvent) -> Option<&sonic_rs::Value> {
    event.data.as_object().and_then(|data| data.get(&"user"))
}

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
    let data = data(&event);
    assert!(data.get("server_name").is_none());
    assert_eq!(data["breadcrumbs"]["values"].as_array().unwrap().len(), 3);
    assert_eq!(data["sdk"]["name"], "sentry.python.django");
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
        normalize(sonic(json!([1, 2])), &context()),
        Err(NormalizeError::NotAnObject)
    );
}

#[test]
fn the_envelope_event_id_wins_and_a_payload_id_is_the_fallback() {
    let raw = json!({"event_id": "11111111-2222-3333-4444-555555555555"});
    let mut ctx = context();
    assert_eq!(
        normalize(sonic(raw.clone()), &ctx).unwrap().event_id,
        "9ec79c33ec9942ab8353589fcb2e04dc"
    );

    ctx.event_id = None;
    assert_eq!(
        normalize(sonic(raw), &ctx).unwrap().event_id,
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
        normalize(sonic(json!({"event_id": 5})), &ctx),
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
    let data = data(&event);
    assert_eq!(data["extra"], json!({}));
    assert_eq!(
        data["sdk"],
        json!({"name": "sentry.python", "version": "2.0.0"})
    );
    assert_eq!(
        data["timestamp"].as_f64(),
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
    assert_eq!(
        data(&from_list)["exception"],
        data(&from_values)["exception"]
    );
    assert!(data(&from_alias)
        .get("sentry.interfaces.Exception")
        .is_none());
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
        data(&event)["exception"]["values"][0]["type"],
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
    assert!(data(&event).get("stacktrace").is_none());
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
        data(&event)["exception"]["values"][0]["stacktrace"]["frames"][0]
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
    assert_eq!(data(&event)["tags"][0], json!(["team", "core"]));
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

    assert_eq!(data(&event)["user"], json!({"ip_address": "10.1.2.3"}));
    assert_eq!(event.user.as_ref(), data_user(&event));
    assert_eq!(event.user_key.as_deref(), Some("ip:10.1.2.3"));
    assert_eq!(event.request_url.as_deref(), Some("https://x.test/a"));
}

#[test]
fn breadcrumbs_as_a_bare_list_get_values_and_defaults() {
    let event = event(json!({"breadcrumbs": [{"message": "clicked"}, "junk"]}));

    assert_eq!(
        data(&event)["breadcrumbs"],
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
        data(&event)["user"]["email"]
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
    let data = data(&event);
    assert!(data.get("contexts").is_none());
    assert_eq!(data["extra"], json!({}));
}

#[test]
fn the_same_payload_always_normalizes_and_hashes_the_same() {
    let raw: Value = serde_json::from_str(SENTRY_PYTHON_DJANGO).unwrap();

    let first = event(raw.clone());
    let second = event(raw);

    assert_eq!(first, second);
    assert_eq!(default_hash(&first), default_hash(&second));
}

#[test]
fn a_repeated_key_reads_as_its_last_value_as_the_stored_body_does() {
    let raw = parse(
        r#"{"level": "info", "level": "fatal", "exception": [{"type": "A", "type": "B",
            "stacktrace": {"frames": [{"function": "f", "in_app": true, "function": "g"}]}}]}"#,
    );

    let event = normalize(raw, &context()).unwrap();

    assert_eq!(event.level, "fatal");
    assert_eq!(event.exceptions[0].ty.as_deref(), Some("B"));
    assert_eq!(event.exceptions[0].frames[0].function.as_deref(), Some("g"));
    let stored = data(&event);
    assert_eq!(stored["exception"]["values"][0]["type"], "B");
    assert_eq!(
        stored["exception"]["values"][0]["stacktrace"]["frames"][0]["function"],
        "g"
    );
}

/// Golden events: raw payloads and everything derived from them, recorded from the
/// serde_json implementation before the port to sonic-rs values. Grouping hashes are the
/// compatibility contract (a changed hash splits existing issues), so they are spelled
/// out here as well as in the recorded files.
mod golden {
    use serde::Serialize;
    use serde_json::{json, Value};

    use super::*;

    struct Case {
        name: &'static str,
        raw: &'static str,
        expected: &'static str,
        grouping_hash: &'static str,
        default_hash: &'static str,
        context: fn() -> NormalizeContext,
    }

    /// What a store endpoint sees without an envelope: no event id header, no
    /// `sentry_client`, a platform hint.
    fn store_context() -> NormalizeContext {
        NormalizeContext {
            event_id: None,
            sdk_name_version: None,
            platform_hint: Some("python".into()),
            ..context()
        }
    }

    macro_rules! case {
        ($name:literal, $grouping:literal, $default:literal) => {
            case!($name, $grouping, $default, context)
        };
        ($name:literal, $grouping:literal, $default:literal, $context:expr) => {
            Case {
                name: $name,
                raw: include_str!(concat!("../testdata/golden/", $name, ".json")),
                expected: include_str!(concat!("../testdata/golden/", $name, ".expected.json")),
                grouping_hash: $grouping,
                default_hash: $default,
                context: $context,
            }
        };
    }

    fn cases() -> Vec<Case> {
        vec![
            case!(
                "python_django",
                "b8a27f2af3054eea2a8c83f870fd292c",
                "b8a27f2af3054eea2a8c83f870fd292c"
            ),
            case!(
                "message_params",
                "17c8f474d0270672698d0ce13b55ddf1",
                "17c8f474d0270672698d0ce13b55ddf1"
            ),
            case!(
                "message_named_params",
                "b228e79f0a54d530ab5f590be0c204a9",
                "b228e79f0a54d530ab5f590be0c204a9"
            ),
            case!(
                "message_at_limit",
                "af9b61567190242db69922a2d95e95c9",
                "af9b61567190242db69922a2d95e95c9"
            ),
            case!(
                "chained_exception",
                "9acc3f906565eb4b626d6656ddb74b86",
                "9acc3f906565eb4b626d6656ddb74b86"
            ),
            case!(
                "fingerprint_variables",
                "e9dfebf10f3ba8411da072df5b80418d",
                "46723189cffd1a0cf29a1ac9f2c346cd"
            ),
            case!(
                "fingerprint_default_only",
                "7940f96ba65ad2cbca9bdd02db891e65",
                "7940f96ba65ad2cbca9bdd02db891e65"
            ),
            case!(
                "legacy_interfaces",
                "a398352669c1f5eb88db0781f5f25d86",
                "a398352669c1f5eb88db0781f5f25d86",
                store_context
            ),
            case!(
                "bare_breadcrumbs",
                "3634bc8d264bc620e01912cb55806c6b",
                "3634bc8d264bc620e01912cb55806c6b"
            ),
            case!(
                "top_level_stacktrace",
                "5fe0075c1fddfdc7c17d4207ce2e2cd3",
                "5fe0075c1fddfdc7c17d4207ce2e2cd3"
            ),
            case!(
                "garbage_fields",
                "8374dbb14eb845b782693b0af2b0a8bc",
                "8374dbb14eb845b782693b0af2b0a8bc"
            ),
            case!(
                "odd_scalars",
                "f968a13acd7bd2e33556e24e0dc5f18b",
                "f968a13acd7bd2e33556e24e0dc5f18b"
            ),
            case!(
                "long_fields",
                "0e20bca02a0398abf50b7713576b72f3",
                "0e20bca02a0398abf50b7713576b72f3"
            ),
            case!(
                "duplicate_keys",
                "2fb61ace09983fa493cef5ddfdab2637",
                "2fb61ace09983fa493cef5ddfdab2637"
            ),
        ]
    }

    /// A value as a reader of the stored body sees it: written by sonic-rs (as
    /// `issue::body` does), read back by serde_json.
    fn stored<T: Serialize>(value: &T) -> Value {
        serde_json::from_str(&sonic_rs::to_string(value).unwrap()).unwrap()
    }

    fn frames_json(frames: &[Frame]) -> Value {
        frames
            .iter()
            .map(|f| {
                json!({
                    "filename": f.filename, "abs_path": f.abs_path, "module": f.module,
                    "function": f.function, "lineno": f.lineno, "in_app": f.in_app,
                    "context_line": f.context_line, "platform": f.platform,
                })
            })
            .collect()
    }

    fn snapshot(event: &NormalizedEvent) -> Value {
        let summary = summarize(event);
        let exceptions: Value = event
            .exceptions
            .iter()
            .map(|e| {
                json!({
                    "ty": e.ty, "value": e.value, "module": e.module,
                    "mechanism_synthetic": e.mechanism_synthetic,
                    "frames": frames_json(&e.frames),
                })
            })
            .collect();
        let time = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
        };
        json!({
            "grouping_hash": legacy_grouping_hash(event),
            "default_hash": legacy_default_hash(event),
            "summary": {
                "title": summary.title,
                "culprit": summary.culprit,
                "metadata": summary.metadata,
                "issue_type": summary.issue_type,
                "level": summary.level,
                "platform": summary.platform,
            },
            "event": {
                "event_id": event.event_id,
                "timestamp": time(event.timestamp),
                "received": time(event.received),
                "level": event.level,
                "platform": event.platform,
                "logger": event.logger,
                "release": event.release,
                "dist": event.dist,
                "environment": event.environment,
                "message": event.message,
                "exceptions": exceptions,
                "tags": event.tags,
                "user": event.user.as_ref().map(stored),
                "user_key": event.user_key,
                "fingerprint": event.fingerprint,
                "transaction": event.transaction,
                "culprit": event.culprit,
                "request_url": event.request_url,
                "event_type": event.event_type,
            },
            "data": stored(&event.data),
        })
    }

    #[test]
    fn golden_events_normalize_group_and_summarize_exactly_as_recorded() {
        for case in cases() {
            let event = normalize(parse(case.raw), &(case.context)()).unwrap();
            let actual = snapshot(&event);
            let expected: Value = serde_json::from_str(case.expected).unwrap();

            assert_eq!(
                legacy_grouping_hash(&event),
                case.grouping_hash,
                "{}",
                case.name
            );
            assert_eq!(
                legacy_default_hash(&event),
                case.default_hash,
                "{}",
                case.name
            );
            for part in ["grouping_hash", "default_hash", "summary", "event", "data"] {
                assert_eq!(actual[part], expected[part], "{}: {part}", case.name);
            }
        }
    }
}
