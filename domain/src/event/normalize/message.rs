//! The event message: `message` (string or object) and `logentry` merge into `logentry`.

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Object, Value, ValueRef};

use super::exception::non_empty_string;
use super::{field, string_value};
use crate::event::truncate_chars;

/// Relay's `MaxChars::Message` and its allowance.
const MESSAGE_MAX: usize = 8192;
const MESSAGE_ALLOWANCE: usize = 200;

/// Moves `message` into `logentry {formatted, message, params}` and returns the formatted
/// text: `formatted`, else the template with simple `%` params applied, else the template.
pub(crate) fn normalize_message(data: &mut Object) -> Option<String> {
    let formatted_only = |text: Value| {
        let mut entry = Object::new();
        entry.insert("formatted", text);
        entry
    };
    let logentry = match (data.remove(&"logentry"), data.remove(&"message")) {
        (Some(entry), _) if entry.is_object() => entry.into_object()?,
        (_, Some(entry)) if entry.is_object() => entry.into_object()?,
        (Some(text), _) if text.is_str() => formatted_only(text),
        (_, Some(text)) if text.is_str() => formatted_only(text),
        _ => return None,
    };
    let template = non_empty_string(field(&logentry, "message"));
    let params = field(&logentry, "params");
    let formatted = non_empty_string(field(&logentry, "formatted")).or_else(|| {
        let template = template.as_deref()?;
        Some(apply_params(template, params).unwrap_or_else(|| template.into()))
    })?;
    let formatted = trim_message(&formatted);
    let mut clean = Object::new();
    clean.insert("formatted", formatted.as_str());
    if let Some(template) = template.filter(|t| *t != formatted) {
        clean.insert("message", string_value(trim_message(&template)));
    }
    if let Some(params) = params.filter(|p| p.is_array() || p.is_object()) {
        // References the parse arena (or shares the map); no copy of the params.
        clean.insert("params", params.clone());
    }
    data.insert("logentry", clean);
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
                field(params.as_object()?, &name)?
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

/// A parameter as serde_json printed it: strings bare, anything else as compact JSON.
fn param_text(param: &Value) -> String {
    match param.as_ref() {
        ValueRef::String(s) => s.to_string(),
        ValueRef::Number(n) => n.to_string(),
        ValueRef::Bool(b) => b.to_string(),
        ValueRef::Null => "null".to_string(),
        // Rare; through serde_json for its sorted keys and last-of-a-repeated-key.
        ValueRef::Array(_) | ValueRef::Object(_) => serde_json::to_value(param)
            .map(|json| json.to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::test_support::sonic;

    fn run(event: serde_json::Value) -> (Option<String>, serde_json::Value) {
        let mut data = sonic(event).into_object().unwrap();
        let formatted = normalize_message(&mut data);
        (formatted, serde_json::to_value(&data).unwrap())
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
