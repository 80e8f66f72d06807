//! An alert email: the subject `[Faultline] ERROR: <title>`, and the same content as
//! plain text and as HTML (maud, escaped): title, culprit, the facts (project, level,
//! counts, first and last seen), the top frames of the exception, the tags and the
//! link to the issue.

use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use super::cut;
use crate::payload::{Exception, Payload};

/// How many characters of the title go into the subject.
const SUBJECT_TITLE_CHARS: usize = 150;
/// How many tags an email lists.
const MAX_TAGS: usize = 20;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// One line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// The email for `payload`.
pub fn render(payload: &Value) -> Email {
    let view = Payload(payload);
    let title = cut(&one_line(&view.title()), SUBJECT_TITLE_CHARS);
    let subject = format!("[Faultline] {}: {title}", view.level().to_ascii_uppercase());
    let content = Content {
        title: view.title(),
        culprit: view.culprit(),
        facts: view.facts(),
        exception: view.exception(),
        tags: view.tags().into_iter().take(MAX_TAGS).collect(),
        link: view.link(),
        footer: view.footer(),
    };
    Email {
        subject,
        text: content.text(),
        html: content.html().into_string(),
    }
}

/// What both parts show.
struct Content {
    title: String,
    culprit: Option<String>,
    facts: Vec<(&'static str, String)>,
    exception: Option<Exception>,
    tags: Vec<(String, String)>,
    link: Option<String>,
    footer: String,
}

impl Content {
    fn text(&self) -> String {
        let mut lines = vec![self.title.clone()];
        lines.extend(self.culprit.clone());
        lines.push(String::new());
        for (label, value) in &self.facts {
            lines.push(format!("{label}: {value}"));
        }
        if let Some(exception) = &self.exception {
            lines.push(String::new());
            lines.push(format!("{}: {}", exception.kind, exception.value));
            for frame in &exception.frames {
                lines.push(format!("  at {} ({})", frame.function, frame.location));
            }
        }
        if !self.tags.is_empty() {
            lines.push(String::new());
            lines.push("Tags:".to_owned());
            for (key, value) in &self.tags {
                lines.push(format!("  {key} = {value}"));
            }
        }
        if let Some(link) = &self.link {
            lines.push(String::new());
            lines.push(format!("Open the issue: {link}"));
        }
        lines.push(String::new());
        lines.push(format!("-- {}", self.footer));
        lines.join("\n") + "\n"
    }

    fn html(&self) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (self.title) }
                }
                body style="font-family:system-ui,sans-serif;line-height:1.5;color:#222" {
                    h2 style="margin-bottom:0" {
                        @match &self.link {
                            Some(link) => a href=(link) { (self.title) },
                            None => (self.title),
                        }
                    }
                    @if let Some(culprit) = &self.culprit {
                        p style="margin-top:0;color:#666" { code { (culprit) } }
                    }
                    table cellpadding="4" {
                        @for (label, value) in &self.facts {
                            tr { th align="left" { (label) } td { (value) } }
                        }
                    }
                    @if let Some(exception) = &self.exception {
                        h3 { (exception.kind) ": " (exception.value) }
                        pre style="background:#f4f4f4;padding:.5rem" {
                            @for frame in &exception.frames {
                                @if frame.in_app { b { (frame.function) } } @else { (frame.function) }
                                " (" (frame.location) ")\n"
                            }
                        }
                    }
                    @if !self.tags.is_empty() {
                        h3 { "Tags" }
                        table cellpadding="2" {
                            @for (key, value) in &self.tags {
                                tr { td { code { (key) } } td { (value) } }
                            }
                        }
                    }
                    @if let Some(link) = &self.link {
                        p { a href=(link) { "Open the issue in Faultline" } }
                    }
                    p style="color:#888;font-size:small" { (self.footer) }
                }
            }
        }
    }
}

/// `text` with line breaks and other control characters turned into spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload() -> Value {
        json!({
            "trigger": "first_seen_event",
            "issue": {"title": "ZeroDivisionError: division by zero", "culprit": "app.views in index",
                      "level": "error", "count": "3", "userCount": 1, "shortId": "BACKEND-1",
                      "firstSeen": "2026-01-01T00:00:00Z", "lastSeen": "2026-01-02T00:00:00Z"},
            "event": {"eventId": "ab", "tags": [["env", "<prod>"]],
                      "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero",
                          "stacktrace": {"frames": [{"function": "index", "module": "app.views", "filename": "views.py", "lineno": 10, "in_app": true}]}}]}},
            "project": {"slug": "backend"},
            "workflow": {"id": "1", "name": "New errors"},
            "url": "https://f.example/organizations/acme/issues/7/"
        })
    }

    #[test]
    fn the_subject_names_the_level_and_title() {
        let email = render(&payload());

        assert_eq!(
            email.subject,
            "[Faultline] ERROR: ZeroDivisionError: division by zero"
        );
    }

    #[test]
    fn the_text_part_has_facts_frames_tags_and_the_link() {
        let text = render(&payload()).text;

        assert!(text.starts_with("ZeroDivisionError: division by zero\napp.views in index\n"));
        assert!(text.contains("Project: backend\nLevel: error\nEvents: 3\nUsers: 1\n"));
        assert!(text.contains("First seen: 2026-01-01T00:00:00Z"));
        assert!(text.contains("  at app.views.index (views.py:10)"));
        assert!(text.contains("  env = <prod>"));
        assert!(text.contains("Open the issue: https://f.example/organizations/acme/issues/7/"));
        assert!(text.contains("alert \"New errors\" (first_seen_event)"));
    }

    #[test]
    fn the_html_part_links_the_title_and_escapes_what_came_from_the_event() {
        let html = render(&payload()).html;

        assert!(html.contains(
            "<a href=\"https://f.example/organizations/acme/issues/7/\">ZeroDivisionError: division by zero</a>"
        ));
        assert!(html.contains("&lt;prod&gt;"));
        assert!(html.contains("<b>app.views.index</b> (views.py:10)"));
    }

    #[test]
    fn a_title_with_line_breaks_gives_a_one_line_subject() {
        let email = render(&json!({"issue": {"title": "a\r\nBcc: x@y.z"}}));

        assert_eq!(email.subject, "[Faultline] ERROR: a  Bcc: x@y.z");
    }
}
