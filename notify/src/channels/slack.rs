//! A Slack incoming webhook: `text` (the notification's fallback and preview) and
//! Block Kit `blocks`: the title linking to the issue, the culprit, the facts
//! (project, level, counts) as fields, and what sent it.

use serde_json::{json, Value};

use super::cut;
use crate::payload::Payload;

/// Slack's limit on a section's text.
const SECTION_CHARS: usize = 3000;
/// Slack shows at most ten fields in a section.
const MAX_FIELDS: usize = 10;

/// The incoming-webhook body for `payload`.
pub fn render(payload: &Value) -> Value {
    let view = Payload(payload);
    let title = escape(&cut(&view.title(), 300));
    let heading = match view.link() {
        Some(link) => format!("*<{}|{title}>*", escape(&link).replace('|', "%7C")),
        None => format!("*{title}*"),
    };
    let mut blocks = vec![section(&heading)];
    if let Some(culprit) = view.culprit() {
        blocks.push(section(&format!(
            "`{}`",
            escape(&culprit).replace('`', "'")
        )));
    }
    let fields: Vec<Value> = view
        .facts()
        .into_iter()
        .take(MAX_FIELDS)
        .map(|(label, value)| json!({"type": "mrkdwn", "text": format!("*{label}*\n{}", escape(&value))}))
        .collect();
    blocks.push(json!({"type": "section", "fields": fields}));
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": escape(&view.footer())}],
    }));
    let project = view
        .project_name()
        .map(|name| format!(" ({name})"))
        .unwrap_or_default();
    json!({
        "text": format!("{}{project}", view.headline()),
        "blocks": blocks,
    })
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}})
}

/// Slack's mrkdwn escaping: `&`, `<` and `>` are control characters.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_links_to_the_issue_and_the_facts_are_fields() {
        let payload = json!({
            "issue": {"title": "KeyError: <a>", "culprit": "app.views in index", "level": "error", "count": "12", "userCount": 3},
            "project": {"slug": "backend", "name": "Backend"},
            "url": "https://f.example/organizations/acme/issues/7/"
        });

        let body = render(&payload);

        assert_eq!(body["text"], "ERROR: KeyError: <a> (Backend)");
        assert_eq!(
            body["blocks"][0]["text"]["text"],
            "*<https://f.example/organizations/acme/issues/7/|KeyError: &lt;a&gt;>*"
        );
        assert_eq!(body["blocks"][1]["text"]["text"], "`app.views in index`");
        let fields = body["blocks"][2]["fields"].as_array().unwrap();
        assert_eq!(fields[0]["text"], "*Project*\nBackend");
        assert_eq!(fields[1]["text"], "*Level*\nerror");
        assert_eq!(fields[2]["text"], "*Events*\n12");
        assert_eq!(fields[3]["text"], "*Users*\n3");
        assert_eq!(body["blocks"][3]["type"], "context");
    }
}
