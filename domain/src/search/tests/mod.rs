//! Unit tests: one behaviour of the search language per test.

mod dates;
mod syntax;
mod terms;

use chrono::{DateTime, TimeZone, Utc};

use super::*;

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
}

pub(super) fn filters(query: &str) -> Vec<Filter> {
    let parsed = parse(query, now()).unwrap();
    assert!(parsed.text.is_empty(), "unexpected text in {query:?}");
    parsed.filters
}

pub(super) fn only_filter(query: &str) -> Filter {
    let mut all = filters(query);
    assert_eq!(all.len(), 1, "expected one filter in {query:?}");
    all.remove(0)
}

pub(super) fn error(query: &str) -> SearchError {
    parse(query, now()).unwrap_err()
}

pub(super) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

pub(super) fn tag(key: &str, values: &[&str]) -> Filter {
    Filter::Tag {
        negated: false,
        key: key.into(),
        values: strings(values),
    }
}

pub(super) fn field(field: Field, values: &[&str]) -> Filter {
    Filter::Field {
        negated: false,
        field,
        values: strings(values),
    }
}

pub(super) fn number(field: NumberField, op: Comparison, value: i64) -> Filter {
    Filter::Number {
        negated: false,
        field,
        op,
        value,
    }
}

pub(super) fn date(field: DateField, op: Comparison, value: DateTime<Utc>) -> Filter {
    Filter::Date {
        negated: false,
        field,
        op,
        value,
    }
}

pub(super) fn assigned(target: AssigneeFilter) -> Filter {
    Filter::AssignedTo {
        negated: false,
        target,
    }
}
