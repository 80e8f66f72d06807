//! The issue list's sort order (`?sort=`).

use std::fmt;
use std::str::FromStr;

use super::SearchError;

/// How the issue list is ordered, newest or largest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IssueSort {
    /// `date`: by last seen (Sentry's default).
    #[default]
    Date,
    /// `new`: by first seen.
    New,
    /// `freq`: by number of events.
    Freq,
    /// `user`: by number of affected users.
    User,
}

impl IssueSort {
    /// Every sort, in the order Sentry lists them.
    pub const ALL: [IssueSort; 4] = [
        IssueSort::Date,
        IssueSort::New,
        IssueSort::Freq,
        IssueSort::User,
    ];

    /// The value as written in `?sort=`: `date`, `new`, `freq` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueSort::Date => "date",
            IssueSort::New => "new",
            IssueSort::Freq => "freq",
            IssueSort::User => "user",
        }
    }
}

impl FromStr for IssueSort {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IssueSort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == s)
            .ok_or_else(|| SearchError::UnknownSort {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for IssueSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
