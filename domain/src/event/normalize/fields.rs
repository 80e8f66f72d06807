//! Scalar top-level fields: timestamp, level, platform, logger, release, dist, environment.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sonic_rs::{JsonNumberTrait, JsonValueTrait, Value, ValueRef};

use super::exception::scalar_string;
use crate::event::truncate_chars;

/// Platforms Relay accepts; anything else becomes `other`.
const VALID_PLATFORMS: &[&str] = &[
    "as3",
    "c",
    "cfml",
    "cocoa",
    "csharp",
    "elixir",
    "haskell",
    "go",
    "groovy",
    "java",
    "javascript",
    "native",
    "node",
    "objc",
    "other",
    "perl",
    "php",
    "python",
    "ruby",
];

/// Sentry's `MAX_SECS_IN_FUTURE`.
const MAX_SECS_IN_FUTURE: i64 = 60;
/// Sentry's `MAX_SECS_IN_PAST` (30 days).
const MAX_SECS_IN_PAST: i64 = 30 * 24 * 3600;

/// The event time: RFC 3339 (offset optional) or Unix seconds; the receive time when
/// missing, unreadable, more than 60 s ahead or more than 30 days behind.
pub(crate) fn timestamp(value: Option<&Value>, received: DateTime<Utc>) -> DateTime<Utc> {
    let parsed = match value.map(Value::as_ref) {
        Some(ValueRef::Number(n)) => n.as_f64().and_then(from_unix_seconds),
        Some(ValueRef::String(s)) => parse_time_string(s),
        _ => None,
    };
    match parsed {
        Some(t) if t > received + Duration::seconds(MAX_SECS_IN_FUTURE) => received,
        Some(t) if t < received - Duration::seconds(MAX_SECS_IN_PAST) => received,
        Some(t) => t,
        None => received,
    }
}

fn parse_time_string(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    s.parse::<f64>().ok().and_then(from_unix_seconds)
}

fn from_unix_seconds(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() || secs.abs() > 1e13 {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos)
}

/// A time as float Unix seconds with microsecond precision, as Relay writes it.
pub(crate) fn unix_seconds(t: DateTime<Utc>) -> Value {
    let micros = t.timestamp_micros();
    Value::new_f64(micros as f64 / 1_000_000.0).unwrap_or_default()
}

/// `fatal|error|warning|info|debug`; `warn` → `warning`, `critical` → `fatal`,
/// Python logging numbers map to their names; anything else → `error`.
pub(crate) fn level(value: Option<&Value>) -> String {
    match value.map(Value::as_ref) {
        Some(ValueRef::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            l @ ("fatal" | "error" | "warning" | "info" | "debug") => l.to_string(),
            "warn" => "warning".into(),
            "critical" => "fatal".into(),
            "log" => "info".into(),
            _ => "error".into(),
        },
        Some(ValueRef::Number(n)) => match n.as_u64() {
            Some(10) => "debug".into(),
            Some(20) => "info".into(),
            Some(30) => "warning".into(),
            Some(50) => "fatal".into(),
            _ => "error".into(),
        },
        _ => "error".into(),
    }
}

/// The event platform if valid, else the hint if valid, else `other`.
pub(crate) fn platform(value: Option<&Value>, hint: Option<&str>) -> String {
    let valid = |p: &str| VALID_PLATFORMS.contains(&p);
    value
        .and_then(Value::as_str)
        .filter(|p| valid(p))
        .or(hint.filter(|p| valid(p)))
        .unwrap_or("other")
        .to_string()
}

/// The logger name, cut to 64 characters; `""` by default.
pub(crate) fn logger(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .map(|l| truncate_chars(l.trim(), 64))
        .unwrap_or_default()
}

/// The release if Sentry would accept it: not empty, `.`, `..` or `latest`, at most 200
/// characters, and free of newlines, tabs, slashes and backslashes.
pub(crate) fn release(value: Option<&Value>) -> Option<String> {
    let release = scalar_string(value)?;
    let release = release.trim();
    let bad_char = release
        .chars()
        .any(|c| matches!(c, '\r' | '\n' | '\x0c' | '\t' | '/' | '\\'));
    let reserved = matches!(release, "" | "." | "..") || release.eq_ignore_ascii_case("latest");
    if bad_char || reserved || release.chars().count() > 200 {
        return None;
    }
    Some(release.to_string())
}

/// The distribution, trimmed and cut to 64 characters; empty → `None`.
pub(crate) fn dist(value: Option<&Value>) -> Option<String> {
    let dist = scalar_string(value)?;
    let dist = dist.trim();
    (!dist.is_empty()).then(|| truncate_chars(dist, 64))
}

/// The environment if valid (at most 64 characters, no `/` or newlines), else `None`.
pub(crate) fn environment(value: Option<&str>) -> Option<String> {
    let env = value?.trim();
    let bad = env.is_empty() || env.contains(['/', '\n', '\r']) || env.chars().count() > 64;
    (!bad).then(|| env.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sonic_rs::json;

    fn received() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn rfc3339_naive_and_unix_timestamps_are_all_accepted() {
        let expected = Utc.with_ymd_and_hms(2024, 6, 1, 11, 59, 0).unwrap();
        for raw in [
            json!("2024-06-01T11:59:00Z"),
            json!("2024-06-01T13:59:00+02:00"),
            json!("2024-06-01T11:59:00.000000"),
            json!(expected.timestamp()),
            json!(expected.timestamp() as f64),
        ] {
            assert_eq!(timestamp(Some(&raw), received()), expected, "{raw}");
        }
    }

    #[test]
    fn a_fractional_unix_timestamp_keeps_its_milliseconds() {
        let t = timestamp(Some(&json!(1717243140.25)), received());

        assert_eq!(t.timestamp_millis(), 1717243140250);
    }

    #[test]
    fn timestamps_too_far_ahead_or_behind_or_unreadable_become_the_receive_time() {
        for raw in [
            json!("2024-06-01T12:01:01Z"),
            json!("2024-04-30T12:00:00Z"),
            json!("yesterday"),
            json!(f64::MAX),
            json!(null),
        ] {
            assert_eq!(timestamp(Some(&raw), received()), received(), "{raw}");
        }
        assert_eq!(timestamp(None, received()), received());
    }

    #[test]
    fn level_aliases_map_to_sentry_levels_and_unknown_levels_to_error() {
        let cases = [
            (json!("warn"), "warning"),
            (json!("CRITICAL"), "fatal"),
            (json!("info"), "info"),
            (json!("nonsense"), "error"),
            (json!(30), "warning"),
        ];
        for (raw, expected) in cases {
            assert_eq!(level(Some(&raw)), expected);
        }
        assert_eq!(level(None), "error");
    }

    #[test]
    fn an_invalid_platform_falls_back_to_the_hint_then_other() {
        assert_eq!(platform(Some(&json!("python")), None), "python");
        assert_eq!(platform(Some(&json!("cobol")), Some("node")), "node");
        assert_eq!(platform(None, Some("cobol")), "other");
    }

    #[test]
    fn releases_sentry_refuses_are_dropped() {
        for bad in ["latest", ".", "..", "a/b", "line\nbreak", ""] {
            assert_eq!(release(Some(&json!(bad))), None, "{bad:?}");
        }
        assert_eq!(
            release(Some(&json!("shop-api@1.4.2"))),
            Some("shop-api@1.4.2".into())
        );
        assert_eq!(release(Some(&json!(&"r".repeat(201)))), None);
    }
}
