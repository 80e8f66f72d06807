//! Source maps applied to JavaScript stack traces: minified frames become the original
//! file, line, column, function and source lines, as Sentry's symbolicator does.
//!
//! Pure: the caller reads the frames' [`locations`], finds a map for each (by the
//! event's debug ids first, else by release, dist and URL), and hands the outcome per
//! location to [`apply`], which rewrites the event. The raw frames stay in each
//! exception's `raw_stacktrace`, and every frame that could not be resolved says why in
//! the event's `errors`, as Sentry's processing errors do.

mod frame;
#[cfg(test)]
mod tests;
pub mod urls;

use std::collections::HashMap;
use std::sync::Arc;

use sonic_rs::{JsonContainerTrait, JsonValueMutTrait, JsonValueTrait, Object, Value};

use super::normalize::{child, frames_of, NormalizedEvent};
use crate::artifact_bundle::manifest::normalize_debug_id;

/// A parsed source map, with the minified source it maps when the bundle has it (for
/// function names).
pub struct LoadedMap {
    /// The map.
    pub map: sourcemap::SourceMap,
    /// The minified file, if uploaded.
    pub minified: Option<sourcemap::SourceView>,
    /// The map's URL in its bundle, for `abs_path`s of sources relative to it.
    pub url: String,
    /// Original function names found by scanning the minified source: the scan walks
    /// the line from its start, so each position is scanned once.
    names: std::sync::Mutex<HashMap<(u32, u32, String), Option<String>>>,
}

/// Positions whose function names a map remembers at most.
const REMEMBERED_NAMES: usize = 50_000;

impl LoadedMap {
    /// Parses a map (regular, indexed or Hermes) and the minified source beside it.
    pub fn parse(map: &[u8], minified: Option<&[u8]>, url: &str) -> Result<Self, sourcemap::Error> {
        let map = match sourcemap::decode_slice(map)? {
            sourcemap::DecodedMap::Regular(map) => map,
            sourcemap::DecodedMap::Index(index) => index.flatten()?,
            sourcemap::DecodedMap::Hermes(hermes) => (*hermes).clone(),
        };
        let minified = minified
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .map(sourcemap::SourceView::from_string);
        Ok(Self {
            map,
            minified,
            url: url.to_owned(),
            names: std::sync::Mutex::default(),
        })
    }

    /// The original name of the function declared as `minified_name` around the
    /// 0-based position, from the minified source; remembered per position.
    pub fn declared_name(&self, line: u32, col: u32, minified_name: &str) -> Option<String> {
        let view = self.minified.as_ref()?;
        let key = (line, col, minified_name.to_owned());
        if let Some(found) = self.names.lock().ok()?.get(&key) {
            return found.clone();
        }
        let found = self
            .map
            .get_original_function_name(line, col, minified_name, view)
            .map(str::to_owned);
        if let Ok(mut names) = self.names.lock() {
            if names.len() >= REMEMBERED_NAMES {
                names.clear();
            }
            names.insert(key, found.clone());
        }
        found
    }

    /// Roughly what it holds in memory, for a bounded cache.
    pub fn weight(&self) -> usize {
        let tokens = self.map.get_token_count() as usize * 24;
        let contents: usize = self
            .map
            .source_contents()
            .map(|c| c.map_or(0, str::len))
            .sum();
        let minified = self.minified.as_ref().map_or(0, |sv| sv.source().len());
        tokens + contents + minified + 1024
    }
}

/// Where a frame's map may be found: its file, and the debug id the event gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The frame's `abs_path`.
    pub abs_path: String,
    /// The debug id of `debug_meta.images[]` whose `code_file` is that path.
    pub debug_id: Option<String>,
}

/// How a map was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// Through the event's debug id.
    DebugId,
    /// Through release, dist and URL.
    Release,
}

impl FoundBy {
    fn as_str(self) -> &'static str {
        match self {
            FoundBy::DebugId => "debug-id",
            FoundBy::Release => "release",
        }
    }
}

/// What the caller found for a location.
#[derive(Clone)]
pub enum Lookup {
    /// A map.
    Found(Arc<LoadedMap>, FoundBy),
    /// No map: why, as a Sentry processing error type (`js_no_source`,
    /// `js_missing_source`, `js_invalid_source`).
    Missing(&'static str),
}

/// Distinct files looked up per event at most: each costs the ingest path a lookup.
const MAX_LOCATIONS: usize = 50;

/// Whether the event's frames are JavaScript that a source map could resolve.
pub fn is_javascript(event: &NormalizedEvent) -> bool {
    matches!(event.platform.as_str(), "javascript" | "node")
        || event
            .exceptions
            .iter()
            .flat_map(|e| &e.frames)
            .any(|f| matches!(f.platform.as_deref(), Some("javascript" | "node")))
}

/// The distinct locations of the event's frames that have an `abs_path`, a line and a
/// column, each with the debug id the event names for its file. Frames with a column
/// are JavaScript's whatever the event's platform says; the caller reports a missing
/// map only for [`is_javascript`] events.
pub fn locations(event: &NormalizedEvent) -> Vec<Location> {
    let mut paths = Vec::<String>::new();
    for_each_stacktrace(&event.data, |stacktrace| {
        for frame in frame_list(stacktrace) {
            let Some(abs_path) = frame::position(frame)
                .map(|p| p.abs_path)
                .filter(|path| may_have_map(path))
            else {
                continue;
            };
            if !paths.contains(&abs_path) && paths.len() < MAX_LOCATIONS {
                paths.push(abs_path);
            }
        }
    });
    if paths.is_empty() {
        return Vec::new();
    }
    let debug_ids = debug_ids(&event.data);
    paths
        .into_iter()
        .map(|abs_path| Location {
            debug_id: debug_ids.get(abs_path.as_str()).cloned(),
            abs_path,
        })
        .collect()
}

/// Whether a file may have been uploaded: an absolute path or a URL, not one of node's
/// built-in modules (`node:internal/...`) or `[native code]`, as Sentry skips them.
fn may_have_map(abs_path: &str) -> bool {
    let bytes = abs_path.as_bytes();
    let drive = bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    abs_path.starts_with('/')
        || abs_path.contains("://")
        || abs_path.starts_with("webpack:")
        || drive
}

/// `code_file` → debug id, from `debug_meta.images[]` of type `sourcemap`.
fn debug_ids(data: &Value) -> HashMap<String, String> {
    let images = child(data, "debug_meta")
        .and_then(|m| child(m, "images"))
        .and_then(Value::as_array);
    images
        .into_iter()
        .flat_map(|images| images.iter())
        .filter(|image| child(image, "type").and_then(Value::as_str) == Some("sourcemap"))
        .filter_map(|image| {
            let file = child(image, "code_file")?.as_str()?;
            let id = normalize_debug_id(child(image, "debug_id")?.as_str()?)?;
            Some((file.to_owned(), id))
        })
        .collect()
}

/// Rewrites every resolvable frame through its location's map, keeps the raw frames
/// as `raw_stacktrace` beside each stack trace that changed, adds a processing error
/// per frame that could not be resolved, and refreshes the typed frames grouping reads.
pub fn apply(event: &mut NormalizedEvent, lookups: &HashMap<String, Lookup>) {
    if lookups.is_empty() {
        return;
    }
    let mut errors = Vec::new();
    let Some(data) = event.data.as_object_mut() else {
        return;
    };
    for container in ["exception", "threads"] {
        let Some(values) = data
            .get_mut(&container)
            .and_then(|c| c.get_mut("values"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for value in values.iter_mut() {
            if let Some(value) = value.as_object_mut() {
                resolve_in(value, lookups, &mut errors);
            }
        }
    }
    if !errors.is_empty() {
        let mut all = data
            .remove(&"errors")
            .and_then(Value::into_array)
            .unwrap_or_default();
        // One error per file and kind, however many of its frames failed.
        let mut seen = Vec::new();
        for error in errors {
            // Entries sorted: a built object's key order is not fixed.
            let mut entries: Vec<String> = error
                .iter()
                .map(|(key, value)| {
                    format!("{key}={}", sonic_rs::to_string(value).unwrap_or_default())
                })
                .collect();
            entries.sort_unstable();
            let text = entries.join("&");
            if !seen.contains(&text) {
                seen.push(text);
                all.push(error.into_value());
            }
        }
        data.insert("errors", all.into_value());
    }
    refresh_typed_frames(event);
}

/// Resolves the frames of one exception or thread in place.
fn resolve_in(value: &mut Object, lookups: &HashMap<String, Lookup>, errors: &mut Vec<Object>) {
    let Some(stacktrace) = value.get(&"stacktrace") else {
        return;
    };
    let raw = stacktrace.clone();
    let Some(frames) = child(&raw, "frames").and_then(Value::as_array) else {
        return;
    };
    let mut resolved = Vec::with_capacity(frames.len());
    let mut changed = false;
    // Frames are oldest first: a frame's caller is the one before it.
    let mut caller: Option<frame::Resolved> = None;
    for raw_frame in frames.iter() {
        let outcome = frame::resolve(raw_frame, lookups, caller.as_ref());
        match outcome {
            frame::Outcome::Resolved(frame, new) => {
                changed = true;
                resolved.push(new.into_value());
                caller = Some(frame);
            }
            frame::Outcome::Failed(error) => {
                errors.push(error);
                resolved.push(raw_frame.clone());
                caller = None;
            }
            frame::Outcome::Skipped => {
                resolved.push(raw_frame.clone());
                caller = None;
            }
        }
    }
    if !changed {
        return;
    }
    let mut new_stacktrace = raw.as_object().cloned().unwrap_or_default();
    new_stacktrace.insert("frames", sonic_rs::Array::from_iter(resolved).into_value());
    value.insert("stacktrace", new_stacktrace.into_value());
    value.insert("raw_stacktrace", raw);
}

fn refresh_typed_frames(event: &mut NormalizedEvent) {
    let values = child(&event.data, "exception")
        .and_then(|e| child(e, "values"))
        .and_then(Value::as_array);
    if let Some(values) = values {
        for (typed, value) in event.exceptions.iter_mut().zip(values.iter()) {
            typed.frames = frames_of(child(value, "stacktrace"));
        }
    }
}

fn frame_list(stacktrace: &Value) -> impl Iterator<Item = &Value> {
    child(stacktrace, "frames")
        .and_then(Value::as_array)
        .into_iter()
        .flat_map(|frames| frames.iter())
}

/// Calls `f` with every stack trace of the event's exceptions and threads.
fn for_each_stacktrace<'a>(data: &'a Value, mut f: impl FnMut(&'a Value)) {
    for container in ["exception", "threads"] {
        let values = child(data, container)
            .and_then(|c| child(c, "values"))
            .and_then(Value::as_array);
        for value in values.into_iter().flat_map(|v| v.iter()) {
            if let Some(stacktrace) = child(value, "stacktrace") {
                f(stacktrace);
            }
        }
    }
}
