//! Exceptions, stack traces and frames: parsing into typed values and cleaning the JSON.

use serde_json::{Map, Value};

/// One exception of the chain, as read by grouping and the issue summary.
///
/// JSON: `{"type": "KeyError", "value": "'sku'", "module": "builtins",
/// "mechanism": {"type": "django", "handled": false}, "stacktrace": {"frames": [...]}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// The exception class (`type`), e.g. `KeyError`.
    pub ty: Option<String>,
    /// The exception message (`value`).
    pub value: Option<String>,
    /// The module the class lives in.
    pub module: Option<String>,
    /// `mechanism.synthetic`: the type is made up by the SDK and means nothing.
    pub mechanism_synthetic: bool,
    /// Stack frames, oldest first: the crashing frame is last.
    pub frames: Vec<Frame>,
}

/// One stack frame.
///
/// JSON: `{"filename": "shop/views.py", "abs_path": "/srv/app/shop/views.py",
/// "module": "shop.views", "function": "checkout", "lineno": 42, "in_app": true,
/// "context_line": "    total = cart.total()"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The file name as the SDK reports it (often relative).
    pub filename: Option<String>,
    /// The absolute path of the file.
    pub abs_path: Option<String>,
    /// The module (Python, Java...) the function belongs to.
    pub module: Option<String>,
    /// The function name; `?` from the SDK reads as `None`.
    pub function: Option<String>,
    /// The line number.
    pub lineno: Option<u64>,
    /// Whether the frame is application code rather than a library.
    pub in_app: Option<bool>,
    /// The source line that was executing.
    pub context_line: Option<String>,
    /// The frame's own platform, when it differs from the event's.
    pub platform: Option<String>,
}

/// Reads `exception` (`{values: [...]}` or a bare list), cleans it in `data` and returns
/// the typed exceptions, oldest first. A lone exception without a stack trace takes the
/// top-level `stacktrace`.
pub(crate) fn normalize_exceptions(data: &mut Map<String, Value>) -> Vec<Exception> {
    let raw = match data.remove("exception") {
        Some(Value::Object(mut obj)) => obj.remove("values"),
        Some(list @ Value::Array(_)) => Some(list),
        _ => None,
    };
    let mut values: Vec<Map<String, Value>> = match raw {
        Some(Value::Array(list)) => list
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(obj) => Some(obj),
                _ => None,
            })
            .filter_map(clean_exception)
            .collect(),
        _ => Vec::new(),
    };
    if let [only] = values.as_mut_slice() {
        if !only.contains_key("stacktrace") {
            if let Some(stacktrace) = data.remove("stacktrace") {
                if let Some(clean) = clean_stacktrace(stacktrace) {
                    only.insert("stacktrace".into(), clean);
                }
            }
        }
    }
    if let Some(stacktrace) = data.remove("stacktrace") {
        if let Some(clean) = clean_stacktrace(stacktrace) {
            data.insert("stacktrace".into(), clean);
        }
    }
    let typed = values.iter().map(typed_exception).collect();
    if !values.is_empty() {
        let values = values.into_iter().map(Value::Object).collect();
        // Built by hand: `json!` would serialise the whole tree into a copy of itself.
        let mut exception = Map::new();
        exception.insert("values".into(), Value::Array(values));
        data.insert("exception".into(), Value::Object(exception));
    }
    typed
}

/// The typed frames of a (cleaned) `stacktrace` object.
pub(crate) fn frames_of(stacktrace: Option<&Value>) -> Vec<Frame> {
    stacktrace
        .and_then(|s| s.get("frames"))
        .and_then(Value::as_array)
        .map(|frames| frames.iter().filter_map(typed_frame).collect())
        .unwrap_or_default()
}

/// Splits `Type: value`, drops exceptions with neither type nor value, cleans the stack trace.
fn clean_exception(mut exc: Map<String, Value>) -> Option<Map<String, Value>> {
    let mut ty = non_empty_string(exc.get("type"));
    let mut value = scalar_string(exc.get("value"));
    if ty.is_none() {
        if let Some((split_ty, split_value)) = value.as_deref().and_then(split_type_from_value) {
            ty = Some(split_ty);
            value = Some(split_value);
        }
    }
    if ty.is_none() && value.as_deref().is_none_or(str::is_empty) {
        return None;
    }
    set_or_remove(&mut exc, "type", ty);
    set_or_remove(&mut exc, "value", value);
    if let Some(stacktrace) = exc.remove("stacktrace") {
        if let Some(clean) = clean_stacktrace(stacktrace) {
            exc.insert("stacktrace".into(), clean);
        }
    }
    Some(exc)
}

/// `^(\w+):(.*)$` on a single-line value: the word becomes the type, the trimmed rest the value.
fn split_type_from_value(value: &str) -> Option<(String, String)> {
    let (word, rest) = value.split_once(':')?;
    let is_word = !word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !is_word || rest.contains('\n') {
        return None;
    }
    Some((word.to_string(), rest.trim().to_string()))
}

/// `{frames: [...]}` or a bare frame list → `{frames: [...]}` with clean frames.
fn clean_stacktrace(stacktrace: Value) -> Option<Value> {
    let mut obj = match stacktrace {
        Value::Object(obj) => obj,
        frames @ Value::Array(_) => {
            let mut obj = Map::new();
            obj.insert("frames".into(), frames);
            obj
        }
        _ => return None,
    };
    let frames = match obj.remove("frames") {
        Some(Value::Array(frames)) => frames,
        _ => Vec::new(),
    };
    let frames: Vec<Value> = frames
        .into_iter()
        .filter_map(|f| match f {
            Value::Object(frame) => Some(Value::Object(clean_frame(frame))),
            _ => None,
        })
        .collect();
    obj.insert("frames".into(), Value::Array(frames));
    Some(Value::Object(obj))
}

fn clean_frame(mut frame: Map<String, Value>) -> Map<String, Value> {
    if frame.get("function").and_then(Value::as_str) == Some("?") {
        frame.remove("function");
    }
    let has_context = frame.contains_key("pre_context") || frame.contains_key("post_context");
    if has_context && !frame.get("context_line").is_some_and(Value::is_string) {
        frame.insert("context_line".into(), Value::String(String::new()));
    }
    frame
}

fn typed_exception(exc: &Map<String, Value>) -> Exception {
    Exception {
        ty: non_empty_string(exc.get("type")),
        value: scalar_string(exc.get("value")),
        module: non_empty_string(exc.get("module")),
        mechanism_synthetic: exc
            .get("mechanism")
            .and_then(|m| m.get("synthetic"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        frames: frames_of(exc.get("stacktrace")),
    }
}

fn typed_frame(frame: &Value) -> Option<Frame> {
    let obj = frame.as_object()?;
    let text = |key: &str| non_empty_string(obj.get(key));
    Some(Frame {
        filename: text("filename"),
        abs_path: text("abs_path"),
        module: text("module"),
        function: text("function").filter(|f| f != "?"),
        lineno: obj.get("lineno").and_then(Value::as_u64),
        in_app: obj.get("in_app").and_then(Value::as_bool),
        context_line: obj
            .get("context_line")
            .and_then(Value::as_str)
            .map(str::to_string),
        platform: text("platform"),
    })
}

fn set_or_remove(obj: &mut Map<String, Value>, key: &str, value: Option<String>) {
    match value {
        Some(v) => obj.insert(key.into(), Value::String(v)),
        None => obj.remove(key),
    };
}

/// A non-empty string value.
pub(crate) fn non_empty_string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A string, number or boolean value as text.
pub(crate) fn scalar_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
