//! An event as Sentry's event serializer shows it: camelCase ids and frames, and the
//! interfaces as `entries`.

use chrono::{DateTime, Utc};
use faultline_domain::issue::{IssueEvent, Occurrence};
use faultline_projections::issues::queries::EventRow;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::json::date;

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

/// `{type, value, filename, function}` of the main (last) exception and its crash
/// frame (the last in-app frame, else the last frame), or `{title}`.
fn event_metadata(data: &Value, title: &str) -> Value {
    let Some(main) = data
        .pointer("/exception/values")
        .and_then(Value::as_array)
        .and_then(|values| values.last())
    else {
        return json!({ "title": title });
    };
    let mut metadata = Map::new();
    if let Some(kind) = text(main, "type") {
        metadata.insert("type".into(), json!(kind));
    }
    if let Some(value) = text(main, "value") {
        metadata.insert("value".into(), json!(value));
    }
    let frames = main
        .pointer("/stacktrace/frames")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let frame = frames
        .iter()
        .rev()
        .find(|f| f.get("in_app").and_then(Value::as_bool) == Some(true))
        .or_else(|| frames.last());
    if let Some(frame) = frame {
        for key in ["filename", "function"] {
            if let Some(value) = text(frame, key) {
                metadata.insert(key.into(), json!(value));
            }
        }
    }
    Value::Object(metadata)
}

/// `[{key, value}]` from the stored `[[key, value]]` pairs.
fn tags_json(occurrence: &Occurrence) -> Value {
    Value::Array(
        occurrence
            .tags
            .iter()
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect(),
    )
}

fn message_of(data: &Value) -> String {
    data.pointer("/logentry/formatted")
        .or_else(|| data.pointer("/logentry/message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A time the client sent (RFC 3339 or Unix seconds) as Sentry's ISO string.
fn iso_time(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(|secs| {
                DateTime::<Utc>::from_timestamp(secs.trunc() as i64, (secs.fract() * 1e9) as u32)
            })
            .map(|t| json!(date(t)))
            .unwrap_or(Value::Null),
        Some(Value::String(s)) => json!(s),
        _ => Value::Null,
    }
}

/// A frame as Sentry's API shows it.
fn frame_json(frame: &Value) -> Value {
    let lineno = frame.get("lineno").and_then(Value::as_i64);
    let mut context = Vec::new();
    if let Some(line) = lineno {
        let pre = frame
            .get("pre_context")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let start = line - pre.len() as i64;
        for (i, text) in pre.into_iter().enumerate() {
            context.push(json!([start + i as i64, text]));
        }
        if let Some(current) = frame.get("context_line") {
            context.push(json!([line, current]));
        }
        let post = frame
            .get("post_context")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, text) in post.into_iter().enumerate() {
            context.push(json!([line + 1 + i as i64, text]));
        }
    }
    let field = |key: &str| frame.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "filename": field("filename"),
        "absPath": field("abs_path"),
        "module": field("module"),
        "package": field("package"),
        "platform": field("platform"),
        "instructionAddr": field("instruction_addr"),
        "symbolAddr": field("symbol_addr"),
        "function": field("function"),
        "rawFunction": field("raw_function"),
        "symbol": field("symbol"),
        "context": context,
        "lineNo": field("lineno"),
        "colNo": field("colno"),
        "inApp": frame.get("in_app").and_then(Value::as_bool).unwrap_or(false),
        "trust": field("trust"),
        "errors": null,
        "lock": null,
        "sourceLink": null,
        "vars": field("vars"),
        "data": field("data"),
    })
}

fn stacktrace_json(stacktrace: Option<&Value>) -> Value {
    let Some(stacktrace) = stacktrace.filter(|s| s.is_object()) else {
        return Value::Null;
    };
    let frames: Vec<Value> = stacktrace
        .get("frames")
        .and_then(Value::as_array)
        .map(|frames| frames.iter().map(frame_json).collect())
        .unwrap_or_default();
    let has_system_frames = frames.iter().any(|f| f["inApp"] == json!(false));
    json!({
        "frames": frames,
        "framesOmitted": stacktrace.get("frames_omitted").cloned().unwrap_or(Value::Null),
        "registers": stacktrace.get("registers").cloned().unwrap_or(Value::Null),
        "hasSystemFrames": has_system_frames,
    })
}

/// The event's interfaces as Sentry's `entries`.
fn entries(data: &Value) -> Vec<Value> {
    let mut entries = Vec::new();
    if let Some(values) = data.pointer("/exception/values").and_then(Value::as_array) {
        let values: Vec<Value> = values
            .iter()
            .map(|exception| {
                let field = |key: &str| exception.get(key).cloned().unwrap_or(Value::Null);
                json!({
                    "type": field("type"),
                    "value": field("value"),
                    "mechanism": field("mechanism"),
                    "threadId": field("thread_id"),
                    "module": field("module"),
                    "stacktrace": stacktrace_json(exception.get("stacktrace")),
                    "rawStacktrace": stacktrace_json(exception.get("raw_stacktrace")),
                })
            })
            .collect();
        let has_system_frames = values
            .iter()
            .any(|v| v.pointer("/stacktrace/hasSystemFrames") == Some(&json!(true)));
        entries.push(json!({
            "type": "exception",
            "data": { "values": values, "excOmitted": null, "hasSystemFrames": has_system_frames },
        }));
    }
    if let Some(crumbs) = data
        .pointer("/breadcrumbs/values")
        .and_then(Value::as_array)
    {
        let values: Vec<Value> = crumbs
            .iter()
            .map(|crumb| {
                let field = |key: &str| crumb.get(key).cloned().unwrap_or(Value::Null);
                json!({
                    "type": field("type"),
                    "timestamp": iso_time(crumb.get("timestamp")),
                    "level": field("level"),
                    "message": field("message"),
                    "category": field("category"),
                    "data": field("data"),
                    "event_id": field("event_id"),
                })
            })
            .collect();
        entries.push(json!({ "type": "breadcrumbs", "data": { "values": values } }));
    }
    if let Some(request) = data.get("request").filter(|r| r.is_object()) {
        let field = |key: &str| request.get(key).cloned().unwrap_or(Value::Null);
        let query: Value = match request.get("query_string") {
            Some(Value::String(query)) => Value::Array(
                query
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        json!([k, v])
                    })
                    .collect(),
            ),
            Some(other) => pairs(other),
            None => json!([]),
        };
        entries.push(json!({
            "type": "request",
            "data": {
                "url": field("url"),
                "method": field("method"),
                "data": field("data"),
                "query": query,
                "fragment": field("fragment"),
                "cookies": request.get("cookies").map(pairs).unwrap_or(json!([])),
                "headers": request.get("headers").map(pairs).unwrap_or(json!([])),
                "env": field("env"),
                "inferredContentType": null,
            },
        }));
    }
    if let Some(logentry) = data.get("logentry").filter(|l| l.is_object()) {
        let field = |key: &str| logentry.get(key).cloned().unwrap_or(Value::Null);
        entries.push(json!({
            "type": "message",
            "data": {
                "formatted": field("formatted"),
                "message": field("message"),
                "params": field("params"),
            },
        }));
    }
    entries
}

/// An object or pair list as `[[key, value]]`, as Sentry shows headers and cookies.
fn pairs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Array(map.iter().map(|(k, v)| json!([k, v])).collect()),
        Value::Array(list) => Value::Array(list.clone()),
        _ => json!([]),
    }
}

/// The event as Sentry lists it.
pub fn event_list_json(row: &EventRow, occurrence: &Occurrence) -> Value {
    let data = &occurrence.data;
    let metadata = event_metadata(data, &occurrence.title);
    json!({
        "id": row.event_id,
        "event.type": text(data, "type").unwrap_or("default"),
        "groupID": row.issue_id.to_string(),
        "eventID": row.event_id,
        "projectID": row.project_id.to_string(),
        "message": message_of(data),
        "title": occurrence.title,
        "location": metadata.get("filename").cloned().unwrap_or(Value::Null),
        "culprit": occurrence.culprit,
        "user": data.get("user").cloned().unwrap_or(Value::Null),
        "tags": tags_json(occurrence),
        "platform": text(data, "platform"),
        "dateCreated": date(row.timestamp),
        "crashFile": null,
        "metadata": metadata,
    })
}

/// The full event, as Sentry's event detail shows it.
pub fn event_detail_json(
    row: &EventRow,
    occurrence: &Occurrence,
    issue_hash: Option<&str>,
    neighbours: (Option<String>, Option<String>),
) -> Value {
    let data = &occurrence.data;
    let metadata = event_metadata(data, &occurrence.title);
    let sdk = data
        .get("sdk")
        .filter(|s| s.is_object())
        .map(|sdk| {
            json!({
                "name": sdk.get("name").cloned().unwrap_or(Value::Null),
                "version": sdk.get("version").cloned().unwrap_or(Value::Null),
            })
        })
        .unwrap_or(Value::Null);
    let (previous, next) = neighbours;
    json!({
        "id": row.event_id,
        "groupID": row.issue_id.to_string(),
        "eventID": row.event_id,
        "projectID": row.project_id.to_string(),
        "size": null,
        "entries": entries(data),
        "dist": data.get("dist").cloned().unwrap_or(Value::Null),
        "message": message_of(data),
        "title": occurrence.title,
        "location": metadata.get("filename").cloned().unwrap_or(Value::Null),
        "culprit": occurrence.culprit,
        "user": data.get("user").cloned().unwrap_or(Value::Null),
        "contexts": data.get("contexts").cloned().unwrap_or(json!({})),
        "sdk": sdk,
        "context": data.get("extra").cloned().unwrap_or(json!({})),
        "packages": data.get("modules").cloned().unwrap_or(json!({})),
        "type": text(data, "type").unwrap_or("default"),
        "metadata": metadata,
        "tags": tags_json(occurrence),
        "platform": text(data, "platform").unwrap_or("other"),
        "dateReceived": date(row.received),
        "dateCreated": date(row.timestamp),
        "errors": processing_errors(data),
        "occurrence": null,
        "_meta": {},
        "crashFile": null,
        "fingerprints": issue_hash.map(|h| vec![h]).unwrap_or_default(),
        "groupingConfig": {
            "id": data.pointer("/grouping/config").cloned().unwrap_or(json!("faultline:legacy")),
            "enhancements": "",
        },
        "release": null,
        "environment": occurrence.environment,
        "userReport": null,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": next,
        "previousEventID": previous,
    })
}

/// The occurrence stored at an event's log position.
pub fn occurrence(row: &EventRow) -> Result<Occurrence, ApiError> {
    match serde_json::from_value::<IssueEvent>(row.current_payload()) {
        Ok(IssueEvent::EventIngested(occurrence)) => Ok(*occurrence),
        Ok(_) => Err(ApiError::Internal(
            format!("log position {} is not an ingested event", row.position).into(),
        )),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// The event's processing errors (`errors`: why frames were not resolved) as Sentry's
/// event serializer shows them: `{type, message, data}`.
fn processing_errors(data: &Value) -> Value {
    let errors = data.get("errors").and_then(Value::as_array);
    Value::Array(
        errors
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|error| {
                let kind = error
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error");
                let rest: Map<String, Value> = error
                    .iter()
                    .filter(|(key, _)| key.as_str() != "type")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                json!({"type": kind, "message": error_message(kind), "data": rest})
            })
            .collect(),
    )
}

/// Sentry's wording of a processing error type.
fn error_message(kind: &str) -> &'static str {
    match kind {
        "js_no_source" => "Source code was not found",
        "js_invalid_source" => "Invalid source map",
        "js_missing_sources_content" => "Source map is missing source code",
        "js_invalid_sourcemap_location" => "Invalid location in source map",
        _ => "There was an error processing this event",
    }
}
