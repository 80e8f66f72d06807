//! Issue fields derived from an event: title, culprit, metadata, type, level, platform.
//!
//! Follows Sentry's `get_culprit`/`get_frame_culprit` and the error/default event types.

use serde_json::{json, Map, Value};

use super::normalize::{frames_of, Frame, NormalizedEvent};
use super::truncate_chars;

/// What an issue shows about its latest event.
///
/// JSON (metadata of an error): `{"type": "KeyError", "value": "'sku'",
/// "filename": "shop/views.py", "function": "checkout"}`; of a default event:
/// `{"title": "payment gateway timed out"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueSummary {
    /// `"{type}: {first line of value}"` for errors, the message's first line otherwise.
    pub title: String,
    /// Where it happened: client culprit, transaction, crash frame or request URL (≤ 200).
    pub culprit: String,
    /// `{type, value, filename, function}` for errors, `{title}` for default events.
    pub metadata: Value,
    /// `error` or `default`.
    pub issue_type: String,
    /// The event level.
    pub level: String,
    /// The event platform.
    pub platform: String,
}

/// The issue fields for `event`.
pub fn summarize(event: &NormalizedEvent) -> IssueSummary {
    let frames = culprit_frames(event);
    let frame = crash_frame(&frames);
    let (mut title, mut metadata) = match event.exceptions.last() {
        Some(main) => error_title_and_metadata(main, frame),
        None => default_title_and_metadata(event),
    };
    if let Some(client_title) = event.data.get("title").and_then(Value::as_str) {
        if !client_title.trim().is_empty() {
            title = client_title.to_string();
            metadata.insert("title".into(), json!(client_title));
        }
    }
    IssueSummary {
        title,
        culprit: culprit(event, frame),
        metadata: Value::Object(metadata),
        issue_type: event.event_type.clone(),
        level: event.level.clone(),
        platform: event.platform.clone(),
    }
}

/// The main exception's frames, or the top-level stack trace's.
fn culprit_frames(event: &NormalizedEvent) -> Vec<Frame> {
    match event.exceptions.last() {
        Some(main) if !main.frames.is_empty() => main.frames.clone(),
        _ => frames_of(event.data.get("stacktrace")),
    }
}

/// Newest to oldest, the first in-app frame; else the newest frame.
fn crash_frame(frames: &[Frame]) -> Option<&Frame> {
    frames
        .iter()
        .rev()
        .find(|f| f.in_app == Some(true))
        .or(frames.last())
}

fn error_title_and_metadata(
    main: &super::Exception,
    frame: Option<&Frame>,
) -> (String, Map<String, Value>) {
    let ty = truncate_chars(main.ty.as_deref().unwrap_or("Error"), 128);
    let value = truncate_chars(main.value.as_deref().unwrap_or(""), 1024);
    let function = frame.and_then(|f| f.function.clone());
    let title = if main.mechanism_synthetic {
        function.clone().unwrap_or_else(|| "<unknown>".into())
    } else if value.is_empty() {
        ty.clone()
    } else {
        format!("{ty}: {}", first_line(&value, 100))
    };
    let mut metadata = Map::new();
    if !main.mechanism_synthetic {
        metadata.insert("type".into(), json!(ty));
    }
    metadata.insert("value".into(), json!(value));
    if let Some(filename) = frame.and_then(|f| f.filename.clone().or(f.abs_path.clone())) {
        metadata.insert("filename".into(), json!(filename));
    }
    if let Some(function) = function {
        metadata.insert("function".into(), json!(function));
    }
    (title, metadata)
}

fn default_title_and_metadata(event: &NormalizedEvent) -> (String, Map<String, Value>) {
    let title = event
        .message
        .as_deref()
        .map(|m| first_line(m, 100))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "<unlabeled event>".to_string());
    let mut metadata = Map::new();
    metadata.insert("title".into(), json!(title));
    (title, metadata)
}

fn first_line(text: &str, max: usize) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    truncate_chars(line, max)
}

/// Client culprit, else transaction, else the crash frame, else `request.url`; ≤ 200.
fn culprit(event: &NormalizedEvent, frame: Option<&Frame>) -> String {
    let culprit = event
        .culprit
        .clone()
        .or_else(|| event.transaction.clone())
        .or_else(|| {
            frame
                .map(|f| frame_culprit(f, &event.platform))
                .filter(|c| !c.is_empty())
        })
        .or_else(|| event.request_url.clone())
        .unwrap_or_default();
    truncate_chars(&culprit, 200)
}

/// `function` for native code, `function(file)` for JavaScript, `file in function` otherwise.
fn frame_culprit(frame: &Frame, event_platform: &str) -> String {
    let platform = frame.platform.as_deref().unwrap_or(event_platform);
    let function = frame.function.as_deref().unwrap_or("?");
    if matches!(platform, "native" | "cocoa" | "objc") {
        return function.to_string();
    }
    let Some(location) = frame.module.as_deref().or(frame.filename.as_deref()) else {
        return String::new();
    };
    if matches!(platform, "javascript" | "node") {
        format!("{function}({location})")
    } else {
        format!("{location} in {function}")
    }
}
