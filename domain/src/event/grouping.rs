//! Grouping: which issue an event belongs to, as a 32-hex md5 hash.
//!
//! Precedence: client `fingerprint` → stack trace → exception type and value → message
//! → a constant `default` group. Line numbers, local variables and exception values of
//! events with stack traces never affect the hash, so one bug stays one issue.

use std::sync::OnceLock;

use md5::{Digest, Md5};
use regex::Regex;
use sonic_rs::{JsonValueTrait, Value};

use super::normalize::{child, frames_of, Frame, NormalizedEvent};

/// The hash from the event's own content, ignoring any client fingerprint.
///
/// Per exception: its type, then `module` (else the file's basename without revision
/// hashes) and `function` of each in-app frame, or of every frame when no frame of the
/// event is in-app; an exception without frames contributes its type and its value with
/// numbers and ids masked. Without exceptions: the top-level stack trace, else the
/// message template (ids masked), else the constant `default`.
pub fn default_hash(event: &NormalizedEvent) -> String {
    md5_hex(&default_components(event))
}

/// The issue hash: the client fingerprint when it has one, else [`default_hash`].
///
/// Fingerprint parts are hashed in order; a part that is exactly a variable is replaced by
/// its value: `{{ default }}`, `{{ type }}`/`{{ error.type }}`, `{{ value }}`/
/// `{{ error.value }}`, `{{ message }}`, `{{ level }}`, `{{ logger }}`,
/// `{{ transaction }}`, `{{ function }}`, `{{ module }}` and `{{ tags.KEY }}`. A fingerprint
/// of just `{{ default }}` gives the default hash itself.
pub fn grouping_hash(event: &NormalizedEvent) -> String {
    let Some(fingerprint) = event.fingerprint.as_deref().filter(|f| !f.is_empty()) else {
        return default_hash(event);
    };
    if let [only] = fingerprint {
        if variable_name(only) == Some("default") {
            return default_hash(event);
        }
    }
    let mut components = vec!["fingerprint".to_string()];
    components.extend(fingerprint.iter().map(|part| expand(part, event)));
    md5_hex(&components)
}

/// The name inside `{{ name }}` when the whole part is one variable.
fn variable_name(part: &str) -> Option<&str> {
    let inner = part.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    Some(inner.trim())
}

fn expand(part: &str, event: &NormalizedEvent) -> String {
    let Some(name) = variable_name(part) else {
        return part.to_string();
    };
    let main = event.exceptions.last();
    let crash_frame = main.and_then(|e| crash_frame(&e.frames));
    let value = match name {
        "default" => Some(default_hash(event)),
        "type" | "error.type" => main.and_then(|e| e.ty.clone()),
        "value" | "error.value" => main.and_then(|e| e.value.clone()),
        "message" => event.message.clone(),
        "level" => Some(event.level.clone()),
        "logger" => Some(event.logger.clone()),
        "transaction" => event.transaction.clone(),
        "function" => crash_frame.and_then(|f| f.function.clone()),
        "module" => crash_frame.and_then(|f| f.module.clone()),
        _ => match name.strip_prefix("tags.") {
            Some(key) => event
                .tags
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
            None => return part.to_string(),
        },
    };
    value.unwrap_or_default()
}

fn crash_frame(frames: &[Frame]) -> Option<&Frame> {
    frames
        .iter()
        .rev()
        .find(|f| f.in_app == Some(true))
        .or(frames.last())
}

fn default_components(event: &NormalizedEvent) -> Vec<String> {
    if !event.exceptions.is_empty() {
        return exception_components(event);
    }
    let top_level = frames_of(child(&event.data, "stacktrace"));
    if !top_level.is_empty() {
        let mut components = vec!["stacktrace".to_string()];
        let any_in_app = top_level.iter().any(|f| f.in_app == Some(true));
        push_frames(&mut components, &top_level, any_in_app);
        return components;
    }
    if let Some(message) = message_template(event) {
        return vec!["message".into(), mask_variables(&message)];
    }
    vec!["default".into()]
}

fn exception_components(event: &NormalizedEvent) -> Vec<String> {
    let any_in_app = event
        .exceptions
        .iter()
        .flat_map(|e| &e.frames)
        .any(|f| f.in_app == Some(true));
    let mut components = Vec::new();
    for exception in &event.exceptions {
        components.push(format!("type:{}", exception.ty.as_deref().unwrap_or("")));
        if exception.frames.is_empty() {
            let value = exception.value.as_deref().unwrap_or("");
            components.push(format!("value:{}", mask_variables(value)));
        } else {
            push_frames(&mut components, &exception.frames, any_in_app);
        }
    }
    components
}

fn push_frames(components: &mut Vec<String>, frames: &[Frame], in_app_only: bool) {
    for frame in frames {
        if in_app_only && frame.in_app != Some(true) {
            continue;
        }
        let location = frame
            .module
            .clone()
            .or_else(|| frame.filename.as_deref().map(normalize_filename))
            .or_else(|| frame.abs_path.as_deref().map(normalize_filename))
            .unwrap_or_default();
        components.push(format!("frame:{location}"));
        components.push(format!(
            "function:{}",
            frame.function.as_deref().unwrap_or("")
        ));
    }
}

/// The message template (`logentry.message`) if present, else the formatted message.
fn message_template(event: &NormalizedEvent) -> Option<String> {
    child(&event.data, "logentry")
        .and_then(|l| child(l, "message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| event.message.clone())
        .filter(|m| !m.is_empty())
}

/// The basename without query string and without revision-hash segments
/// (`app.3f2a9c1b.js` → `app.js`).
fn normalize_filename(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let base = path.rsplit(['/', '\\']).next().unwrap_or("");
    let segments: Vec<&str> = base.split('.').filter(|s| !is_revision_hash(s)).collect();
    segments.join(".")
}

fn is_revision_hash(segment: &str) -> bool {
    let hex_len = segment.len() >= 7 && segment.bytes().all(|b| b.is_ascii_hexdigit());
    hex_len && segment.bytes().any(|b| b.is_ascii_digit())
}

/// Masks UUIDs, hex ids and numbers so messages differing only in ids group together.
fn mask_variables(text: &str) -> String {
    static PATTERNS: OnceLock<[(Regex, &'static str); 3]> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let compile = |p: &str| Regex::new(p).expect("grouping patterns are valid");
        [
            (
                compile(
                    r"(?i)\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b",
                ),
                "<uuid>",
            ),
            (compile(r"(?i)\b0x[0-9a-f]+\b|\b[0-9a-f]{8,}\b"), "<hex>"),
            (compile(r"\d+"), "<int>"),
        ]
    });
    let mut masked = text.to_string();
    for (pattern, placeholder) in patterns {
        masked = pattern.replace_all(&masked, *placeholder).into_owned();
    }
    masked
}

fn md5_hex(components: &[String]) -> String {
    let mut hasher = Md5::new();
    for component in components {
        hasher.update((component.len() as u64).to_le_bytes());
        hasher.update(component.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::event::test_support::event;

    fn frame(module: &str, function: &str, lineno: u64, in_app: bool) -> Value {
        json!({"module": module, "function": function, "lineno": lineno, "in_app": in_app,
               "filename": format!("{}.py", module.replace('.', "/"))})
    }

    fn error(ty: &str, value: &str, frames: Vec<Value>) -> Value {
        json!({"exception": {"values": [
            {"type": ty, "value": value, "stacktrace": {"frames": frames}}
        ]}})
    }

    fn checkout_error(value: &str, app_line: u64, app_function: &str) -> NormalizedEvent {
        event(error(
            "KeyError",
            value,
            vec![
                frame("django.core.handlers.base", "_get_response", 197, false),
                frame("shop.views", app_function, app_line, true),
            ],
        ))
    }

    fn with_fingerprint(mut raw: Value, fingerprint: Value) -> NormalizedEvent {
        raw["fingerprint"] = fingerprint;
        event(raw)
    }

    #[test]
    fn the_hash_is_32_lowercase_hex_digits() {
        let hash = default_hash(&checkout_error("'sku'", 10, "checkout"));

        assert_eq!(hash.len(), 32);
        assert!(hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }

    #[test]
    fn two_events_differing_only_in_line_numbers_share_a_hash() {
        let first = checkout_error("'sku'", 10, "checkout");
        let second = checkout_error("'sku'", 99, "checkout");

        assert_eq!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn two_events_differing_only_in_exception_value_share_a_hash_when_they_have_frames() {
        let first = checkout_error("'sku'", 10, "checkout");
        let second = checkout_error("'price'", 10, "checkout");

        assert_eq!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn a_different_in_app_function_gives_a_different_hash() {
        let first = checkout_error("'sku'", 10, "checkout");
        let second = checkout_error("'sku'", 10, "refund");

        assert_ne!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn a_different_exception_type_gives_a_different_hash() {
        let frames = vec![frame("shop.views", "checkout", 10, true)];
        let key_error = event(error("KeyError", "x", frames.clone()));
        let value_error = event(error("ValueError", "x", frames));

        assert_ne!(default_hash(&key_error), default_hash(&value_error));
    }

    #[test]
    fn system_frames_do_not_count_when_any_frame_is_in_app() {
        let app = frame("shop.views", "checkout", 10, true);
        let first = event(error(
            "E",
            "x",
            vec![frame("lib.a", "run", 1, false), app.clone()],
        ));
        let second = event(error("E", "x", vec![frame("lib.b", "go", 2, false), app]));

        assert_eq!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn all_frames_count_when_no_frame_is_in_app() {
        let first = event(error("E", "x", vec![frame("lib.a", "run", 1, false)]));
        let second = event(error("E", "x", vec![frame("lib.b", "run", 1, false)]));

        assert_ne!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn every_exception_of_the_chain_contributes() {
        let cause = json!({"type": "IOError", "value": "disk"});
        let main = json!({"type": "E", "value": "x",
                          "stacktrace": {"frames": [frame("shop.views", "checkout", 1, true)]}});
        let chained = event(json!({"exception": [cause, main.clone()]}));
        let alone = event(json!({"exception": [main]}));

        assert_ne!(default_hash(&chained), default_hash(&alone));
    }

    #[test]
    fn frames_without_module_use_the_basename_without_revision_hashes() {
        let js = |path: &str| {
            event(error(
                "TypeError",
                "x",
                vec![json!({"filename": path, "function": "render", "in_app": true, "lineno": 3})],
            ))
        };
        let first = js("https://cdn.example.com/static/app.3f2a9c1b.js?v=1");
        let second = js("https://other.example.com/assets/app.9d8e7f60.js");

        assert_eq!(default_hash(&first), default_hash(&second));
        assert_eq!(normalize_filename("/srv/app/shop/views.py"), "views.py");
    }

    #[test]
    fn exceptions_without_frames_group_by_type_and_value_with_numbers_masked() {
        let first = event(error(
            "TimeoutError",
            "request 1234 timed out after 30s",
            vec![],
        ));
        let second = event(error(
            "TimeoutError",
            "request 98 timed out after 5s",
            vec![],
        ));
        let other = event(error("TimeoutError", "connection refused", vec![]));

        assert_eq!(default_hash(&first), default_hash(&second));
        assert_ne!(default_hash(&first), default_hash(&other));
    }

    #[test]
    fn messages_differing_only_in_ids_share_a_hash() {
        let first = event(
            json!({"message": "order 42 for 0x7ffe12 in 9ec79c33-ec99-42ab-8353-589fcb2e04dc failed"}),
        );
        let second = event(
            json!({"message": "order 7 for 0xdead in 11111111-2222-3333-4444-555555555555 failed"}),
        );
        let other = event(json!({"message": "order 42 shipped"}));

        assert_eq!(default_hash(&first), default_hash(&second));
        assert_ne!(default_hash(&first), default_hash(&other));
    }

    #[test]
    fn a_message_groups_by_its_template_not_its_params() {
        let first = event(json!({"logentry": {"message": "user %s logged in", "params": ["ann"]}}));
        let second =
            event(json!({"logentry": {"message": "user %s logged in", "params": ["bob"]}}));

        assert_eq!(default_hash(&first), default_hash(&second));
    }

    #[test]
    fn an_event_with_nothing_usable_falls_into_one_constant_group() {
        let first = event(json!({"level": "info"}));
        let second = event(json!({"platform": "python"}));

        assert_eq!(default_hash(&first), default_hash(&second));
        assert_ne!(
            default_hash(&first),
            default_hash(&event(json!({"message": "x"})))
        );
    }

    #[test]
    fn a_message_event_with_a_top_level_stacktrace_groups_by_its_frames() {
        let with_frames = |message: &str| {
            event(json!({"message": message,
                         "stacktrace": {"frames": [frame("shop.jobs", "run", 1, true)]}}))
        };

        assert_eq!(
            default_hash(&with_frames("first")),
            default_hash(&with_frames("second"))
        );
    }

    #[test]
    fn no_fingerprint_means_the_default_hash() {
        let event = checkout_error("'sku'", 10, "checkout");

        assert_eq!(grouping_hash(&event), default_hash(&event));
    }

    #[test]
    fn a_lone_default_variable_in_either_spelling_means_the_default_hash() {
        let raw = error("E", "x", vec![frame("shop.views", "checkout", 1, true)]);
        for spelling in ["{{ default }}", "{{default}}"] {
            let event = with_fingerprint(raw.clone(), json!([spelling]));

            assert_eq!(grouping_hash(&event), default_hash(&event), "{spelling}");
        }
    }

    #[test]
    fn a_custom_fingerprint_merges_events_with_different_stacks() {
        let first = with_fingerprint(
            error("E", "x", vec![frame("shop.a", "one", 1, true)]),
            json!(["database-unavailable"]),
        );
        let second = with_fingerprint(
            error("F", "y", vec![frame("shop.b", "two", 1, true)]),
            json!(["database-unavailable"]),
        );

        assert_eq!(grouping_hash(&first), grouping_hash(&second));
        assert_ne!(grouping_hash(&first), default_hash(&first));
    }

    #[test]
    fn default_plus_a_literal_splits_an_existing_group() {
        let raw = error("E", "x", vec![frame("shop.views", "checkout", 1, true)]);
        let eu = with_fingerprint(raw.clone(), json!(["{{ default }}", "eu"]));
        let us = with_fingerprint(raw, json!(["{{default}}", "us"]));

        assert_ne!(grouping_hash(&eu), grouping_hash(&us));
        assert_ne!(grouping_hash(&eu), default_hash(&eu));
    }

    #[test]
    fn fingerprint_variables_expand_to_the_event_values() {
        let raw = |ty: &str, region: &str| {
            let mut raw = error(ty, "x", vec![]);
            raw["tags"] = json!({"region": region});
            raw["fingerprint"] = json!(["{{ error.type }}", "{{ tags.region }}", "{{ level }}"]);
            event(raw)
        };

        assert_eq!(
            grouping_hash(&raw("E", "eu")),
            grouping_hash(&raw("E", "eu"))
        );
        assert_ne!(
            grouping_hash(&raw("E", "eu")),
            grouping_hash(&raw("E", "us"))
        );
        assert_ne!(
            grouping_hash(&raw("E", "eu")),
            grouping_hash(&raw("F", "eu"))
        );
        assert_eq!(expand("{{ type }}", &raw("E", "eu")), "E");
        assert_eq!(expand("{{ unknown }}", &raw("E", "eu")), "{{ unknown }}");
    }

    #[test]
    fn fingerprint_parts_are_hashed_in_order_and_not_concatenated_ambiguously() {
        let raw = json!({"message": "x"});
        let ab_c = with_fingerprint(raw.clone(), json!(["ab", "c"]));
        let a_bc = with_fingerprint(raw.clone(), json!(["a", "bc"]));
        let c_ab = with_fingerprint(raw, json!(["c", "ab"]));

        assert_ne!(grouping_hash(&ab_c), grouping_hash(&a_bc));
        assert_ne!(grouping_hash(&ab_c), grouping_hash(&c_ab));
    }
}
