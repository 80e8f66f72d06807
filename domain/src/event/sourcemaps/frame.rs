//! One frame through its source map.

use std::collections::HashMap;

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Object, Value};

use super::urls::{join_path, original_filename};
use super::{LoadedMap, Lookup};
use crate::event::normalize::child;

/// Lines of source before and after the context line, as Sentry shows them.
const CONTEXT_LINES: u32 = 5;
/// Longer source lines are cut around the column, as Sentry cuts them.
const MAX_LINE_CHARS: usize = 150;

/// Where in a minified file a frame points.
pub(super) struct Position {
    pub abs_path: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
}

/// A frame's `abs_path`, `lineno` and `colno`, when it has all three.
pub(super) fn position(frame: &Value) -> Option<Position> {
    // The column first: most frames of other platforms have none, and every event's
    // frames are asked.
    let column = u32::try_from(child(frame, "colno")?.as_u64()?).ok()?;
    let line = u32::try_from(child(frame, "lineno")?.as_u64()?).ok()?;
    let abs_path = child(frame, "abs_path")
        .or_else(|| child(frame, "filename"))?
        .as_str()
        .filter(|p| !p.is_empty())?;
    (line > 0 && column > 0).then(|| Position {
        abs_path: abs_path.to_owned(),
        line,
        column,
    })
}

/// What a resolved frame leaves for the frame it calls: the name at its call site.
pub(super) struct Resolved {
    call_site_name: Option<String>,
}

pub(super) enum Outcome {
    /// The new frame.
    Resolved(Resolved, Object),
    /// A processing error for the event's `errors`.
    Failed(Object),
    /// Not a frame a map applies to.
    Skipped,
}

pub(super) fn resolve(
    raw: &Value,
    lookups: &HashMap<String, Lookup>,
    caller: Option<&Resolved>,
) -> Outcome {
    let Some(position) = position(raw) else {
        return Outcome::Skipped;
    };
    let Some(lookup) = lookups.get(&position.abs_path) else {
        return Outcome::Skipped;
    };
    let (map, found_by) = match lookup {
        Lookup::Found(map, found_by) => (map, *found_by),
        Lookup::Missing(kind) => {
            return Outcome::Failed(error(kind, &[("url", &position.abs_path)]));
        }
    };
    let (line0, col0) = (position.line - 1, position.column - 1);
    let token = map
        .map
        .lookup_token(line0, col0)
        .filter(|token| token.get_dst_line() == line0 && token.has_source());
    let Some(token) = token else {
        return Outcome::Failed(invalid_location(&position));
    };
    let Some(source) = token.get_source() else {
        return Outcome::Failed(invalid_location(&position));
    };
    let mut frame = raw.as_object().cloned().unwrap_or_default();
    let filename = original_filename(source);
    let abs_path = join_path(&position.abs_path, source);
    if frame.get(&"module").is_some() {
        frame.insert("module", module_of(&filename).as_str());
    }
    frame.insert("filename", filename.as_str());
    frame.insert("abs_path", abs_path.as_str());
    frame.insert("lineno", u64::from(token.get_src_line()) + 1);
    frame.insert("colno", u64::from(token.get_src_col()) + 1);
    if let Some(function) = function_name(raw, map, line0, col0, caller) {
        frame.insert("function", function.as_str());
    }
    for key in ["context_line", "pre_context", "post_context"] {
        frame.remove(&key);
    }
    if let Some(view) = token.get_source_view() {
        put_context(&mut frame, view, token.get_src_line(), token.get_src_col());
    }
    let mut data = child(raw, "data")
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    data.insert("sourcemap", map.url.as_str());
    data.insert("resolved_with", found_by.as_str());
    data.insert("symbolicated", true);
    frame.insert("data", data.into_value());
    let resolved = Resolved {
        call_site_name: token.get_name().map(str::to_owned),
    };
    Outcome::Resolved(resolved, frame)
}

/// The original name of the frame's function: from the minified source's declaration
/// when the bundle has that file, else the name its caller used at the call site, else
/// the minified name.
fn function_name(
    raw: &Value,
    map: &LoadedMap,
    line0: u32,
    col0: u32,
    caller: Option<&Resolved>,
) -> Option<String> {
    let minified = child(raw, "function").and_then(Value::as_str);
    let short = minified.map(short_name);
    let from_declaration = short.and_then(|name| map.declared_name(line0, col0, name));
    from_declaration
        .or_else(|| caller.and_then(|c| c.call_site_name.clone()))
        .or_else(|| minified.map(str::to_owned))
}

/// `Object.a` → `a`, `new a` → `a`, `async a` → `a`.
fn short_name(function: &str) -> &str {
    let function = function
        .trim_start_matches("new ")
        .trim_start_matches("async ");
    function.rsplit('.').next().unwrap_or(function)
}

/// `src/orders.js` → `src/orders`, as Sentry names a JavaScript module.
fn module_of(filename: &str) -> String {
    let path = filename.split(['?', '#']).next().unwrap_or(filename);
    match path.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') => stem.to_owned(),
        _ => path.to_owned(),
    }
}

fn put_context(frame: &mut Object, view: &sourcemap::SourceView, line: u32, column: u32) {
    let Some(context_line) = view.get_line(line) else {
        return;
    };
    let first = line.saturating_sub(CONTEXT_LINES);
    let pre: sonic_rs::Array = (first..line)
        .filter_map(|i| view.get_line(i))
        .map(|l| Value::from(trim_line(l, None).as_str()))
        .collect();
    let post: sonic_rs::Array = (line + 1..=line + CONTEXT_LINES)
        .map_while(|i| view.get_line(i))
        .map(|l| Value::from(trim_line(l, None).as_str()))
        .collect();
    frame.insert("pre_context", pre.into_value());
    frame.insert(
        "context_line",
        trim_line(context_line, Some(column as usize)).as_str(),
    );
    frame.insert("post_context", post.into_value());
}

/// A line of at most [`MAX_LINE_CHARS`] characters, cut around `column` (else from the
/// start), with `{snip}` where it was cut, as Sentry shows long lines.
fn trim_line(line: &str, column: Option<usize>) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_LINE_CHARS {
        return line.to_owned();
    }
    let column = column.unwrap_or(0).min(chars.len());
    let start = column.saturating_sub(MAX_LINE_CHARS / 2);
    let end = (start + MAX_LINE_CHARS).min(chars.len());
    let start = end.saturating_sub(MAX_LINE_CHARS);
    let mut out = String::new();
    if start > 0 {
        out.push_str("{snip} ");
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push_str(" {snip}");
    }
    out
}

fn error(kind: &str, fields: &[(&str, &str)]) -> Object {
    let mut error = Object::new();
    error.insert("type", kind);
    for (key, value) in fields {
        error.insert(key, *value);
    }
    error
}

fn invalid_location(position: &Position) -> Object {
    let mut error = error(
        "js_invalid_sourcemap_location",
        &[("source", &position.abs_path)],
    );
    error.insert("row", u64::from(position.line));
    error.insert("column", u64::from(position.column));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_line_is_kept_whole() {
        assert_eq!(trim_line("let a = 1;\n", Some(4)), "let a = 1;");
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let cut = trim_line(&line, Some(500));
        assert!(
            cut.starts_with("{snip} ") && cut.ends_with(" {snip}"),
            "{cut}"
        );
        assert!(cut.contains('X'));
    }

    #[test]
    fn a_minified_function_name_loses_its_receiver_and_keywords() {
        assert_eq!(short_name("Object.a"), "a");
        assert_eq!(short_name("new Foo"), "Foo");
        assert_eq!(short_name("async run"), "run");
    }

    #[test]
    fn a_module_is_the_filename_without_its_extension() {
        assert_eq!(module_of("src/orders.js"), "src/orders");
        assert_eq!(module_of("lib.v2/index"), "lib.v2/index");
    }
}
