//! A short, human summary of an event's payload for `log show`.

use serde_json::Value;

/// Fields left out of summaries: shown elsewhere on the line (`at`), or too long to
/// help (`data`, `metadata`, `tags`, `hash`).
const SKIPPED: &[&str] = &[
    "at",
    "data",
    "metadata",
    "tags",
    "hash",
    "received",
    "culprit",
    "first_seen",
    "token_hash",
    "secret_key",
];

/// Longest value shown, and longest summary, in characters.
const VALUE_CHARS: usize = 40;
const SUMMARY_CHARS: usize = 160;

/// `key=value` pairs of the payload's fields (`{"Variant": {...}}`), by key, with
/// long values cut.
pub fn summarize(event_type: &str, payload: &Value) -> String {
    let fields = payload.get(event_type).unwrap_or(payload);
    let Some(fields) = fields.as_object() else {
        return cut(&fields.to_string(), SUMMARY_CHARS);
    };
    let mut fields: Vec<(&String, &Value)> = fields.iter().collect();
    fields.sort_by_key(|(key, _)| key.as_str());
    let parts: Vec<String> = fields
        .into_iter()
        .filter(|(key, value)| !SKIPPED.contains(&key.as_str()) && !value.is_null())
        .map(|(key, value)| format!("{key}={}", show(value)))
        .collect();
    cut(&parts.join(" "), SUMMARY_CHARS)
}

fn show(value: &Value) -> String {
    match value {
        Value::String(text) if !text.contains(' ') && !text.is_empty() => cut(text, VALUE_CHARS),
        other => cut(&other.to_string(), VALUE_CHARS),
    }
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_summary_lists_the_fields_that_matter_and_cuts_long_ones() {
        let payload = json!({"IssueResolved": {
            "at": "2026-01-10T12:00:00Z",
            "details": {"type": "in_release", "version": "1.2.0"},
            "actor": "user:1",
            "note": null,
        }});
        assert_eq!(
            summarize("IssueResolved", &payload),
            r#"actor=user:1 details={"type":"in_release","version":"1.2.0"}"#
        );
        let long = "x".repeat(100);
        assert_eq!(
            summarize("CommentAdded", &json!({"CommentAdded": {"text": long}})),
            format!("text={}…", "x".repeat(40))
        );
    }
}
