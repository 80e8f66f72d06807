//! Fingerprint rules (`fingerprintingRules`), in Sentry's syntax:
//! `matchers -> fingerprint values [title="..."]`. The first rule whose matchers all
//! hold gives the event its fingerprint (variables such as `{{ default }}` expand as in
//! an SDK fingerprint) and, with `title=`, its issue title. Frame matchers must all
//! hold for one frame, exception matchers for one exception.

use super::super::super::normalize::NormalizedEvent;
use super::matchers::Matcher;
use super::parse::{rule_lines, Cursor};
use super::RuleError;

/// One rule.
#[derive(Debug, Clone)]
pub struct FingerprintRule {
    matchers: Vec<Matcher>,
    /// The fingerprint it gives.
    pub fingerprint: Vec<String>,
    /// The title it gives, if any.
    pub title: Option<String>,
    /// The line as written.
    pub text: String,
}

/// Parsed fingerprint rules.
#[derive(Debug, Clone, Default)]
pub struct FingerprintRules {
    rules: Vec<FingerprintRule>,
}

impl FingerprintRules {
    /// Parses rules; an error names the line and column.
    pub fn parse(text: &str) -> Result<FingerprintRules, RuleError> {
        let mut rules = Vec::new();
        for (number, line) in rule_lines(text) {
            rules.push(parse_rule(line, number)?);
        }
        Ok(FingerprintRules { rules })
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule that matches `event`, whose frames' in-app flags are `in_app`
    /// (per exception, per frame).
    pub fn first_match(
        &self,
        event: &NormalizedEvent,
        in_app: &[Vec<bool>],
    ) -> Option<&FingerprintRule> {
        let sdk = super::super::super::normalize::child(&event.data, "sdk")
            .and_then(|s| super::super::super::normalize::child(s, "name"))
            .and_then(sonic_rs::JsonValueTrait::as_str);
        self.rules
            .iter()
            .find(|rule| rule.matches(event, sdk, in_app))
    }
}

impl FingerprintRule {
    fn matches(&self, event: &NormalizedEvent, sdk: Option<&str>, in_app: &[Vec<bool>]) -> bool {
        let event_level = self
            .matchers
            .iter()
            .filter(|m| !m.field.of_frame() && !m.field.of_exception())
            .all(|m| m.matches_event(event, sdk));
        if !event_level {
            return false;
        }
        let exception_matchers: Vec<&Matcher> = self
            .matchers
            .iter()
            .filter(|m| m.field.of_exception())
            .collect();
        if !exception_matchers.is_empty()
            && !event.exceptions.iter().any(|e| {
                exception_matchers
                    .iter()
                    .all(|m| m.matches_exception(e.ty.as_deref(), e.value.as_deref(), None))
            })
        {
            return false;
        }
        let frame_matchers: Vec<&Matcher> = self
            .matchers
            .iter()
            .filter(|m| m.field.of_frame())
            .collect();
        frame_matchers.is_empty()
            || event.exceptions.iter().enumerate().any(|(i, e)| {
                e.frames.iter().enumerate().any(|(j, frame)| {
                    let app = in_app
                        .get(i)
                        .and_then(|f| f.get(j))
                        .copied()
                        .unwrap_or(frame.in_app == Some(true));
                    frame_matchers
                        .iter()
                        .all(|m| m.matches_frame(frame, app, &event.platform))
                })
            })
    }
}

fn parse_rule(line: &str, number: usize) -> Result<FingerprintRule, RuleError> {
    let mut cursor = Cursor::new(line, number);
    let mut matchers = Vec::new();
    loop {
        cursor.skip_space(false);
        if cursor.eat_str("->") {
            break;
        }
        if cursor.rest().is_empty() {
            return Err(cursor.error_at(cursor.position()));
        }
        matchers.push(Matcher::parse(&mut cursor, false)?);
    }
    if matchers.is_empty() {
        return Err(cursor.error_at(0));
    }
    let mut fingerprint = Vec::new();
    let mut title = None;
    loop {
        cursor.skip_space(true);
        if cursor.rest().is_empty() {
            break;
        }
        let start = cursor.position();
        if cursor.rest().starts_with('"') {
            fingerprint.push(cursor.quoted().ok_or_else(|| cursor.error_at(start))?);
        } else if cursor.rest().starts_with("{{") {
            let end = cursor
                .rest()
                .find("}}")
                .ok_or_else(|| cursor.error_at(start))?;
            let variable = cursor.rest()[..end + 2].to_owned();
            cursor.eat_str(&variable);
            fingerprint.push(variable);
        } else {
            let word =
                cursor.take_while(|c| !c.is_whitespace() && c != ',' && c != '{' && c != '=');
            if cursor.eat('=') {
                if word != "title" {
                    return Err(cursor.message_at(start, &format!("Unknown attribute '{word}'")));
                }
                title = Some(cursor.quoted().ok_or_else(|| cursor.error_at(start))?);
            } else if word.is_empty() {
                return Err(cursor.error_at(start));
            } else {
                fingerprint.push(word);
            }
        }
    }
    if fingerprint.is_empty() {
        return Err(cursor.error_at(cursor.position()));
    }
    Ok(FingerprintRule {
        matchers,
        fingerprint,
        title,
        text: line.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::test_support::event;

    #[test]
    fn a_rule_gives_its_fingerprint_and_title() {
        let rules = FingerprintRules::parse(
            "# outages\nerror.type:DatabaseUnavailable -> system-down title=\"Database down\"\nmessage:\"*timeout*\" -> timeouts, {{ level }}\n",
        )
        .unwrap();
        let db = event(
            json!({"exception": {"values": [{"type": "DatabaseUnavailable", "value": "x"}]}}),
        );
        let rule = rules.first_match(&db, &[]).unwrap();
        assert_eq!(rule.fingerprint, ["system-down"]);
        assert_eq!(rule.title.as_deref(), Some("Database down"));
        let slow = event(json!({"message": "Request timeout after 3s"}));
        assert_eq!(
            rules.first_match(&slow, &[]).unwrap().fingerprint,
            ["timeouts", "{{ level }}"]
        );
        let other = event(json!({"message": "fine"}));
        assert!(rules.first_match(&other, &[]).is_none());
    }

    #[test]
    fn frame_matchers_must_hold_for_one_frame() {
        let rules =
            FingerprintRules::parse("stack.function:pay stack.module:shop.* -> pay").unwrap();
        let split = event(
            json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "pay", "module": "lib"}, {"function": "other", "module": "shop.cart"}]}}]}}),
        );
        assert!(rules.first_match(&split, &[]).is_none());
        let one = event(
            json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "pay", "module": "shop.cart"}]}}]}}),
        );
        assert!(rules.first_match(&one, &[]).is_some());
    }

    #[test]
    fn bad_rules_name_their_line_and_column() {
        let error = FingerprintRules::parse("type:A -> a\ntype:B b").unwrap_err();
        assert!(error.to_string().contains("(line 2, column"), "{error}");
        let error = FingerprintRules::parse("type:A -> a colour=\"red\"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Unknown attribute 'colour' (line 1, column 13)"
        );
        let error = FingerprintRules::parse("nope:A -> a").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Unknown matcher 'nope' (line 1, column 1)"
        );
    }
}
