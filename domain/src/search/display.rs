//! Prints a [`Query`] as a canonical query string that parses back to an equal `Query`.
//!
//! Filters come first, in order, then free text. Values are printed bare when that is
//! unambiguous and quoted (with `\"` and `\\` escapes) otherwise; dates are printed as
//! absolute RFC 3339 with their operator; tags whose key is reserved or not a plain key
//! are printed as `tags[key]:`.

use std::fmt::{self, Display, Formatter, Write};

use chrono::SecondsFormat;

use super::lexer::is_key_char;
use super::term::is_reserved_key;
use super::{AssigneeFilter, Filter, Query};

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut separate = |f: &mut Formatter<'_>| {
            let sep = if first { "" } else { " " };
            first = false;
            f.write_str(sep)
        };
        for filter in &self.filters {
            separate(f)?;
            write!(f, "{filter}")?;
        }
        for text in &self.text {
            separate(f)?;
            if is_bare_text(text) {
                f.write_str(text)?;
            } else {
                write_quoted(f, text)?;
            }
        }
        Ok(())
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.negated() {
            f.write_char('!')?;
        }
        match self {
            Filter::Status { status, .. } => write!(f, "is:{}", status.as_str()),
            Filter::AssignedTo { target, .. } => {
                f.write_str("assigned:")?;
                match target {
                    AssigneeFilter::Me => f.write_str("me"),
                    AssigneeFilter::None => f.write_str("none"),
                    AssigneeFilter::Email(email) => write_value(f, email),
                    AssigneeFilter::Team(team) => write_value(f, &format!("#{team}")),
                }
            }
            Filter::BookmarkedBy { me, .. } => f.write_str(if *me {
                "bookmarks:me"
            } else {
                "bookmarks:none"
            }),
            Filter::Field { field, values, .. } => {
                write!(f, "{}:", field.key())?;
                write_values(f, values)
            }
            Filter::Number {
                field, op, value, ..
            } => write!(f, "{}:{}{value}", field.key(), op.as_str()),
            Filter::Date {
                field, op, value, ..
            } => {
                let at = value.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                write!(f, "{}:{}{at}", field.key(), op.as_str())
            }
            Filter::Tag { key, values, .. } => {
                if is_bare_key(key) {
                    write!(f, "{key}:")?;
                } else {
                    write!(f, "tags[{key}]:")?;
                }
                write_values(f, values)
            }
        }
    }
}

impl Filter {
    /// True if the filter was written with a leading `!`.
    pub fn negated(&self) -> bool {
        match self {
            Filter::Status { negated, .. }
            | Filter::AssignedTo { negated, .. }
            | Filter::BookmarkedBy { negated, .. }
            | Filter::Field { negated, .. }
            | Filter::Number { negated, .. }
            | Filter::Date { negated, .. }
            | Filter::Tag { negated, .. } => *negated,
        }
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(is_key_char) && !is_reserved_key(key)
}

/// A free-text word that reads back as itself: no spaces, no `:`, no leading quote.
fn is_bare_text(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('"')
        && !text.contains(':')
        && !text.contains(char::is_whitespace)
}

/// A value that reads back as itself: no spaces, no leading quote or bracket.
fn is_bare_value(value: &str) -> bool {
    !value.is_empty() && !value.starts_with(['"', '[']) && !value.contains(char::is_whitespace)
}

/// A list item that reads back as itself: a bare value without `,`, `]` or `"`.
fn is_bare_item(item: &str) -> bool {
    is_bare_value(item) && !item.contains([',', ']', '"'])
}

fn write_values(f: &mut Formatter<'_>, values: &[String]) -> fmt::Result {
    match values {
        [value] => write_value(f, value),
        _ => {
            f.write_char('[')?;
            for (i, item) in values.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                if is_bare_item(item) {
                    f.write_str(item)?;
                } else {
                    write_quoted(f, item)?;
                }
            }
            f.write_char(']')
        }
    }
}

fn write_value(f: &mut Formatter<'_>, value: &str) -> fmt::Result {
    if is_bare_value(value) {
        f.write_str(value)
    } else {
        write_quoted(f, value)
    }
}

fn write_quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}
