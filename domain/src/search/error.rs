//! Why a search query or sort value was refused.

/// Why [`parse`](super::parse) or [`IssueSort`](super::IssueSort)'s `FromStr` refused its
/// input. Each message names the offending token as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// A `"` opened a quoted value or phrase that never closed: `message:"foo`.
    #[error("unterminated quote in {token:?}")]
    UnterminatedQuote {
        /// The token from its start to the end of the query.
        token: String,
    },
    /// Something other than a space follows a closing quote: `message:"foo"bar`.
    #[error("unexpected text after closing quote in {token:?}")]
    TextAfterQuote {
        /// The whole token, up to the next space.
        token: String,
    },
    /// A `[` opened a list that never closed: `level:[error,fatal`.
    #[error("unterminated list in {token:?}")]
    UnterminatedList {
        /// The token from its start to the end of the query.
        token: String,
    },
    /// A list is empty, has an empty item, lacks a comma, or has text after its `]`:
    /// `level:[]`, `level:[error,,fatal]`, `level:[error fatal]`.
    #[error("invalid list in {token:?}: expected values separated by ',' and closed by ']'")]
    InvalidList {
        /// The token, up to the next space after the problem.
        token: String,
    },
    /// A key is followed by nothing: `level:` at the end or before a space.
    #[error("missing value for {key}:")]
    MissingValue {
        /// The key as written, without the negation mark.
        key: String,
    },
    /// A key that takes one value was given a list: `is:[resolved,ignored]`.
    #[error("{key}: does not accept a list of values")]
    ListNotAllowed {
        /// The key as written, without the negation mark.
        key: String,
    },
    /// A key with a fixed set of values got another one: `is:foo`, `assigned:bob`.
    #[error("unknown value {value:?} for {key}:")]
    UnknownValue {
        /// The key as written, without the negation mark.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A numeric key got something that is not an optional operator and an integer.
    #[error("invalid value {value:?} for {key}: expected a number")]
    InvalidNumber {
        /// The key as written, without the negation mark.
        key: String,
        /// The value as written, operator included.
        value: String,
    },
    /// A date key got something that is neither a relative period (`-24h`) nor an
    /// optional operator and an ISO 8601 date or date-time.
    #[error("invalid date {value:?} for {key}")]
    InvalidDate {
        /// The key as written, without the negation mark.
        key: String,
        /// The value as written, operator included.
        value: String,
    },
    /// A sort value other than `date`, `new`, `freq` or `user`.
    #[error("unknown sort {value:?}: expected date, new, freq or user")]
    UnknownSort {
        /// The sort value as given.
        value: String,
    },
}
