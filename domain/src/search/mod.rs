//! Sentry's issue search language: `is:unresolved level:[error,fatal] !release:1.2 "db timeout"`.
//!
//! [`parse`] turns a query string into a [`Query`] of typed [`Filter`]s and free text;
//! [`IssueSort`] reads the `sort` parameter. Pure: relative dates (`firstSeen:-24h`)
//! are resolved against the `now` passed in.
//!
//! - `lexer`: splits the query into free text and raw `key:value` terms
//! - `term`: gives each key its meaning (unknown keys are tags, as in Sentry)
//! - `date`: relative and absolute date values
//! - `query`: the parsed types; `display`: their canonical string form
//! - `sort`: the sort order; `error`: [`SearchError`]

mod date;
mod display;
mod error;
mod lexer;
#[cfg(test)]
mod proptests;
mod query;
mod sort;
mod term;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use error::SearchError;
pub use query::{
    AssigneeFilter, Comparison, DateField, Field, Filter, NumberField, Query, StatusFilter,
};
pub use sort::IssueSort;

use lexer::Token;

/// The query Sentry applies when the `query` parameter is absent. An empty but present
/// query (`query=`) matches every issue, so [`parse`] of `""` is the empty [`Query`].
pub const DEFAULT_QUERY: &str = "is:unresolved";

/// Parses a search query, resolving relative dates against `now`.
///
/// Terms are separated by whitespace. `[!]key:value` is a filter; anything else,
/// including quoted phrases, is free text (an empty phrase `""` is ignored). See
/// [`Filter`] for the keys and [`SearchError`] for what is refused.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use faultline_domain::search::{parse, Field, Filter};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
/// let query = parse(r#"!level:[error,fatal] "db timeout""#, now).unwrap();
/// assert_eq!(
///     query.filters,
///     [Filter::Field {
///         negated: true,
///         field: Field::Level,
///         values: vec!["error".into(), "fatal".into()],
///     }]
/// );
/// assert_eq!(query.text, ["db timeout"]);
/// ```
pub fn parse(query: &str, now: DateTime<Utc>) -> Result<Query, SearchError> {
    let mut parsed = Query::default();
    for token in lexer::tokenize(query)? {
        match token {
            Token::Text(text) if text.is_empty() => {}
            Token::Text(text) => parsed.text.push(text),
            Token::Term(term) => parsed.filters.push(term::to_filter(term, now)?),
        }
    }
    Ok(parsed)
}
