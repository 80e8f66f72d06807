//! What grouping leaves in the event it decided: frames the stack trace rules moved in
//! or out of the app say so (the culprit and the UI read them), and the event keeps
//! its grouping (configuration, variant, hash, the rules that matched) so the grouping
//! info of a stored event tells what decided it, whatever rules are saved later.

use sonic_rs::{JsonValueMutTrait, Object, Value};

use super::super::normalize::NormalizedEvent;
use super::Grouping;

/// Sets `in_app` of every frame a rule marked, in the JSON and the typed frames.
pub fn write_in_app(event: &mut NormalizedEvent, grouping: &Grouping) {
    if grouping.marked.is_empty() {
        return;
    }
    for (i, j, state) in &grouping.marked {
        let Some(frame) = event
            .exceptions
            .get_mut(*i)
            .and_then(|e| e.frames.get_mut(*j))
        else {
            continue;
        };
        // Only a changed flag touches the JSON: changing a parsed list copies it.
        if frame.in_app.unwrap_or(false) == state.in_app {
            continue;
        }
        frame.in_app = Some(state.in_app);
        let frame = event
            .data
            .as_object_mut()
            .and_then(|d| d.get_mut(&"exception"))
            .and_then(|e| e.get_mut("values"))
            .and_then(|v| v.get_mut(*i))
            .and_then(|e| e.get_mut("stacktrace"))
            .and_then(|s| s.get_mut("frames"))
            .and_then(|f| f.get_mut(*j))
            .and_then(Value::as_object_mut);
        if let Some(frame) = frame {
            frame.insert("in_app", state.in_app);
        }
    }
}

/// Records the grouping in the event as `grouping`: `{config, variant, hash,
/// matched_rule, stacktrace_rules, fallback}`; `hash` is the issue's, `fallback` says
/// the legacy hash was used because only it named an existing issue. (The components
/// are not stored: grouping info recomputes them and says when they no longer give
/// the recorded hash.)
pub fn record(event: &mut NormalizedEvent, grouping: &Grouping, hash: &str, fallback: bool) {
    let mut info = Object::new();
    info.insert("config", grouping.config.id());
    info.insert("variant", grouping.variant);
    info.insert("hash", hash);
    if let Some(rule) = &grouping.matched_rule {
        info.insert("matched_rule", rule.as_str());
    }
    let mut rules: Vec<&str> = grouping
        .marked
        .iter()
        .filter_map(|(_, _, state)| state.rule.as_deref())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    let marked: sonic_rs::Array = rules.into_iter().map(Value::from).collect();
    if !marked.is_empty() {
        info.insert("stacktrace_rules", marked.into_value());
    }
    if fallback {
        info.insert("fallback", "legacy");
    }
    if let Some(data) = event.data.as_object_mut() {
        data.insert("grouping", info.into_value());
    }
}
