//! The parsed form of a search query.

use chrono::{DateTime, Utc};

/// A parsed search query: every filter must hold (AND), and every free-text term must
/// occur in the issue's title or culprit.
///
/// The empty query matches every issue; see [`DEFAULT_QUERY`](super::DEFAULT_QUERY) for
/// what to use when no query is given at all. Its `Display` prints a canonical query
/// that parses back to an equal `Query`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The `key:value` filters, in the order written.
    pub filters: Vec<Filter>,
    /// Free-text words and quoted phrases, in the order written, case kept.
    pub text: Vec<String>,
}

/// One `key:value` term. `negated` is set by a leading `!` on the key (`!level:error`)
/// and inverts the whole filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `is:unresolved`, `is:for_review`…
    Status {
        /// Written `!is:…`.
        negated: bool,
        /// The status or substatus asked for.
        status: StatusFilter,
    },
    /// `assigned:me`, `assigned:none`, `assigned:a@b.c`, `assigned:#team` (also
    /// `assigned_to:`). `is:assigned` and `is:unassigned` stay [`Filter::Status`].
    AssignedTo {
        /// Written `!assigned:…`.
        negated: bool,
        /// Who the issue is assigned to.
        target: AssigneeFilter,
    },
    /// `bookmarks:me` (`me: true`): bookmarked by the current user; `bookmarks:none`
    /// (`me: false`): bookmarked by no one.
    BookmarkedBy {
        /// Written `!bookmarks:…`.
        negated: bool,
        /// `true` for `me`, `false` for `none`.
        me: bool,
    },
    /// `level:`, `release:`, `environment:`; several values (`level:[error,fatal]`)
    /// match if any of them does.
    Field {
        /// Written `!level:…`: none of the values matches.
        negated: bool,
        /// Which issue field.
        field: Field,
        /// One or more values, as written.
        values: Vec<String>,
    },
    /// `times_seen:>10`, `user_count:<=3`, `issue.id:42`: the field compared to `value`.
    Number {
        /// Written `!times_seen:…`.
        negated: bool,
        /// Which counter.
        field: NumberField,
        /// `field op value`; a bare number is [`Comparison::Eq`].
        op: Comparison,
        /// The number compared against.
        value: i64,
    },
    /// `firstSeen:`/`lastSeen:` compared to an instant. A relative `-24h` ("within the
    /// last 24 hours") becomes `Gte now-24h`; `+7d` ("more than 7 days ago") becomes
    /// `Lte now-7d`; a bare absolute date is `Eq`.
    Date {
        /// Written `!firstSeen:…`.
        negated: bool,
        /// Which timestamp.
        field: DateField,
        /// `field op value`.
        op: Comparison,
        /// The instant, relative periods already resolved against `now`.
        value: DateTime<Utc>,
    },
    /// A tag, from `tags[key]:value` or any key this parser does not know
    /// (`browser:"Mobile Safari"`); several values match if any of them does.
    Tag {
        /// Written `!key:…`: the tag has none of the values.
        negated: bool,
        /// The tag key, as written.
        key: String,
        /// One or more values, as written.
        values: Vec<String>,
    },
}

/// The value of `is:`. Statuses and substatuses (`new`, `ongoing`, `regressed`) mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    /// `is:unresolved`
    Unresolved,
    /// `is:resolved`
    Resolved,
    /// `is:ignored` (also `is:muted`)
    Ignored,
    /// `is:archived`: Sentry's newer name for ignored.
    Archived,
    /// `is:assigned`: assigned to anyone.
    Assigned,
    /// `is:unassigned`: assigned to no one, like `assigned:none`.
    Unassigned,
    /// `is:for_review`
    ForReview,
    /// `is:regressed`
    Regressed,
    /// `is:new`
    New,
    /// `is:ongoing`
    Ongoing,
}

impl StatusFilter {
    /// Every status, in declaration order.
    pub const ALL: [StatusFilter; 10] = [
        StatusFilter::Unresolved,
        StatusFilter::Resolved,
        StatusFilter::Ignored,
        StatusFilter::Archived,
        StatusFilter::Assigned,
        StatusFilter::Unassigned,
        StatusFilter::ForReview,
        StatusFilter::Regressed,
        StatusFilter::New,
        StatusFilter::Ongoing,
    ];

    /// The value as written after `is:`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Unresolved => "unresolved",
            StatusFilter::Resolved => "resolved",
            StatusFilter::Ignored => "ignored",
            StatusFilter::Archived => "archived",
            StatusFilter::Assigned => "assigned",
            StatusFilter::Unassigned => "unassigned",
            StatusFilter::ForReview => "for_review",
            StatusFilter::Regressed => "regressed",
            StatusFilter::New => "new",
            StatusFilter::Ongoing => "ongoing",
        }
    }

    /// The status written `value` after `is:`, including the alias `muted`.
    pub fn from_value(value: &str) -> Option<StatusFilter> {
        if value == "muted" {
            return Some(StatusFilter::Ignored);
        }
        StatusFilter::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// The value of `assigned:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AssigneeFilter {
    /// `assigned:me`: the current user.
    Me,
    /// `assigned:none`: no one.
    None,
    /// `assigned:jane@example.com`: the user with this email.
    Email(String),
    /// `assigned:#backend`: the team with this slug (without the `#`).
    Team(String),
}

/// An issue field filtered by exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `level:`
    Level,
    /// `release:`
    Release,
    /// `environment:`
    Environment,
    /// `firstRelease:`: the release of the issue's first event.
    FirstRelease,
    /// `issue.category:`: `error`, or `cron` for monitor failures.
    IssueCategory,
    /// `issue.type:`: `error`, or `monitor_check_in_failure`.
    IssueType,
}

impl Field {
    /// The key as written.
    pub fn key(self) -> &'static str {
        match self {
            Field::Level => "level",
            Field::Release => "release",
            Field::Environment => "environment",
            Field::FirstRelease => "firstRelease",
            Field::IssueCategory => "issue.category",
            Field::IssueType => "issue.type",
        }
    }
}

/// An integer issue field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberField {
    /// `times_seen:` (also `timesSeen:`): number of events.
    TimesSeen,
    /// `user_count:`: number of distinct users.
    UserCount,
    /// `issue.id:`: the issue's numeric id.
    IssueId,
}

impl NumberField {
    /// The canonical key.
    pub fn key(self) -> &'static str {
        match self {
            NumberField::TimesSeen => "times_seen",
            NumberField::UserCount => "user_count",
            NumberField::IssueId => "issue.id",
        }
    }
}

/// A timestamp issue field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateField {
    /// `firstSeen:` (also `first_seen:`)
    FirstSeen,
    /// `lastSeen:` (also `last_seen:`)
    LastSeen,
}

impl DateField {
    /// The canonical key.
    pub fn key(self) -> &'static str {
        match self {
            DateField::FirstSeen => "firstSeen",
            DateField::LastSeen => "lastSeen",
        }
    }
}

/// How a field compares to the value: `field op value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `=` or no operator.
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Comparison {
    /// The operator as written; empty for `Eq`, which needs none.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Eq => "",
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
        }
    }

    /// Splits a leading operator off `value`: `">=5"` → `(Gte, "5")`, `"5"` → `(Eq, "5")`.
    pub fn split(value: &str) -> (Comparison, &str) {
        const OPS: [(&str, Comparison); 5] = [
            (">=", Comparison::Gte),
            ("<=", Comparison::Lte),
            (">", Comparison::Gt),
            ("<", Comparison::Lt),
            ("=", Comparison::Eq),
        ];
        OPS.into_iter()
            .find_map(|(op, cmp)| value.strip_prefix(op).map(|rest| (cmp, rest)))
            .unwrap_or((Comparison::Eq, value))
    }
}
