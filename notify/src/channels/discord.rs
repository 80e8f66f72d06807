//! A Discord webhook: `content` (the headline) and one embed: the title linking to
//! the issue, the culprit and exception as description, the facts as inline fields,
//! a color by level, what sent it as footer.

use serde_json::{json, Value};

use super::cut;
use crate::payload::Payload;

/// The webhook body for `payload`.
pub fn render(payload: &Value) -> Value {
    let view = Payload(payload);
    let mut description = Vec::new();
    if let Some(culprit) = view.culprit() {
        description.push(culprit);
    }
    if let Some(exception) = view.exception() {
        description.push(format!("{}: {}", exception.kind, exception.value));
    }
    let fields: Vec<Value> = view
        .facts()
        .into_iter()
        .take(25)
        .map(|(label, value)| json!({"name": label, "value": cut(&value, 1024), "inline": true}))
        .collect();
    let mut embed = json!({
        "title": cut(&view.title(), 256),
        "description": cut(&description.join("\n"), 4096),
        "color": color(&view.level()),
        "fields": fields,
        "footer": {"text": cut(&view.footer(), 2048)},
    });
    if let Some(link) = view.link() {
        embed["url"] = json!(link);
    }
    // Discord refuses the whole message over a timestamp it cannot read.
    if let Some(seen) = view
        .last_seen()
        .and_then(|seen| chrono::DateTime::parse_from_rfc3339(&seen).ok())
    {
        embed["timestamp"] = json!(seen.to_rfc3339());
    }
    json!({
        "content": cut(&view.headline(), 2000),
        "username": "Faultline",
        "embeds": [embed],
        // Never ping anyone from text that came from an event.
        "allowed_mentions": {"parse": []},
    })
}

/// Sentry's level colors.
fn color(level: &str) -> u32 {
    match level {
        "fatal" => 0xD1_05_6B,
        "error" => 0xF5_54_59,
        "warning" => 0xF5_B0_00,
        "info" => 0x27_88_CE,
        "debug" => 0x8F_8F_8F,
        _ => 0xF5_54_59,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_embed_links_to_the_issue_colored_by_level() {
        let payload = json!({
            "issue": {"title": "boom", "culprit": "app in f", "level": "warning", "count": 4, "lastSeen": "2026-01-02T03:04:05Z"},
            "event": {"exception": {"values": [{"type": "ValueError", "value": "bad"}]}},
            "project": {"slug": "backend"},
            "url": "https://f.example/organizations/acme/issues/7/"
        });

        let body = render(&payload);
        let embed = &body["embeds"][0];

        assert_eq!(body["content"], "WARNING: boom");
        assert_eq!(embed["title"], "boom");
        assert_eq!(
            embed["url"],
            "https://f.example/organizations/acme/issues/7/"
        );
        assert_eq!(embed["description"], "app in f\nValueError: bad");
        assert_eq!(embed["color"], 0xF5B000);
        assert_eq!(
            embed["fields"][0],
            json!({"name": "Project", "value": "backend", "inline": true})
        );
        assert_eq!(embed["timestamp"], "2026-01-02T03:04:05+00:00");
    }

    #[test]
    fn an_unreadable_time_or_link_is_left_out() {
        let body = render(&json!({"issue": {"lastSeen": "yesterday"}, "url": "ftp://x"}));

        assert!(body["embeds"][0].get("timestamp").is_none());
        assert!(body["embeds"][0].get("url").is_none());
        assert_eq!(body["embeds"][0]["color"], 0xF55459);
    }
}
