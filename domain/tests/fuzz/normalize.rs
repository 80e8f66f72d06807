//! Target `normalize`: any JSON value normalizes or is refused, and a normalized event
//! is well-formed (and can be summarized and grouped).

use chrono::{DateTime, Duration, TimeZone, Utc};
use faultline_domain::event::{
    check_json_depth, grouping_hash, normalize, summarize, NormalizeContext, MAX_JSON_DEPTH,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value};
use sonic_rs::JsonValueTrait;

use crate::harness::{mutated, run_fixed, run_long, seeds};

/// Pieces of JSON and of event payloads for the token edit.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"0",
    b"-1",
    b"1e308",
    b"-0.0",
    b"18446744073709551616",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"{}",
    b"[]",
    b"\"exception\":",
    b"\"values\":",
    b"\"stacktrace\":",
    b"\"frames\":",
    b"\"tags\":",
    b"\"user\":",
    b"\"timestamp\":",
    b"\"fingerprint\":",
    b"\"message\":",
    b"\"logentry\":",
    b"\"contexts\":",
    b"\"request\":",
    b"\"breadcrumbs\":",
    b"\"{{ default }}\"",
];

/// Keys Sentry events use, so generated objects reach the normalizer's branches.
const KEYS: &[&str] = &[
    "event_id",
    "timestamp",
    "start_timestamp",
    "received",
    "level",
    "platform",
    "logger",
    "release",
    "dist",
    "environment",
    "message",
    "logentry",
    "formatted",
    "params",
    "exception",
    "values",
    "type",
    "value",
    "module",
    "stacktrace",
    "frames",
    "filename",
    "function",
    "lineno",
    "colno",
    "in_app",
    "abs_path",
    "vars",
    "mechanism",
    "handled",
    "synthetic",
    "thread_id",
    "threads",
    "tags",
    "user",
    "id",
    "email",
    "username",
    "ip_address",
    "fingerprint",
    "transaction",
    "culprit",
    "request",
    "url",
    "headers",
    "env",
    "REMOTE_ADDR",
    "contexts",
    "os",
    "browser",
    "runtime",
    "name",
    "version",
    "sdk",
    "breadcrumbs",
    "extra",
    "server_name",
    "site",
    "modules",
    "errors",
    "data",
    "sentry.interfaces.Exception",
    "sentry.interfaces.Message",
    "sentry.interfaces.User",
    "sentry.interfaces.Http",
    "sentry.interfaces.Stacktrace",
    "",
];

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
}

fn context() -> NormalizeContext {
    NormalizeContext {
        received: received(),
        client_ip: Some("198.51.100.4".into()),
        // The ingest endpoint always passes one (the envelope's, the payload's or a
        // fresh uuid), so normalize only refuses payloads that are not objects.
        event_id: Some("9ec79c33ec9942ab8353589fcb2e04dc".into()),
        sdk_name_version: Some("sentry.python/2.0.0".into()),
        platform_hint: None,
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(KEYS).prop_map(String::from),
        1 => any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(vec![
            "",
            "error",
            "FATAL",
            "python",
            "javascript",
            "{{ default }}",
            "{{auto}}",
            "9ec79c33ec9942ab8353589fcb2e04dc",
            "9EC79C33-EC99-42AB-8353-589FCB2E04DC",
            "2026-03-15T12:00:00Z",
            "2026-02-30T25:00:00",
            "1710504000.5",
            "-1e400",
            "\u{0}",
            "\u{202e}",
            "a\nb",
            "x:y",
            "https://x.test/a?b=c#d",
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        (1usize..20_000).prop_map(|n| Value::from("é".repeat(n))),
    ]
}

/// Any JSON value, biased towards objects with event keys.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(8, 128, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arbitrary_event() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json_value()), 0..12)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

fn seed_events() -> Vec<Value> {
    seeds("normalize")
        .into_iter()
        .map(|(name, bytes)| {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("seed {name}: {e}"))
        })
        .collect()
}

/// `value` with the node at `path` (followed as far as it goes) replaced by `new`.
fn replace_at(value: &mut Value, path: &[Index], new: Value) {
    let child = match (value, path.split_first()) {
        (Value::Object(map), Some((i, _))) if !map.is_empty() => {
            let key = map.keys().nth(i.index(map.len())).cloned().unwrap();
            map.get_mut(&key)
        }
        (Value::Array(items), Some((i, _))) if !items.is_empty() => {
            let at = i.index(items.len());
            items.get_mut(at)
        }
        (value, _) => {
            *value = new;
            return;
        }
    };
    replace_at(child.unwrap(), &path[1..], new);
}

/// A real event with one subtree replaced by an arbitrary value.
fn seed_with_replacement() -> impl Strategy<Value = Value> {
    let events = seed_events();
    (
        any::<Index>(),
        prop::collection::vec(any::<Index>(), 0..8),
        json_value(),
    )
        .prop_map(move |(seed, path, new)| {
            let mut event = events[seed.index(events.len())].clone();
            replace_at(&mut event, &path, new);
            event
        })
}

/// A seed's bytes with edits applied, parsed as the ingest endpoint does.
fn byte_mutated() -> impl Strategy<Value = Value> {
    let bytes = seeds("normalize").into_iter().map(|(_, b)| b).collect();
    mutated(bytes, TOKENS).prop_map(|bytes| {
        check_json_depth(&bytes, MAX_JSON_DEPTH)
            .ok()
            .and_then(|()| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null)
    })
}

fn inputs() -> impl Strategy<Value = Value> {
    prop_oneof![arbitrary_event(), seed_with_replacement(), byte_mutated()]
}

fn is_event_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Never panics; a normalized event has the shape the rest of Faultline relies on.
fn check(raw: Value) -> Result<(), TestCaseError> {
    let ctx = context();
    // Into sonic-rs's arena as the ingest endpoint parses a payload.
    let raw: sonic_rs::Value = sonic_rs::from_str(&raw.to_string()).expect("JSON text parses");
    let Ok(event) = normalize(raw, &ctx) else {
        return Ok(());
    };
    prop_assert!(is_event_id(&event.event_id), "event id {}", event.event_id);
    prop_assert!(["fatal", "error", "warning", "info", "debug"].contains(&event.level.as_str()));
    prop_assert!(event.timestamp >= ctx.received - Duration::days(30));
    prop_assert!(event.timestamp <= ctx.received + Duration::seconds(60));
    prop_assert_eq!(event.event_type == "error", !event.exceptions.is_empty());
    prop_assert!(event.logger.chars().count() <= 64);
    for (key, value) in &event.tags {
        prop_assert!(!key.is_empty(), "empty tag key");
        prop_assert!(key.chars().count() <= 200 && value.chars().count() <= 200);
    }
    prop_assert!(event.data.is_object());
    prop_assert_eq!(
        event.data["event_id"].as_str(),
        Some(event.event_id.as_str())
    );
    prop_assert_eq!(event.data["level"].as_str(), Some(event.level.as_str()));
    let stored = serde_json::to_vec(&event.data).unwrap();
    prop_assert!(serde_json::from_slice::<Value>(&stored).is_ok());
    let summary = summarize(&event);
    prop_assert!(!summary.title.is_empty());
    let hash = grouping_hash(&event);
    prop_assert!(is_event_id(&hash), "hash {}", hash);
    Ok(())
}

#[test]
fn fuzz_normalize_every_seed() {
    for (name, event) in seeds("normalize").into_iter().zip(seed_events()) {
        check(event).unwrap_or_else(|e| panic!("seed {}: {e}", name.0));
    }
}

#[test]
fn fuzz_normalize_mutations_and_arbitrary_json() {
    run_fixed("normalize", 1000, inputs(), check);
}

#[test]
fn fuzz_normalize_long() {
    run_long(
        "normalize",
        inputs(),
        |value| serde_json::to_vec_pretty(value).unwrap(),
        check,
    );
}
