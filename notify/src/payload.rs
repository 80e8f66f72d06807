//! A lenient reading of an outbox row's `payload`:
//! `{trigger, issue: {id, shortId, title, culprit, level, count, userCount, firstSeen,
//! lastSeen, permalink}, event: {eventId, ...normalized event}, project: {id, slug,
//! name}, organization: {slug}, workflow: {id, name} | null, url}`.
//!
//! Every field may be missing or of another JSON type than expected (counts come as
//! numbers or as Sentry's strings, tags as pairs, `{key, value}` objects or a map): a
//! message is still sent with what is there.

use serde_json::Value;

/// How many frames of the exception a message shows.
pub const TOP_FRAMES: usize = 5;

/// A view of one payload.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a>(pub &'a Value);

/// One stack frame, as shown in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `module.function` or `function`.
    pub function: String,
    /// `filename:lineno`, or the absolute path.
    pub location: String,
    /// Whether the frame is the application's own code.
    pub in_app: bool,
}

/// The exception an event carries: type, value and its top frames, most recent first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exception {
    /// `ZeroDivisionError`.
    pub kind: String,
    /// `division by zero`.
    pub value: String,
    /// At most [`TOP_FRAMES`], the innermost first.
    pub frames: Vec<Frame>,
}

/// A string field, or a number written as one.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Payload<'a> {
    fn at(&self, pointer: &str) -> Option<&'a Value> {
        self.0.pointer(pointer)
    }

    fn text(&self, pointer: &str) -> Option<String> {
        text(self.at(pointer))
    }

    /// What fired the message (`first_seen_event`, `event.created`, ...).
    pub fn trigger(&self) -> Option<String> {
        self.text("/trigger")
    }

    /// The issue's title, or the event's, or a placeholder.
    pub fn title(&self) -> String {
        self.text("/issue/title")
            .or_else(|| self.text("/event/title"))
            .or_else(|| self.text("/event/message"))
            .unwrap_or_else(|| "<untitled issue>".to_owned())
    }

    /// `BACKEND-1`.
    pub fn short_id(&self) -> Option<String> {
        self.text("/issue/shortId")
    }

    /// The issue's numeric id, as a string.
    pub fn issue_id(&self) -> Option<String> {
        self.text("/issue/id")
    }

    /// Where the error happened (`app.views in index`).
    pub fn culprit(&self) -> Option<String> {
        self.text("/issue/culprit")
            .or_else(|| self.text("/event/culprit"))
            .or_else(|| self.text("/event/transaction"))
    }

    /// `error`, `warning`, ...: the issue's, else the event's, else `error`.
    pub fn level(&self) -> String {
        self.text("/issue/level")
            .or_else(|| self.text("/event/level"))
            .unwrap_or_else(|| "error".to_owned())
            .to_ascii_lowercase()
    }

    /// How many events the issue has.
    pub fn count(&self) -> Option<String> {
        self.text("/issue/count")
    }

    /// How many users it affected.
    pub fn user_count(&self) -> Option<String> {
        self.text("/issue/userCount")
    }

    /// When the issue was first seen (as given, RFC 3339).
    pub fn first_seen(&self) -> Option<String> {
        self.text("/issue/firstSeen")
    }

    /// When the issue was last seen.
    pub fn last_seen(&self) -> Option<String> {
        self.text("/issue/lastSeen")
    }

    /// The link to the issue: `url`, else the issue's permalink.
    pub fn link(&self) -> Option<String> {
        [self.text("/url"), self.text("/issue/permalink")]
            .into_iter()
            .flatten()
            .find(|link| link.starts_with("http://") || link.starts_with("https://"))
    }

    /// The project's name, else its slug.
    pub fn project_name(&self) -> Option<String> {
        self.text("/project/name")
            .or_else(|| self.text("/project/slug"))
    }

    /// The project's slug, else its name.
    pub fn project_slug(&self) -> Option<String> {
        self.text("/project/slug")
            .or_else(|| self.text("/project/name"))
    }

    /// The workflow's name (none for service hooks).
    pub fn workflow_name(&self) -> Option<String> {
        self.text("/workflow/name")
    }

    /// The event's id (32 hex).
    pub fn event_id(&self) -> Option<String> {
        self.text("/event/eventId")
            .or_else(|| self.text("/event/event_id"))
            .or_else(|| self.text("/event/id"))
    }

    /// The event's environment.
    pub fn environment(&self) -> Option<String> {
        self.text("/event/environment")
    }

    /// `ERROR: <title>`.
    pub fn headline(&self) -> String {
        format!("{}: {}", self.level().to_ascii_uppercase(), self.title())
    }

    /// The facts every message lists, as (label, value), those the payload has.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        [
            ("Project", self.project_name()),
            ("Level", Some(self.level())),
            ("Events", self.count()),
            ("Users", self.user_count()),
            ("Environment", self.environment()),
            ("First seen", self.first_seen()),
            ("Last seen", self.last_seen()),
        ]
        .into_iter()
        .filter_map(|(label, value)| Some((label, value?)))
        .collect()
    }

    /// What sent it: `Short ID · workflow "Errors" (first_seen_event)`.
    pub fn footer(&self) -> String {
        let mut parts = vec!["Faultline".to_owned()];
        parts.extend(self.short_id());
        match (self.workflow_name(), self.trigger()) {
            (Some(name), Some(trigger)) => parts.push(format!("alert \"{name}\" ({trigger})")),
            (Some(name), None) => parts.push(format!("alert \"{name}\"")),
            (None, Some(trigger)) => parts.push(trigger),
            (None, None) => {}
        }
        parts.join(" · ")
    }

    /// The event's tags, in their order, whatever shape they come in.
    pub fn tags(&self) -> Vec<(String, String)> {
        match self.at("/event/tags") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::Array(pair) => Some((text(pair.first())?, text(pair.get(1))?)),
                    Value::Object(object) => {
                        Some((text(object.get("key"))?, text(object.get("value"))?))
                    }
                    _ => None,
                })
                .collect(),
            Some(Value::Object(map)) => map
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), text(Some(value))?)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The event's last exception (Sentry lists chained exceptions innermost
    /// last), from the normalized event's `exception` or an API event's `entries`.
    pub fn exception(&self) -> Option<Exception> {
        let values = self
            .at("/event/exception/values")
            .or_else(|| self.at("/event/exception"))
            .and_then(Value::as_array)
            .or_else(|| {
                self.at("/event/entries")?
                    .as_array()?
                    .iter()
                    .find(|entry| entry["type"] == "exception")?
                    .pointer("/data/values")?
                    .as_array()
            })?;
        let last = values.iter().rev().find(|value| value.is_object())?;
        let frames = last
            .pointer("/stacktrace/frames")
            .and_then(Value::as_array)
            .map(|frames| {
                frames
                    .iter()
                    .rev()
                    .filter(|frame| frame.is_object())
                    .take(TOP_FRAMES)
                    .map(frame)
                    .collect()
            })
            .unwrap_or_default();
        Some(Exception {
            kind: text(last.get("type")).unwrap_or_default(),
            value: text(last.get("value")).unwrap_or_default(),
            frames,
        })
        .filter(|e| !e.kind.is_empty() || !e.value.is_empty() || !e.frames.is_empty())
    }
}

fn frame(value: &Value) -> Frame {
    let function = text(value.get("function")).unwrap_or_else(|| "?".to_owned());
    let function = match text(value.get("module")) {
        Some(module) => format!("{module}.{function}"),
        None => function,
    };
    let file = text(value.get("filename"))
        .or_else(|| text(value.get("abs_path")))
        .or_else(|| text(value.get("absPath")))
        .unwrap_or_else(|| "?".to_owned());
    let location = match text(value.get("lineno")).or_else(|| text(value.get("lineNo"))) {
        Some(line) => format!("{file}:{line}"),
        None => file,
    };
    let in_app = value
        .get("in_app")
        .or_else(|| value.get("inApp"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Frame {
        function,
        location,
        in_app,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_payload_still_has_a_title_and_a_level() {
        let value = json!({});
        let payload = Payload(&value);

        assert_eq!(payload.title(), "<untitled issue>");
        assert_eq!(payload.level(), "error");
        assert_eq!(payload.link(), None);
        assert!(payload.tags().is_empty());
        assert_eq!(payload.exception(), None);
    }

    #[test]
    fn the_facts_are_those_the_payload_has() {
        let value = json!({"issue": {"level": "WARNING", "count": 2, "title": "t", "shortId": "B-1"},
                           "project": {"slug": "backend"}, "workflow": {"name": "W"}, "trigger": "regression_event"});
        let payload = Payload(&value);

        assert_eq!(
            payload.facts(),
            vec![
                ("Project", "backend".to_owned()),
                ("Level", "warning".to_owned()),
                ("Events", "2".to_owned())
            ]
        );
        assert_eq!(payload.headline(), "WARNING: t");
        assert_eq!(
            payload.footer(),
            "Faultline · B-1 · alert \"W\" (regression_event)"
        );
    }

    #[test]
    fn counts_may_be_numbers_or_strings() {
        let value = json!({"issue": {"count": "12", "userCount": 3}});
        let payload = Payload(&value);

        assert_eq!(payload.count().as_deref(), Some("12"));
        assert_eq!(payload.user_count().as_deref(), Some("3"));
    }

    #[test]
    fn tags_are_read_as_pairs_objects_or_a_map() {
        let pairs = json!({"event": {"tags": [["env", "prod"], ["level", "error"]]}});
        let objects = json!({"event": {"tags": [{"key": "env", "value": "prod"}]}});
        let map = json!({"event": {"tags": {"env": "prod"}}});

        assert_eq!(
            Payload(&pairs).tags(),
            vec![
                ("env".to_owned(), "prod".to_owned()),
                ("level".to_owned(), "error".to_owned())
            ]
        );
        assert_eq!(
            Payload(&objects).tags(),
            vec![("env".to_owned(), "prod".to_owned())]
        );
        assert_eq!(
            Payload(&map).tags(),
            vec![("env".to_owned(), "prod".to_owned())]
        );
    }

    #[test]
    fn the_exception_shows_the_innermost_frames_first() {
        let frames: Vec<Value> = (1..=8)
            .map(|n| json!({"function": format!("f{n}"), "module": "app", "filename": "app.py", "lineno": n, "in_app": true}))
            .collect();
        let value = json!({"event": {"exception": {"values": [
            {"type": "KeyError", "value": "x"},
            {"type": "ZeroDivisionError", "value": "division by zero", "stacktrace": {"frames": frames}}
        ]}}});

        let exception = Payload(&value).exception().unwrap();

        assert_eq!(exception.kind, "ZeroDivisionError");
        assert_eq!(exception.frames.len(), TOP_FRAMES);
        assert_eq!(
            exception.frames[0],
            Frame {
                function: "app.f8".to_owned(),
                location: "app.py:8".to_owned(),
                in_app: true
            }
        );
    }

    #[test]
    fn an_api_shaped_event_gives_its_exception_entry() {
        let value = json!({"event": {"entries": [
            {"type": "message", "data": {}},
            {"type": "exception", "data": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": [{"function": "g", "filename": "m.rs", "lineNo": 4}]}}]}}
        ]}});

        let exception = Payload(&value).exception().unwrap();

        assert_eq!(exception.frames[0].location, "m.rs:4");
    }

    #[test]
    fn only_http_links_are_used() {
        let value = json!({"url": "javascript:alert(1)", "issue": {"permalink": "https://f.example/organizations/a/issues/1/"}});

        assert_eq!(
            Payload(&value).link().as_deref(),
            Some("https://f.example/organizations/a/issues/1/")
        );
    }
}
