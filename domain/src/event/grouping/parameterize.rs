//! Message parameterisation, as Sentry's grouping does it for messages and exception
//! values that group (no stack trace): the first two lines, with emails, URLs, host
//! names, IP addresses, trace ids, UUIDs, hashes, dates and times, durations, hex,
//! floats, integers and quoted or boolean values after `=` replaced by `<name>`, so
//! `Timeout after 1503 ms` and `Timeout after 1499 ms` are one issue. The patterns,
//! Sentry's in its order (its lookarounds written as the `regex` crate allows), are
//! compiled once.

use std::sync::OnceLock;

use regex::{Captures, Regex};

struct Pattern {
    name: &'static str,
    regex: Regex,
    /// The part of a match to keep before the placeholder (`=` of `a='x'`).
    keep_prefix: bool,
}

fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let month = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
        let day = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
        let date = [
            // RFC 3339 / ISO 8601 date-times, with or without offset and fraction.
            r"\b\d{4}-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d:[0-5]\d(?:[.,]\d+)?(?:Z|[+-][0-2]\d:?[0-5]\d)?",
            // RFC 822/1123 and the JavaScript Date string.
            &format!(r"\b{day},? \d{{1,2}} {month} \d{{2,4}} [0-2]\d:[0-5]\d(?::[0-5]\d)?(?: (?:GMT|UTC|[+-]\d{{4}}))?"),
            &format!(r"\b{day} {month} \d{{1,2}} \d{{4}} [0-2]\d:[0-5]\d:[0-5]\d(?: GMT[+-]\d{{4}})?(?: \([^)]*\))?"),
            &format!(r"\b{day} {month} \d{{1,2}},? \d{{4}}"),
            r"\b\d{4}-[01]\d-[0-3]\d\b",
            r"\b[0-2]\d:[0-5]\d:[0-5]\d(?:\.\d+)?\b",
            r"\b[0-1]?\d:[0-5]\d ?(?:AM|PM|am|pm)\b",
            r"datetime\.datetime\(.*?\)",
        ]
        .join("|");
        let octet = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)";
        let list: Vec<(&'static str, String, bool)> = vec![
            ("email", r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*".into(), false),
            ("url", r"\b(?:wss?|https?|ftp)://[^\s/$.?#].[^\s]*".into(), false),
            ("hostname", r"\b(?:[a-zA-Z0-9\-]{1,63}\.)+?(?:com|net|org|io|dev|app|cloud|info|biz|co|us|uk|de|jp|fr|ru|cn|br|in|it|nl|eu|au|ca|es|ch|se|pl|COM|NET|ORG|IO)\b".into(), false),
            ("ip", format!(r"\b(?:{octet}\.){{3}}{octet}\b|\b(?:[0-9a-fA-F]{{1,4}}:){{7}}[0-9a-fA-F]{{1,4}}\b|\b(?:[0-9a-fA-F]{{1,4}}:){{1,6}}:(?:[0-9a-fA-F]{{1,4}}(?::[0-9a-fA-F]{{1,4}}){{0,5}})?\b"), false),
            ("traceparent", r"\b00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|\b1-[0-9a-f]{8}-[0-9a-f]{24}\b".into(), false),
            ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b".into(), false),
            ("sha1", r"\b[0-9a-fA-F]{40}\b".into(), false),
            ("md5", r"\b[0-9a-fA-F]{32}\b".into(), false),
            ("date", date, false),
            ("duration", r"\b\d+ms\b|\b\d+(?:\.\d+)?s\b".into(), false),
            ("hex", r"\b0[xX][0-9a-fA-F]+\b|-?\b[0-9a-f]{8,128}\b|-?\b[0-9A-F]{8,128}\b|-?\b[0-9a-f]{4,6}\b|-?\b[0-9A-F]{4,6}\b".into(), false),
            ("float", r"-?\b\d+\.\d+\b".into(), false),
            ("int", r"-?\b\d+\b".into(), false),
            ("quoted_str", r#"=(?:'[^']+'|"[^"]+")"#.into(), true),
            ("bool", r"=(?:True|true|False|false)\b".into(), true),
        ];
        list.into_iter()
            .map(|(name, pattern, keep_prefix)| Pattern {
                name,
                regex: Regex::new(&pattern).expect("parameterisation patterns are valid"),
                keep_prefix,
            })
            .collect()
    })
}

/// `message` as it groups: its first two non-empty lines (with `...` when cut), its
/// variable parts replaced.
pub fn parameterize(message: &str) -> String {
    let lines: Vec<&str> = message.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut text = lines.iter().take(2).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > 2 {
        text.push_str("...");
    }
    for pattern in patterns() {
        let placeholder = format!("<{}>", pattern.name);
        text = pattern
            .regex
            .replace_all(&text, |caps: &Captures| {
                let matched = &caps[0];
                if pattern.name == "hex" && !is_hex_id(matched) {
                    return matched.to_owned();
                }
                if pattern.keep_prefix {
                    format!("={placeholder}")
                } else {
                    placeholder.clone()
                }
            })
            .into_owned();
    }
    text
}

/// Sentry's short hex (4 to 6 digits) must mix digits and letters; longer ones and
/// `0x` literals are ids as they are.
fn is_hex_id(matched: &str) -> bool {
    let digits = matched.trim_start_matches('-');
    if digits.starts_with("0x") || digits.starts_with("0X") || digits.len() >= 8 {
        return true;
    }
    digits.bytes().any(|b| b.is_ascii_digit()) && digits.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_durations_and_ids_are_replaced() {
        for (raw, expected) in [
            ("Timeout after 1503 ms", "Timeout after <int> ms"),
            ("Timeout after 1503ms", "Timeout after <duration>"),
            (
                "testing testing 1, 2, 3",
                "testing testing <int>, <int>, <int>",
            ),
            ("took 2.5s", "took <duration>"),
            ("ratio 0.75 exceeded", "ratio <float> exceeded"),
            ("at 0xdeadbeef", "at <hex>"),
            (
                "order 6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a missing",
                "order <uuid> missing",
            ),
            (
                "commit 3f2a9c1b4d5e6f708192a3b4c5d6e7f801234567 bad",
                "commit <sha1> bad",
            ),
            ("0.0.0.0:80", "<ip>:<int>"),
            ("connect to 10.1.2.3 refused", "connect to <ip> refused"),
            ("mail bob@example.com failed", "mail <email> failed"),
            (
                "GET https://api.example.com/v1/x?id=3 failed",
                "GET <url> failed",
            ),
            ("db.internal.example.com is down", "<hostname> is down"),
            ("at 2024-06-01T12:00:00Z", "at <date>"),
            ("at 2024-06-01 and 12:30:01", "at <date> and <date>"),
            ("b='1'", "b=<quoted_str>"),
            ("a=true", "a=<bool>"),
        ] {
            assert_eq!(parameterize(raw), expected, "{raw}");
        }
    }

    #[test]
    fn words_that_look_like_hex_stay() {
        assert_eq!(parameterize("cafe face added"), "cafe face added");
    }

    #[test]
    fn only_the_first_two_lines_count() {
        assert_eq!(parameterize("first\n\nsecond\nthird 3"), "first\nsecond...");
    }
}
