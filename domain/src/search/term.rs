//! Turns a lexed `key:value` term into a [`Filter`].

use chrono::{DateTime, Utc};

use super::date::parse_date;
use super::lexer::{Term, Value};
use super::{
    AssigneeFilter, Comparison, DateField, Field, Filter, NumberField, SearchError, StatusFilter,
};
use crate::slug::Slug;

/// What a key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Status,
    Assigned,
    Bookmarks,
    Field(Field),
    Number(NumberField),
    Date(DateField),
}

/// Every key this parser gives a meaning, aliases included. Any other key is a tag.
const KEYS: [(&str, Key); 19] = [
    ("is", Key::Status),
    ("assigned", Key::Assigned),
    ("assigned_to", Key::Assigned),
    ("bookmarks", Key::Bookmarks),
    ("level", Key::Field(Field::Level)),
    ("release", Key::Field(Field::Release)),
    ("environment", Key::Field(Field::Environment)),
    ("firstRelease", Key::Field(Field::FirstRelease)),
    ("first_release", Key::Field(Field::FirstRelease)),
    ("issue.category", Key::Field(Field::IssueCategory)),
    ("issue.type", Key::Field(Field::IssueType)),
    ("times_seen", Key::Number(NumberField::TimesSeen)),
    ("timesSeen", Key::Number(NumberField::TimesSeen)),
    ("user_count", Key::Number(NumberField::UserCount)),
    ("issue.id", Key::Number(NumberField::IssueId)),
    ("firstSeen", Key::Date(DateField::FirstSeen)),
    ("first_seen", Key::Date(DateField::FirstSeen)),
    ("lastSeen", Key::Date(DateField::LastSeen)),
    ("last_seen", Key::Date(DateField::LastSeen)),
];

fn lookup(key: &str) -> Option<Key> {
    KEYS.iter().find(|(name, _)| *name == key).map(|(_, k)| *k)
}

/// True if `key` written bare means something other than a tag.
pub(super) fn is_reserved_key(key: &str) -> bool {
    lookup(key).is_some()
}

/// Interprets `term`, resolving relative dates against `now`.
pub(super) fn to_filter(term: Term, now: DateTime<Utc>) -> Result<Filter, SearchError> {
    let Term {
        negated,
        key,
        explicit_tag,
        value,
    } = term;
    let kind = if explicit_tag { None } else { lookup(&key) };
    let Some(kind) = kind else {
        return Ok(Filter::Tag {
            negated,
            key,
            values: values(value),
        });
    };
    match kind {
        Key::Field(field) => Ok(Filter::Field {
            negated,
            field,
            values: values(value),
        }),
        Key::Status => {
            let value = single(&key, value)?;
            StatusFilter::from_value(&value)
                .map(|status| Filter::Status { negated, status })
                .ok_or(SearchError::UnknownValue { key, value })
        }
        Key::Assigned => {
            let value = single(&key, value)?;
            assignee(&value)
                .map(|target| Filter::AssignedTo { negated, target })
                .ok_or(SearchError::UnknownValue { key, value })
        }
        Key::Bookmarks => {
            let value = single(&key, value)?;
            bookmarks(&value)
                .map(|me| Filter::BookmarkedBy { negated, me })
                .ok_or(SearchError::UnknownValue { key, value })
        }
        Key::Number(field) => {
            let value = single(&key, value)?;
            let (op, digits) = Comparison::split(&value);
            match digits.parse() {
                Ok(number) => Ok(Filter::Number {
                    negated,
                    field,
                    op,
                    value: number,
                }),
                Err(_) => Err(SearchError::InvalidNumber { key, value }),
            }
        }
        Key::Date(field) => {
            let value = single(&key, value)?;
            match parse_date(&value, now) {
                Some((op, at)) => Ok(Filter::Date {
                    negated,
                    field,
                    op,
                    value: at,
                }),
                None => Err(SearchError::InvalidDate { key, value }),
            }
        }
    }
}

/// The one value of a key that takes no list.
fn single(key: &str, value: Value) -> Result<String, SearchError> {
    match value {
        Value::Single(value) => Ok(value),
        Value::List(_) => Err(SearchError::ListNotAllowed {
            key: key.to_owned(),
        }),
    }
}

fn values(value: Value) -> Vec<String> {
    match value {
        Value::Single(value) => vec![value],
        Value::List(values) => values,
    }
}

fn assignee(value: &str) -> Option<AssigneeFilter> {
    match value {
        "me" => Some(AssigneeFilter::Me),
        "none" => Some(AssigneeFilter::None),
        _ => {
            if let Some(team) = value.strip_prefix('#') {
                return Slug::parse(team)
                    .ok()
                    .map(|slug| AssigneeFilter::Team(slug.as_str().to_owned()));
            }
            let (local, domain) = value.split_once('@')?;
            (!local.is_empty() && !domain.is_empty())
                .then(|| AssigneeFilter::Email(value.to_owned()))
        }
    }
}

fn bookmarks(value: &str) -> Option<bool> {
    match value {
        "me" => Some(true),
        "none" => Some(false),
        _ => None,
    }
}
