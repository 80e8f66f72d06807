//! The matchers both kinds of rules share (`error.type:`, `stack.function:`, `path:`,
//! `family:`, `tags.x:`, ...), parsed from `[!]key:value` and matched against an event,
//! one of its exceptions and one of its frames.

use super::super::super::normalize::{Frame, NormalizedEvent};
use super::glob::Glob;
use super::parse::Cursor;
use super::RuleError;

/// What a matcher reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `error.type`, `type`.
    Type,
    /// `error.value`, `value`.
    Value,
    /// `error.mechanism`, `mechanism`.
    Mechanism,
    /// `message`.
    Message,
    /// `logger`.
    Logger,
    /// `level`.
    Level,
    /// `stack.module`, `module`.
    Module,
    /// `stack.abs_path`, `path` (the absolute path or the file name).
    Path,
    /// `stack.function`, `function`.
    Function,
    /// `stack.package`, `package`.
    Package,
    /// `app`: whether the frame is in-app.
    App,
    /// `family`: `javascript`, `native`, `other` or `all`.
    Family,
    /// `sdk`: the SDK's name.
    Sdk,
    /// `release`.
    Release,
    /// `tags.<key>`.
    Tag(String),
}

impl Field {
    /// Whether it reads a frame.
    pub fn of_frame(&self) -> bool {
        matches!(
            self,
            Field::Module
                | Field::Path
                | Field::Function
                | Field::Package
                | Field::App
                | Field::Family
        )
    }

    /// Whether it reads an exception.
    pub fn of_exception(&self) -> bool {
        matches!(self, Field::Type | Field::Value | Field::Mechanism)
    }
}

/// One `[!]key:value`.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// What it reads.
    pub field: Field,
    /// `!`.
    pub negated: bool,
    glob: Glob,
}

impl Matcher {
    /// Parses a matcher at the cursor; `frames_only` refuses event-level keys (stack
    /// trace rules read frames and their exception).
    pub fn parse(cursor: &mut Cursor<'_>, frames_only: bool) -> Result<Matcher, RuleError> {
        let start = cursor.position();
        let negated = cursor.eat('!');
        let key = cursor.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if key.is_empty() || !cursor.eat(':') {
            return Err(cursor.error_at(start));
        }
        let value = cursor.value().ok_or_else(|| cursor.error_at(start))?;
        let field = match key.as_str() {
            "error.type" | "type" => Field::Type,
            "error.value" | "value" => Field::Value,
            "error.mechanism" | "mechanism" => Field::Mechanism,
            "message" if !frames_only => Field::Message,
            "logger" if !frames_only => Field::Logger,
            "level" if !frames_only => Field::Level,
            "stack.module" | "module" => Field::Module,
            "stack.abs_path" | "path" => Field::Path,
            "stack.function" | "function" => Field::Function,
            "stack.package" | "package" => Field::Package,
            "app" => Field::App,
            "family" => Field::Family,
            "sdk" if !frames_only => Field::Sdk,
            "release" if !frames_only => Field::Release,
            tag if !frames_only && tag.starts_with("tags.") && tag.len() > 5 => {
                Field::Tag(tag[5..].to_owned())
            }
            _ => return Err(cursor.message_at(start, &format!("Unknown matcher '{key}'"))),
        };
        if field == Field::App
            && !matches!(value.as_str(), "1" | "yes" | "true" | "0" | "no" | "false")
        {
            return Err(cursor.message_at(start, &format!("Invalid value for app: '{value}'")));
        }
        let path_like = matches!(field, Field::Path | Field::Package | Field::Release);
        let case_insensitive =
            path_like || matches!(field, Field::Message | Field::Level | Field::Value);
        let glob = Glob::new(&value, path_like, case_insensitive)
            .ok_or_else(|| cursor.message_at(start, "The pattern is too large"))?;
        Ok(Matcher {
            glob,
            field,
            negated,
        })
    }

    /// The value as written.
    pub fn value(&self) -> &str {
        self.glob.source()
    }

    fn test(&self, matched: bool) -> bool {
        matched != self.negated
    }

    /// Matches a frame of `platform` (the frame's own platform wins).
    pub fn matches_frame(&self, frame: &Frame, in_app: bool, platform: &str) -> bool {
        let text = |value: Option<&str>| value.is_some_and(|v| self.glob.matches(v));
        let matched = match &self.field {
            Field::Module => text(frame.module.as_deref()),
            Field::Function => text(frame.function.as_deref()),
            Field::Package => text(frame.package.as_deref()),
            Field::Path => text(frame.abs_path.as_deref()) || text(frame.filename.as_deref()),
            Field::App => {
                let wanted = matches!(self.value(), "1" | "yes" | "true");
                wanted == in_app
            }
            Field::Family => {
                let platform = frame.platform.as_deref().unwrap_or(platform);
                family_matches(self.value(), platform)
            }
            _ => return true,
        };
        self.test(matched)
    }

    /// Matches an exception: `(type, value, mechanism type)`.
    pub fn matches_exception(
        &self,
        ty: Option<&str>,
        value: Option<&str>,
        mechanism: Option<&str>,
    ) -> bool {
        let text = |v: Option<&str>| v.is_some_and(|v| self.glob.matches(v));
        let matched = match self.field {
            Field::Type => text(ty),
            Field::Value => text(value),
            Field::Mechanism => text(mechanism),
            _ => return true,
        };
        self.test(matched)
    }

    /// Matches the event's own fields.
    pub fn matches_event(&self, event: &NormalizedEvent, sdk: Option<&str>) -> bool {
        let text = |v: Option<&str>| v.is_some_and(|v| self.glob.matches(v));
        let matched = match &self.field {
            Field::Message => {
                text(event.message.as_deref())
                    || event.exceptions.iter().any(|e| text(e.value.as_deref()))
            }
            Field::Logger => text(Some(&event.logger)),
            Field::Level => text(Some(&event.level)),
            Field::Release => text(event.release.as_deref()),
            Field::Sdk => self.value() == "all" || self.value().split(',').any(|s| Some(s) == sdk),
            Field::Tag(key) => text(
                event
                    .tags
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str()),
            ),
            _ => return true,
        };
        self.test(matched)
    }
}

/// `family:javascript,native` against a platform.
fn family_matches(families: &str, platform: &str) -> bool {
    let family = match platform {
        "javascript" | "node" => "javascript",
        "native" | "c" | "cocoa" | "objc" | "swift" => "native",
        _ => "other",
    };
    families.split(',').any(|f| f == "all" || f == family)
}
