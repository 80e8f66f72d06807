//! Grouping: which issue an event belongs to, as a 32-hex md5 hash.
//!
//! Precedence: client `fingerprint` → stack trace → exception type and value → message
//! → a constant `default` group. Line numbers, local variables and exception values of
//! events with stack traces never affect the hash, so one bug stays one issue.

use std::sync::OnceLock;

use md5::{Digest, Md5};
use regex::Regex;
use serde_json::Value;

use super::normalize::{frames_of, Frame, NormalizedEvent};

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
    let top_level = frames_of(event.data.get("stacktrace"));
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
    event
        .data
        .get("logentry")
        .and_then(|l| l.get("message"))
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
