//! Issue fields derived from an event: title, culprit, metadata, type, level, platform.
//!
//! Follows Sentry's `get_culprit`/`get_frame_culprit` and the error/default event types.

use std::borrow::Cow;

use serde_json::{json, Map, Value};
use sonic_rs::JsonValueTrait;

use super::normalize::{child, frames_of, Frame, NormalizedEvent};
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
    /// `{type, value, filename, function}` for errors, `{title}` for default events. A
    /// serde_json value: small, built here, and stored in a domain event.
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
    if let Some(client_title) = child(&event.data, "title").and_then(|t| t.as_str()) {
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
fn culprit_frames(event: &NormalizedEvent) -> Cow<'_, [Frame]> {
    match event.exceptions.last() {
        Some(main) if !main.frames.is_empty() => Cow::Borrowed(&main.frames),
        _ => Cow::Owned(frames_of(child(&event.data, "stacktrace"))),
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

/// `function` for native code, `function(file)` for JavaScript, `file in function`
/// otherwise; with the names grouping uses where it takes out generated parts (Java
/// accessors and proxies, ERB template suffixes, ...), so an issue's culprit does not
/// change with a redeploy.
fn frame_culprit(frame: &Frame, event_platform: &str) -> String {
    let platform = frame.platform.as_deref().unwrap_or(event_platform);
    let key = super::grouping::frames::frame_key(frame, event_platform);
    let function = key
        .as_ref()
        .and_then(|k| k.function.as_deref())
        .or(frame.function.as_deref())
        .unwrap_or("?");
    if matches!(platform, "native" | "cocoa" | "objc") {
        return function.to_string();
    }
    let module = frame.module.as_deref().map(|m| {
        key.as_ref()
            .and_then(|k| k.location.as_deref())
            .unwrap_or(m)
    });
    let Some(location) = module.or(frame.filename.as_deref()) else {
        return String::new();
    };
    if matches!(platform, "javascript" | "node") {
        format!("{function}({location})")
    } else {
        format!("{location} in {function}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::event::test_support::event;

    fn python_error(value: &str, frames: Value) -> Value {
        json!({"platform": "python", "exception": {"values": [
            {"type": "KeyError", "value": value, "stacktrace": {"frames": frames}}
        ]}})
    }

    fn app_frames() -> Value {
        json!([
            {"module": "shop.views", "filename": "shop/views.py", "function": "checkout", "in_app": true},
            {"module": "shop.cart", "filename": "shop/cart.py", "function": "total", "in_app": true},
            {"module": "decimal", "filename": "decimal.py", "function": "__add__", "in_app": false}
        ])
    }

    #[test]
    fn an_error_title_is_the_type_and_the_first_line_of_the_value() {
        let summary = summarize(&event(python_error("'sku'\nmore detail", app_frames())));

        assert_eq!(summary.title, "KeyError: 'sku'");
        assert_eq!(summary.issue_type, "error");
        assert_eq!(summary.level, "error");
        assert_eq!(summary.platform, "python");
    }

    #[test]
    fn a_long_value_is_cut_to_100_characters_in_the_title() {
        let summary = summarize(&event(python_error(&"v".repeat(300), app_frames())));

        assert_eq!(summary.title, format!("KeyError: {}...", "v".repeat(97)));
        assert_eq!(summary.metadata["value"], "v".repeat(300));
    }

    #[test]
    fn an_error_without_a_value_is_titled_by_its_type_alone() {
        let summary = summarize(&event(json!({"exception": [{"type": "StopIteration"}]})));

        assert_eq!(summary.title, "StopIteration");
    }

    #[test]
    fn the_culprit_is_the_newest_in_app_frame_as_module_in_function() {
        let summary = summarize(&event(python_error("'sku'", app_frames())));

        assert_eq!(summary.culprit, "shop.cart in total");
        assert_eq!(
            summary.metadata,
            json!({"type": "KeyError", "value": "'sku'", "filename": "shop/cart.py", "function": "total"})
        );
    }

    #[test]
    fn without_in_app_frames_the_culprit_is_the_newest_frame() {
        let frames = json!([
            {"module": "a", "function": "f", "in_app": false},
            {"module": "b", "function": "g"}
        ]);

        let summary = summarize(&event(python_error("x", frames)));

        assert_eq!(summary.culprit, "b in g");
    }

    #[test]
    fn a_client_culprit_wins_then_the_transaction() {
        let mut raw = python_error("x", app_frames());
        raw["transaction"] = json!("/checkout/{id}");
        assert_eq!(summarize(&event(raw.clone())).culprit, "/checkout/{id}");

        raw["culprit"] = json!("client says");
        assert_eq!(summarize(&event(raw)).culprit, "client says");
    }

    #[test]
    fn javascript_and_native_frames_format_the_culprit_their_own_way() {
        let js = json!({"platform": "javascript", "exception": [{"type": "TypeError", "stacktrace":
            {"frames": [{"filename": "app.js", "function": "render", "in_app": true}]}}]});
        let native = json!({"platform": "native", "exception": [{"type": "SIGSEGV", "stacktrace":
            {"frames": [{"filename": "main.c", "function": "main", "in_app": true}]}}]});

        assert_eq!(summarize(&event(js)).culprit, "render(app.js)");
        assert_eq!(summarize(&event(native)).culprit, "main");
    }

    #[test]
    fn the_request_url_is_the_culprit_when_nothing_else_is_known() {
        let raw = json!({"exception": [{"type": "E"}], "request": {"url": "https://x.test/pay"}});

        assert_eq!(summarize(&event(raw)).culprit, "https://x.test/pay");
    }

    #[test]
    fn the_culprit_is_cut_to_200_characters() {
        let raw = json!({"message": "m", "transaction": "t".repeat(300)});

        assert_eq!(summarize(&event(raw)).culprit.chars().count(), 200);
    }

    #[test]
    fn a_synthetic_exception_is_titled_by_its_function_and_has_no_type() {
        let raw = json!({"platform": "native", "exception": [{"type": "0xc0000005", "value": "x",
            "mechanism": {"type": "minidump", "synthetic": true},
            "stacktrace": {"frames": [{"function": "crash_here", "in_app": true}]}}]});

        let summary = summarize(&event(raw));

        assert_eq!(summary.title, "crash_here");
        assert!(summary.metadata.get("type").is_none());
    }

    #[test]
    fn a_message_event_is_titled_by_its_first_line() {
        let summary = summarize(&event(
            json!({"message": "payment timed out\nretrying", "level": "warning"}),
        ));

        assert_eq!(summary.title, "payment timed out");
        assert_eq!(summary.metadata, json!({"title": "payment timed out"}));
        assert_eq!(summary.issue_type, "default");
        assert_eq!(summary.level, "warning");
    }

    #[test]
    fn an_event_without_message_or_exception_is_unlabeled() {
        let summary = summarize(&event(json!({})));

        assert_eq!(summary.title, "<unlabeled event>");
        assert_eq!(summary.culprit, "");
    }

    #[test]
    fn a_client_title_overrides_and_is_recorded_in_metadata() {
        let mut raw = python_error("x", app_frames());
        raw["title"] = json!("Checkout broke");

        let summary = summarize(&event(raw));

        assert_eq!(summary.title, "Checkout broke");
        assert_eq!(summary.metadata["title"], "Checkout broke");
    }

    #[test]
    fn the_culprit_names_a_generated_frame_as_grouping_does() {
        let erb = |suffix: &str| {
            summarize(&event(json!({"platform": "ruby", "exception": {"values": [{"type": "ActionView::Template::Error",
                "stacktrace": {"frames": [{"function": format!("_app_views_orders_show_html_erb__{suffix}"),
                    "filename": "app/views/orders/show.html.erb", "in_app": true}]}}]}})))
            .culprit
        };
        assert_eq!(
            erb("3327151541118998292_70361296749460"),
            "app/views/orders/show.html.erb in _app_views_orders_show_html_erb"
        );
        assert_eq!(
            erb("3327151541118998292_70361296749460"),
            erb("1111151541118998292_99961296749460")
        );
    }
}
