//! The event message: `message` (string or object) and `logentry` merge into `logentry`.

use serde_json::{Map, Value};

use super::exception::non_empty_string;
use crate::event::truncate_chars;

/// Relay's `MaxChars::Message` and its allowance.
const MESSAGE_MAX: usize = 8192;
const MESSAGE_ALLOWANCE: usize = 200;

/// Moves `message` into `logentry {formatted, message, params}` and returns the formatted
/// text: `formatted`, else the template with simple `%` params applied, else the template.
pub(crate) fn normalize_message(data: &mut Map<String, Value>) -> Option<String> {
    let message = data.remove("message");
    let logentry = match (data.remove("logentry"), message) {
        (Some(Value::Object(entry)), _) | (_, Some(Value::Object(entry))) => entry,
        (Some(Value::String(text)), _) | (_, Some(Value::String(text))) => {
            let mut entry = Map::new();
            entry.insert("formatted".into(), Value::String(text));
            entry
        }
        _ => return None,
    };
    let template = non_empty_string(logentry.get("message"));
    let formatted = non_empty_string(logentry.get("formatted")).or_else(|| {
        let template = template.as_deref()?;
        Some(apply_params(template, logentry.get("params")).unwrap_or_else(|| template.into()))
    })?;
    let formatted = trim_message(&formatted);
    let mut clean = Map::new();
    clean.insert("formatted".into(), Value::String(formatted.clone()));
    if let Some(template) = template.filter(|t| *t != formatted) {
        clean.insert("message".into(), Value::String(trim_message(&template)));
    }
    if let Some(params) = logentry
        .get("params")
        .filter(|p| p.is_array() || p.is_object())
    {
        clean.insert("params".into(), params.clone());
    }
    data.insert("logentry".into(), Value::Object(clean));
    Some(formatted)
}

fn trim_message(text: &str) -> String {
    if text.chars().count() > MESSAGE_MAX + MESSAGE_ALLOWANCE {
        truncate_chars(text, MESSAGE_MAX)
    } else {
        text.to_string()
    }
}

/// Python-style `%s`/`%d`/`%r`/`%i`/`%f` with a list, `%(name)s` with an object, `%%` → `%`.
/// `None` when the template and params do not fit together.
fn apply_params(template: &str, params: Option<&Value>) -> Option<String> {
    let params = params?;
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next_positional = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let param = match chars.next()? {
            '%' => {
                out.push('%');
                continue;
            }
            '(' => {
                let name: String = chars.by_ref().take_while(|&c| c != ')').collect();
                chars.next()?;
                params.as_object()?.get(&name)?
            }
            's' | 'd' | 'r' | 'i' | 'f' => {
                next_positional += 1;
                params.as_array()?.get(next_positional - 1)?
            }
            _ => return None,
        };
        out.push_str(&param_text(param));
    }
    let all_used = params
        .as_array()
        .is_none_or(|list| list.len() == next_positional);
    all_used.then_some(out)
}

fn param_text(param: &Value) -> String {
    match param {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(event: Value) -> (Option<String>, Value) {
        let mut data = event.as_object().unwrap().clone();
        let formatted = normalize_message(&mut data);
        (formatted, Value::Object(data))
    }

    #[test]
    fn a_plain_message_string_becomes_the_formatted_logentry() {
        let (formatted, data) = run(json!({"message": "hello world"}));

        assert_eq!(formatted.as_deref(), Some("hello world"));
        assert_eq!(data["logentry"], json!({"formatted": "hello world"}));
        assert!(data.get("message").is_none());
    }

    #[test]
    fn a_logentry_template_gets_its_list_params_applied() {
        let (formatted, data) =
            run(json!({"logentry": {"message": "user %s paid %d", "params": ["ann", 5]}}));

        assert_eq!(formatted.as_deref(), Some("user ann paid 5"));
        assert_eq!(data["logentry"]["message"], "user %s paid %d");
    }

    #[test]
    fn named_params_and_escaped_percent_signs_are_applied() {
        let (formatted, _) =
            run(json!({"logentry": {"message": "%(pct)s%% done", "params": {"pct": 40}}}));

        assert_eq!(formatted.as_deref(), Some("40% done"));
    }

    #[test]
    fn params_that_do_not_fit_the_template_leave_it_unformatted() {
        let (formatted, _) = run(json!({"logentry": {"message": "a %s b %s", "params": ["x"]}}));

        assert_eq!(formatted.as_deref(), Some("a %s b %s"));
    }

    #[test]
    fn an_explicit_formatted_text_wins_over_the_template() {
        let (formatted, _) = run(json!({"logentry": {"message": "x %s", "formatted": "x 1"}}));

        assert_eq!(formatted.as_deref(), Some("x 1"));
    }

    #[test]
    fn an_oversized_message_is_cut_to_8192_characters() {
        let (formatted, _) = run(json!({"message": "m".repeat(9000)}));

        assert_eq!(formatted.unwrap().chars().count(), 8192);
    }
}
