//! Exceptions, stack traces and frames: parsing into typed values and cleaning the JSON.

use sonic_rs::{Array, JsonContainerTrait, JsonValueTrait, Object, Value, ValueRef};

use super::{child, field, into_field};

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
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// The package (library, jar, binary) the frame's code belongs to.
    pub package: Option<String>,
}

/// Reads `exception` (`{values: [...]}` or a bare list), cleans it in `data` and returns
/// the typed exceptions, oldest first. A lone exception without a stack trace takes the
/// top-level `stacktrace`.
///
/// Each frame is read once, for its typed form and what cleaning it needs together;
/// exceptions and stack traces that need no cleaning stay as parsed.
pub(crate) fn normalize_exceptions(data: &mut Object) -> Vec<Exception> {
    let raw = match data.remove(&"exception") {
        Some(obj) if obj.is_object() => into_field(obj, "values"),
        Some(list) if list.is_array() => Some(list),
        _ => None,
    };
    let mut values: Vec<(Object, Exception)> = match raw.and_then(Value::into_array) {
        Some(list) => list
            .into_iter()
            .filter_map(Value::into_object)
            .filter_map(clean_exception)
            .collect(),
        None => Vec::new(),
    };
    if let [(only, typed)] = values.as_mut_slice() {
        if field(only, "stacktrace").is_none() {
            if let Some(stacktrace) = data.remove(&"stacktrace") {
                if let Some((clean, frames)) = clean_stacktrace(stacktrace) {
                    only.insert("stacktrace", clean);
                    typed.frames = frames;
                }
            }
        }
    }
    if let Some(stacktrace) = data.remove(&"stacktrace") {
        if let Some((clean, _)) = clean_stacktrace(stacktrace) {
            data.insert("stacktrace", clean);
        }
    }
    if values.is_empty() {
        return Vec::new();
    }
    let (values, typed): (Vec<Object>, Vec<Exception>) = values.into_iter().unzip();
    let values: Array = values.into_iter().map(Object::into_value).collect();
    let mut exception = Object::new();
    exception.insert("values", values);
    data.insert("exception", exception);
    typed
}

/// The typed frames of a (cleaned) `stacktrace` object.
pub(crate) fn frames_of(stacktrace: Option<&Value>) -> Vec<Frame> {
    stacktrace
        .and_then(|s| child(s, "frames"))
        .and_then(Value::as_array)
        .map(|frames| frames.iter().filter_map(typed_frame).collect())
        .unwrap_or_default()
}

/// Splits `Type: value`, drops exceptions with neither type nor value, cleans the stack
/// trace. Returns the cleaned exception and its typed form.
fn clean_exception(mut exc: Object) -> Option<(Object, Exception)> {
    let mut ty = non_empty_string(field(&exc, "type"));
    let mut value = scalar_string(field(&exc, "value"));
    if ty.is_none() {
        if let Some((split_ty, split_value)) = value.as_deref().and_then(split_type_from_value) {
            ty = Some(split_ty);
            value = Some(split_value);
        }
    }
    if ty.is_none() && value.as_deref().is_none_or(str::is_empty) {
        return None;
    }
    set_or_remove(&mut exc, "type", ty.as_deref());
    set_or_remove(&mut exc, "value", value.as_deref());
    let mut frames = Vec::new();
    if let Some(stacktrace) = field(&exc, "stacktrace") {
        match clean_frames_of(stacktrace) {
            Some(clean) => frames = clean,
            None => {
                if let Some(stacktrace) = exc.remove(&"stacktrace") {
                    if let Some((clean, typed)) = clean_stacktrace(stacktrace) {
                        exc.insert("stacktrace", clean);
                        frames = typed;
                    }
                }
            }
        }
    }
    let typed = Exception {
        ty,
        value,
        module: non_empty_string(field(&exc, "module")),
        mechanism_synthetic: field(&exc, "mechanism")
            .and_then(|m| child(m, "synthetic"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        frames,
    };
    Some((exc, typed))
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

/// `{frames: [...]}` or a bare frame list → `{frames: [...]}` with clean frames, and its
/// typed frames; anything else → `None`.
fn clean_stacktrace(stacktrace: Value) -> Option<(Value, Vec<Frame>)> {
    if let Some(frames) = clean_frames_of(&stacktrace) {
        return Some((stacktrace, frames));
    }
    let mut obj = if stacktrace.is_array() {
        let mut obj = Object::new();
        obj.insert("frames", stacktrace);
        obj
    } else {
        stacktrace.into_object()?
    };
    let frames = obj
        .remove(&"frames")
        .and_then(Value::into_array)
        .unwrap_or_default();
    let frames: Array = frames
        .into_iter()
        .filter_map(Value::into_object)
        .map(|frame| clean_frame(frame).into_value())
        .collect();
    obj.insert("frames", frames);
    let clean = obj.into_value();
    let typed = frames_of(Some(&clean));
    Some((clean, typed))
}

/// The typed frames of a `{frames: [...]}` object whose frames need no cleaning (what
/// SDKs send); `None` when it needs some.
fn clean_frames_of(stacktrace: &Value) -> Option<Vec<Frame>> {
    child(stacktrace, "frames")?
        .as_array()?
        .iter()
        .map(|frame| {
            let (typed, fixes) = read_frame(frame.as_object()?);
            (!fixes.any()).then_some(typed)
        })
        .collect()
}

fn clean_frame(mut frame: Object) -> Object {
    let (_, fixes) = read_frame(&frame);
    if fixes.drop_function {
        frame.remove(&"function");
    }
    if fixes.add_context_line {
        frame.insert("context_line", "");
    }
    frame
}

/// What cleaning a frame changes.
struct FrameFixes {
    /// `function` is `?`, which means unknown: removed.
    drop_function: bool,
    /// Context lines around a missing or non-string `context_line`: it becomes `""`.
    add_context_line: bool,
}

impl FrameFixes {
    fn any(&self) -> bool {
        self.drop_function || self.add_context_line
    }
}

fn typed_frame(frame: &Value) -> Option<Frame> {
    Some(read_frame(frame.as_object()?).0)
}

/// One pass over a frame's entries rather than a scan per field: its typed form and
/// what cleaning it needs. Later entries overwrite earlier ones, so the last of a
/// repeated key counts.
fn read_frame(frame: &Object) -> (Frame, FrameFixes) {
    let mut typed = Frame::default();
    let mut unknown_function = false;
    let mut has_context = false;
    let mut context_line_is_text = false;
    for (key, value) in frame.iter() {
        let text = || non_empty_string(Some(value));
        match key {
            "filename" => typed.filename = text(),
            "abs_path" => typed.abs_path = text(),
            "module" => typed.module = text(),
            "function" => {
                unknown_function = value.as_str() == Some("?");
                typed.function = text().filter(|_| !unknown_function);
            }
            "lineno" => typed.lineno = value.as_u64(),
            "in_app" => typed.in_app = value.as_bool(),
            "context_line" => {
                context_line_is_text = value.is_str();
                typed.context_line = value.as_str().map(str::to_string);
            }
            "platform" => typed.platform = text(),
            "package" => typed.package = text(),
            "pre_context" | "post_context" => has_context = true,
            _ => {}
        }
    }
    let fixes = FrameFixes {
        drop_function: unknown_function,
        add_context_line: has_context && !context_line_is_text,
    };
    (typed, fixes)
}

/// Sets `obj[key]` to the string or removes it, leaving the object alone when it already
/// reads so.
fn set_or_remove(obj: &mut Object, key: &str, value: Option<&str>) {
    let current = field(obj, key);
    match value {
        Some(v) if current.and_then(Value::as_str) != Some(v) => {
            obj.insert(key, v);
        }
        None if current.is_some() => {
            obj.remove(&key);
        }
        _ => {}
    }
}

/// A non-empty string value.
pub(crate) fn non_empty_string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A string, number or boolean value as text. Numbers print as serde_json printed them
/// (sonic-rs's `Number` formats the same way), so fingerprints and tags keep their text.
pub(crate) fn scalar_string(value: Option<&Value>) -> Option<String> {
    match value?.as_ref() {
        ValueRef::String(s) => Some(s.to_string()),
        ValueRef::Number(n) => Some(n.to_string()),
        ValueRef::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
