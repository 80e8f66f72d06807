//! One event as HTML, from the API's event JSON (Sentry's event serializer shape):
//! the exception chain with its frames (in-app frames emphasised, library frames
//! folded, context lines with the failing line marked, local variables), the
//! message, breadcrumbs, request, user, tags, contexts, SDK and the raw event.

use maud::{html, Markup};
use serde_json::Value;

/// A JSON value as short text: strings bare, everything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The event `detail` (API JSON) and its stored body `raw`.
pub fn event_body(detail: &Value, raw: &Value) -> Markup {
    let entries = detail["entries"].as_array().cloned().unwrap_or_default();
    let entry = |kind: &str| {
        entries
            .iter()
            .find(|e| e["type"] == kind)
            .map(|e| &e["data"])
    };
    html! {
        @if let Some(message) = entry("message") {
            section id="message" {
                h2 { "Message" }
                pre { (plain(&message["formatted"]).to_string()) }
            }
        }
        @if let Some(exception) = entry("exception") {
            (exception_section(exception))
        }
        @if let Some(crumbs) = entry("breadcrumbs") {
            (breadcrumbs(crumbs))
        }
        @if let Some(request) = entry("request") {
            (request_section(request))
        }
        @if detail["user"].is_object() {
            section id="user" {
                h2 { "User" }
                (key_values(&detail["user"]))
            }
        }
        (tags(&detail["tags"]))
        @if detail["contexts"].as_object().is_some_and(|c| !c.is_empty()) {
            section id="contexts" {
                h2 { "Contexts" }
                @for (name, context) in detail["contexts"].as_object().into_iter().flatten() {
                    h3 { (name) }
                    (key_values(context))
                }
            }
        }
        @if detail["sdk"].is_object() {
            section id="sdk" {
                h2 { "SDK" }
                p { (plain(&detail["sdk"]["name"])) " " (plain(&detail["sdk"]["version"])) }
            }
        }
        details id="raw" {
            summary { "Raw JSON" }
            pre { (serde_json::to_string_pretty(raw).unwrap_or_default()) }
        }
    }
}

fn exception_section(exception: &Value) -> Markup {
    let values = exception["values"].as_array().cloned().unwrap_or_default();
    html! {
        section id="exception" {
            h2 { "Exception" }
            // Sentry lists the chain newest (the one raised last) first.
            @for value in values.iter().rev() {
                div.exception {
                    h3.exception-type { (plain(&value["type"])) }
                    p.exception-value { (plain(&value["value"])) }
                    @if let Some(mechanism) = value["mechanism"].as_object() {
                        p.muted {
                            "mechanism: " (mechanism.get("type").map(plain).unwrap_or_default())
                            @if mechanism.get("handled") == Some(&Value::Bool(false)) { " · unhandled" }
                        }
                    }
                    (frames(&value["stacktrace"]["frames"]))
                }
            }
        }
    }
}

/// Frames crash-site first, as Sentry shows them; runs of library frames fold.
fn frames(frames: &Value) -> Markup {
    let Some(frames) = frames.as_array() else {
        return html! {};
    };
    let mut groups: Vec<(bool, Vec<&Value>)> = Vec::new();
    for frame in frames.iter().rev() {
        let in_app = frame["inApp"] == Value::Bool(true);
        match groups.last_mut() {
            Some((app, list)) if *app == in_app => list.push(frame),
            _ => groups.push((in_app, vec![frame])),
        }
    }
    let first_in_app = frames
        .iter()
        .rev()
        .position(|f| f["inApp"] == Value::Bool(true));
    html! {
        ol.frames {
            @for (index, (in_app, list)) in groups.iter().enumerate() {
                @if *in_app {
                    @for frame in list {
                        (frame_item(frame, true))
                    }
                } @else {
                    li.library {
                        details open[index == 0 && first_in_app.is_none()] {
                            summary { (list.len()) " library frame" @if list.len() != 1 { "s" } }
                            ol.frames {
                                @for frame in list { (frame_item(frame, false)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn frame_item(frame: &Value, in_app: bool) -> Markup {
    let line = frame["lineNo"].as_i64();
    let file = [&frame["filename"], &frame["absPath"], &frame["module"]]
        .into_iter()
        .map(plain)
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let function = plain(&frame["function"]);
    let context = frame["context"].as_array().cloned().unwrap_or_default();
    let vars = frame["vars"].as_object();
    let class = if in_app { "frame in-app" } else { "frame" };
    html! {
        li class=(class) {
            span.filename { (file) }
            @if let Some(line) = line { span.muted { " line " (line) } }
            @if !function.is_empty() { " in " span.function { (function) } }
            @if !context.is_empty() || vars.is_some() {
                details open[in_app] {
                    summary { "Source and variables" }
                    @if !context.is_empty() {
                        @let start = context.first().and_then(|c| c[0].as_i64()).unwrap_or(1);
                        ol.context start=(start) {
                            @for pair in &context {
                                @let current = pair[0].as_i64() == line;
                                li class=[current.then_some("context-line current")] { (plain(&pair[1])) }
                            }
                        }
                    }
                    @if let Some(vars) = vars {
                        table.vars {
                            caption.visually-hidden { "Local variables" }
                            @for (name, value) in vars {
                                tr { th scope="row" { (name) } td { (plain(value)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn breadcrumbs(data: &Value) -> Markup {
    let crumbs = data["values"].as_array().cloned().unwrap_or_default();
    html! {
        section id="breadcrumbs" {
            h2 { "Breadcrumbs" }
            table {
                thead { tr { th { "Time" } th { "Category" } th { "Level" } th { "Message" } } }
                tbody {
                    @for crumb in crumbs.iter().rev() {
                        tr {
                            td.muted { (plain(&crumb["timestamp"])) }
                            td { (plain(&crumb["category"])) }
                            td { (plain(&crumb["level"])) }
                            td {
                                (plain(&crumb["message"]))
                                @if crumb["data"].is_object() { " " span.muted { (crumb["data"].to_string()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn request_section(request: &Value) -> Markup {
    html! {
        section id="request" {
            h2 { "Request" }
            p { strong { (plain(&request["method"])) } " " (plain(&request["url"])) }
            @for (label, key) in [("Query", "query"), ("Headers", "headers"), ("Cookies", "cookies")] {
                @if request[key].as_array().is_some_and(|pairs| !pairs.is_empty()) {
                    h3 { (label) }
                    table.kv {
                        @for pair in request[key].as_array().into_iter().flatten() {
                            tr { th scope="row" { (plain(&pair[0])) } td { (plain(&pair[1])) } }
                        }
                    }
                }
            }
            @if !request["data"].is_null() {
                h3 { "Body" }
                pre { (plain(&request["data"])) }
            }
        }
    }
}

fn tags(tags: &Value) -> Markup {
    let Some(tags) = tags.as_array().filter(|t| !t.is_empty()) else {
        return html! {};
    };
    html! {
        section id="tags" {
            h2 { "Tags" }
            table.kv {
                @for tag in tags {
                    tr { th scope="row" { (plain(&tag["key"])) } td { (plain(&tag["value"])) } }
                }
            }
        }
    }
}

fn key_values(value: &Value) -> Markup {
    html! {
        table.kv {
            @for (key, value) in value.as_object().into_iter().flatten() {
                tr { th scope="row" { (key) } td { (plain(value)) } }
            }
        }
    }
}
