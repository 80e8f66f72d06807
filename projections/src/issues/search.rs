//! Sentry's issue search over the `issues` read model: a parsed [`Query`], an
//! [`IssueSort`] and a [`SearchScope`] become one parameterised statement.
//!
//! Shape of the statement (every user-supplied value is a bind parameter; only SQL
//! written here is pushed as text):
//!
//! ```sql
//! SELECT <issue columns> FROM issues i
//!  WHERE i.org_id = $1 [AND i.project_id = ANY($2)]
//!    [AND EXISTS (environment tag = ANY($envs))]
//!    AND (<filter 1>) AND NOT coalesce((<negated filter 2>), false) AND ...
//!    AND (i.title ILIKE $t OR i.culprit ILIKE $t) AND ...
//!    [AND (<sort column>, i.id) < ($cursor_value, $cursor_id)]      -- `>` for a previous page
//!  ORDER BY <sort column> DESC, i.id DESC                          -- ASC for a previous page
//!  LIMIT $limit + 1
//! ```
//!
//! Every table it reads is a read model of the organization's (on Citus, on the
//! worker that holds it), and every subquery names the organization as `$1`, the
//! statement's first parameter: Citus routes a statement to one worker only when
//! each table in it, subqueries included, is filtered by the same value (a
//! correlated `t.org_id = i.org_id` is not enough). The users and teams that
//! `assigned:` names are looked up in the accounts first ([`Assignees`]), and the
//! rows' projects after (`accounts::with_projects`).
//!
//! A negated filter is wrapped in `NOT coalesce((…), false)` so that NULL columns
//! (`substatus`, the assignee columns) count as "does not match" on both sides.
//!
//! # Cursors
//!
//! Pages are keyset pages on `(sort value, id)`, so issues that arrive or move while a
//! client pages never shift the rows after its cursor. A cursor keeps Sentry's
//! `"{value}:{offset}:{is_prev}"` form with:
//! - `value`: the sort value of the boundary row: epoch milliseconds for `date` and
//!   `new` (with a three-digit fraction, `1767225600123.456`, when the stored
//!   timestamp has microseconds, so the boundary is exact; Sentry's own cursors also
//!   allow a fractional value), the count for `freq` and `user`;
//! - `offset`: the **id** of the boundary row (the tie-breaker), not a row count;
//! - `is_prev`: `0` for the next page (rows after the last row shown), `1` for the
//!   previous page (rows before the first row shown).
//!
//! An issue whose sort value stays fixed is therefore listed exactly once in a walk;
//! an issue whose sort value changes between pages moves to where its new value
//! belongs, so it is listed again only if it moves past the cursor (as in any
//! keyset listing) and never duplicates or pushes out others.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use faultline_domain::monitor::FAILURE_ISSUE_TYPE as MONITOR_FAILURE_ISSUE_TYPE;
use faultline_domain::search::{
    AssigneeFilter, Comparison, DateField, Field, Filter, IssueSort, NumberField, Query,
    StatusFilter,
};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::queries::{first_seen_is_new, IssueRow, SELECT_ISSUE};

/// Where a search looks and on whose behalf.
#[derive(Debug, Clone, Default)]
pub struct SearchScope {
    /// The organization; always applied.
    pub org_id: i64,
    /// Only these projects, when given (`project=` parameters or the path's project).
    pub project_ids: Option<Vec<i64>>,
    /// Only issues seen in one of these environments (`environment=`); empty: any.
    pub environments: Vec<String>,
    /// The caller, for `assigned:me` and `bookmarks:me`; without one they match nothing.
    pub user_id: Option<i64>,
}

/// One page request.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    /// The parsed query.
    pub query: &'a Query,
    /// The order.
    pub sort: IssueSort,
    /// Where to look.
    pub scope: &'a SearchScope,
    /// Where the page starts; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// Rows per page.
    pub limit: i64,
}

/// A keyset position: the sort value and id of a boundary row (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Microseconds since the epoch for `date`/`new`, the count for `freq`/`user`.
    pub value: i64,
    /// The boundary row's id.
    pub id: i64,
    /// Rows before the boundary (a previous page) rather than after it.
    pub is_prev: bool,
    date: bool,
}

impl Cursor {
    /// The cursor at `row` for `sort`.
    pub fn at(row: &IssueRow, sort: IssueSort, is_prev: bool) -> Cursor {
        let value = match sort {
            IssueSort::Date => row.last_seen.timestamp_micros(),
            IssueSort::New => row.first_seen.timestamp_micros(),
            IssueSort::Freq => row.times_seen,
            IssueSort::User => row.user_count,
        };
        Cursor {
            value,
            id: row.id,
            is_prev,
            date: is_date(sort),
        }
    }

    /// Reads `"{value}:{id}:{is_prev}"` for `sort`; `None` when malformed.
    pub fn parse(cursor: &str, sort: IssueSort) -> Option<Cursor> {
        let mut parts = cursor.split(':');
        let (value, id, is_prev) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let is_prev = match is_prev {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let id: i64 = id.parse().ok()?;
        let value = if is_date(sort) {
            let (millis, fraction) = value.split_once('.').unwrap_or((value, ""));
            if !millis.bytes().all(|b| b.is_ascii_digit())
                || fraction.len() > 3
                || !fraction.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let millis: i64 = millis.parse().ok()?;
            let micros: i64 = format!("{fraction:0<3}").parse().ok()?;
            millis.checked_mul(1000)?.checked_add(micros)?
        } else {
            value.parse().ok()?
        };
        Some(Cursor {
            value,
            id,
            is_prev,
            date: is_date(sort),
        })
    }

    /// The same position, read in the other direction.
    pub fn with_prev(self, is_prev: bool) -> Cursor {
        Cursor { is_prev, ..self }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.date {
            let (millis, micros) = (self.value.div_euclid(1000), self.value.rem_euclid(1000));
            if micros == 0 {
                write!(f, "{millis}")?;
            } else {
                write!(f, "{millis}.{micros:03}")?;
            }
        } else {
            write!(f, "{}", self.value)?;
        }
        write!(f, ":{}:{}", self.id, u8::from(self.is_prev))
    }
}

/// A page of issues with the cursors around it.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The issues, in sort order.
    pub rows: Vec<IssueRow>,
    /// The cursor of the page before this one.
    pub previous: Cursor,
    /// Whether the page before has rows.
    pub has_previous: bool,
    /// The cursor of the page after this one.
    pub next: Cursor,
    /// Whether the page after has rows.
    pub has_next: bool,
}

fn is_date(sort: IssueSort) -> bool {
    matches!(sort, IssueSort::Date | IssueSort::New)
}

fn sort_column(sort: IssueSort) -> &'static str {
    match sort {
        IssueSort::Date => "i.last_seen",
        IssueSort::New => "i.first_seen",
        IssueSort::Freq => "i.times_seen",
        IssueSort::User => "i.user_count",
    }
}

/// The users and teams of the organization that a query's `assigned:` filters name
/// (by email and by team slug), looked up before the search.
#[derive(Debug, Clone, Default)]
pub struct Assignees {
    /// Member user ids by lowercased email.
    pub users: HashMap<String, Vec<i64>>,
    /// Team ids by slug.
    pub teams: HashMap<String, Vec<i64>>,
}

impl Assignees {
    /// Looks up what `query`'s assignee filters name in organization `org_id`.
    pub async fn of(pool: &PgPool, org_id: i64, query: &Query) -> Result<Self, sqlx::Error> {
        let mut emails = Vec::new();
        let mut slugs = Vec::new();
        for filter in &query.filters {
            match filter {
                Filter::AssignedTo {
                    target: AssigneeFilter::Email(email),
                    ..
                } => emails.push(email.to_lowercase()),
                Filter::AssignedTo {
                    target: AssigneeFilter::Team(slug),
                    ..
                } => slugs.push(slug.clone()),
                _ => {}
            }
        }
        let mut assignees = Assignees::default();
        if !emails.is_empty() {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT lower(email), user_id FROM members
                  WHERE org_id = $1 AND lower(email) = ANY($2)",
            )
            .bind(org_id)
            .bind(&emails)
            .fetch_all(pool)
            .await?;
            for (email, user) in rows {
                assignees.users.entry(email).or_default().push(user);
            }
        }
        if !slugs.is_empty() {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT slug, id FROM teams WHERE org_id = $1 AND slug = ANY($2)")
                    .bind(org_id)
                    .bind(&slugs)
                    .fetch_all(pool)
                    .await?;
            for (slug, team) in rows {
                assignees.teams.entry(slug).or_default().push(team);
            }
        }
        Ok(assignees)
    }
}

/// The statement for `search`: one page plus one row telling whether more follow.
/// `assignees` holds what its `assigned:` filters name ([`Assignees::of`]).
pub fn build(search: &Search<'_>, assignees: &Assignees) -> QueryBuilder<'static, Postgres> {
    build_after("", search, assignees)
}

/// `EXPLAIN` of the statement for `search`, for the Citus tests' look at its plan.
pub fn explain(search: &Search<'_>, assignees: &Assignees) -> QueryBuilder<'static, Postgres> {
    build_after("EXPLAIN ", search, assignees)
}

fn build_after(
    prefix: &str,
    search: &Search<'_>,
    assignees: &Assignees,
) -> QueryBuilder<'static, Postgres> {
    let scope = search.scope;
    let mut qb = QueryBuilder::new(format!("{prefix}{SELECT_ISSUE}"));
    // The first bind: `$1` in every subquery.
    qb.push(" WHERE i.org_id = ").push_bind(scope.org_id);
    match scope.project_ids.as_deref() {
        // Plain equality lets the planner read the (project_id, status, sort) indexes
        // in order; `= ANY` of one element does not.
        Some([project]) => {
            qb.push(" AND i.project_id = ").push_bind(*project);
        }
        Some(projects) => {
            qb.push(" AND i.project_id = ANY(")
                .push_bind(projects.to_vec())
                .push(")");
        }
        None => {}
    }
    if !scope.environments.is_empty() {
        qb.push(" AND ");
        push_tag_exists(&mut qb, "environment", &scope.environments);
    }
    for filter in &search.query.filters {
        qb.push(" AND ");
        push_filter(&mut qb, filter, scope, assignees);
    }
    for term in &search.query.text {
        let pattern = format!("%{}%", escape_like(term));
        qb.push(" AND (i.title ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR i.culprit ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    let column = sort_column(search.sort);
    let backward = search.cursor.is_some_and(|c| c.is_prev);
    if let Some(cursor) = search.cursor {
        qb.push(" AND (")
            .push(column)
            .push(", i.id) ")
            .push(if backward { ">" } else { "<" })
            .push(" (");
        if is_date(search.sort) {
            qb.push_bind(micros_to_time(cursor.value));
        } else {
            qb.push_bind(cursor.value);
        }
        qb.push(", ").push_bind(cursor.id).push(")");
    }
    let direction = if backward { "ASC" } else { "DESC" };
    qb.push(" ORDER BY ")
        .push(column)
        .push(" ")
        .push(direction)
        .push(", i.id ")
        .push(direction)
        .push(" LIMIT ")
        .push_bind(search.limit + 1);
    qb
}

/// Runs `search`.
pub async fn search(pool: &PgPool, search: &Search<'_>) -> Result<SearchPage, sqlx::Error> {
    let assignees = Assignees::of(pool, search.scope.org_id, search.query).await?;
    let rows: Vec<IssueRow> = build(search, &assignees)
        .build_query_as()
        .fetch_all(pool)
        .await?;
    // Counted before the projects are filled in: a row of a project that is gone
    // still tells that more follow.
    let more = rows.len() as i64 > search.limit;
    let mut rows = super::accounts::with_projects(pool, rows).await?;
    rows.truncate(search.limit.max(0) as usize);
    let backward = search.cursor.is_some_and(|c| c.is_prev);
    if backward {
        rows.reverse();
    }
    let (has_previous, has_next) = if backward {
        (more, true)
    } else {
        (search.cursor.is_some(), more)
    };
    let here = search.cursor.unwrap_or(Cursor {
        value: 0,
        id: 0,
        is_prev: false,
        date: is_date(search.sort),
    });
    let previous = rows
        .first()
        .map(|row| Cursor::at(row, search.sort, true))
        .unwrap_or(here.with_prev(true));
    let next = rows
        .last()
        .map(|row| Cursor::at(row, search.sort, false))
        .unwrap_or(here.with_prev(false));
    Ok(SearchPage {
        has_previous: has_previous && !rows.is_empty(),
        has_next: has_next && !rows.is_empty(),
        rows,
        previous,
        next,
    })
}

fn micros_to_time(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `term` as a literal inside an `ILIKE` pattern (`\` is the default escape).
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn push_tag_exists(qb: &mut QueryBuilder<'static, Postgres>, key: &str, values: &[String]) {
    qb.push(
        "EXISTS (SELECT 1 FROM issue_tag_values t \
         WHERE t.org_id = $1 AND t.issue_id = i.id AND t.key = ",
    )
    .push_bind(key.to_owned())
    .push(" AND ");
    push_release_values(qb, "t.value", key == "release", values);
    qb.push(")");
}

/// `column = ANY(values)`; with `releases`, the value `latest` also matches the
/// newest release (by creation) of the issue's project, as Sentry resolves it.
fn push_release_values(
    qb: &mut QueryBuilder<'static, Postgres>,
    column: &str,
    releases: bool,
    values: &[String],
) {
    qb.push(format!("({column} = ANY("))
        .push_bind(values.to_vec())
        .push(")");
    if releases && values.iter().any(|v| v == "latest") {
        qb.push(format!(
            " OR {column} = (SELECT r.version FROM releases r
                 JOIN release_projects rp ON rp.org_id = r.org_id AND rp.release_id = r.id
                                         AND rp.project_id = i.project_id
                WHERE r.org_id = $1
                ORDER BY r.date_created DESC, r.id DESC LIMIT 1)"
        ));
    }
    qb.push(")");
}

/// The issue's first release: the `release` tag value seen first.
const FIRST_RELEASE: &str = "(SELECT f.value FROM issue_tag_values f
                              WHERE f.org_id = $1 AND f.issue_id = i.id
                                AND f.key = 'release'
                              ORDER BY f.first_seen, f.value LIMIT 1)";

fn operator(op: Comparison) -> &'static str {
    match op {
        Comparison::Eq => " = ",
        Comparison::Gt => " > ",
        Comparison::Gte => " >= ",
        Comparison::Lt => " < ",
        Comparison::Lte => " <= ",
    }
}

fn push_filter(
    qb: &mut QueryBuilder<'static, Postgres>,
    filter: &Filter,
    scope: &SearchScope,
    assignees: &Assignees,
) {
    let negated = match filter {
        Filter::Status { negated, .. }
        | Filter::AssignedTo { negated, .. }
        | Filter::BookmarkedBy { negated, .. }
        | Filter::Field { negated, .. }
        | Filter::Number { negated, .. }
        | Filter::Date { negated, .. }
        | Filter::Tag { negated, .. } => *negated,
    };
    qb.push(if negated { "NOT coalesce((" } else { "(" });
    match filter {
        Filter::Status { status, .. } => {
            qb.push(status_sql(*status));
        }
        Filter::AssignedTo { target, .. } => match target {
            AssigneeFilter::Me => match scope.user_id {
                Some(user) => {
                    qb.push("i.assignee_user_id = ").push_bind(user);
                }
                None => {
                    qb.push("false");
                }
            },
            AssigneeFilter::None => {
                qb.push(status_sql(StatusFilter::Unassigned));
            }
            AssigneeFilter::Email(email) => {
                let users = assignees.users.get(&email.to_lowercase());
                qb.push("i.assignee_user_id = ANY(")
                    .push_bind(users.cloned().unwrap_or_default())
                    .push(")");
            }
            AssigneeFilter::Team(slug) => {
                let teams = assignees.teams.get(slug);
                qb.push("i.assignee_team_id = ANY(")
                    .push_bind(teams.cloned().unwrap_or_default())
                    .push(")");
            }
        },
        Filter::BookmarkedBy { me: true, .. } => match scope.user_id {
            Some(user) => {
                qb.push(
                    "EXISTS (SELECT 1 FROM issue_bookmarks b \
                     WHERE b.org_id = $1 AND b.issue_id = i.id AND b.user_id = ",
                )
                .push_bind(user)
                .push(")");
            }
            None => {
                qb.push("false");
            }
        },
        Filter::BookmarkedBy { me: false, .. } => {
            qb.push(
                "NOT EXISTS (SELECT 1 FROM issue_bookmarks b \
                 WHERE b.org_id = $1 AND b.issue_id = i.id)",
            );
        }
        Filter::Field { field, values, .. } => match field {
            Field::Level => {
                qb.push("i.level = ANY(")
                    .push_bind(values.clone())
                    .push(")");
            }
            Field::Release | Field::Environment => push_tag_exists(qb, field.key(), values),
            Field::FirstRelease => push_release_values(qb, FIRST_RELEASE, true, values),
            Field::IssueCategory | Field::IssueType => {
                let (failure, other) = match field {
                    Field::IssueCategory => ("cron", "error"),
                    _ => (MONITOR_FAILURE_ISSUE_TYPE, "error"),
                };
                qb.push("(CASE WHEN i.issue_type = ")
                    .push_bind(MONITOR_FAILURE_ISSUE_TYPE)
                    .push(" THEN ")
                    .push_bind(failure)
                    .push(" ELSE ")
                    .push_bind(other)
                    .push(" END) = ANY(")
                    .push_bind(values.clone())
                    .push(")");
            }
        },
        Filter::Number {
            field, op, value, ..
        } => {
            let column = match field {
                NumberField::TimesSeen => "i.times_seen",
                NumberField::UserCount => "i.user_count",
                NumberField::IssueId => "i.id",
            };
            qb.push(column).push(operator(*op)).push_bind(*value);
        }
        Filter::Date {
            field, op, value, ..
        } => {
            let column = match field {
                DateField::FirstSeen => "i.first_seen",
                DateField::LastSeen => "i.last_seen",
            };
            qb.push(column).push(operator(*op)).push_bind(*value);
        }
        Filter::Tag { key, values, .. } => push_tag_exists(qb, key, values),
    }
    qb.push(if negated { "), false)" } else { ")" });
}

/// `is:<status>` as SQL over `issues i`.
///
/// `is:for_review` is Sentry's inbox without the inbox table: unresolved issues that
/// are `new` (first seen within 7 days, the read queries' rule) or `regressed`.
fn status_sql(status: StatusFilter) -> &'static str {
    match status {
        StatusFilter::Unresolved => "i.status = 'unresolved'",
        StatusFilter::Resolved => "i.status = 'resolved'",
        StatusFilter::Ignored | StatusFilter::Archived => "i.status = 'ignored'",
        StatusFilter::Regressed => "i.substatus = 'regressed'",
        StatusFilter::New => concat!(
            "i.status = 'unresolved' AND i.substatus IS NULL AND ",
            first_seen_is_new!()
        ),
        StatusFilter::Ongoing => concat!(
            "i.status = 'unresolved' AND i.substatus IS NULL AND NOT (",
            first_seen_is_new!(),
            ")"
        ),
        StatusFilter::ForReview => concat!(
            "i.status = 'unresolved' AND (i.substatus = 'regressed' OR (i.substatus IS NULL AND ",
            first_seen_is_new!(),
            "))"
        ),
        StatusFilter::Assigned => {
            "(i.assignee_user_id IS NOT NULL OR i.assignee_team_id IS NOT NULL)"
        }
        StatusFilter::Unassigned => "i.assignee_user_id IS NULL AND i.assignee_team_id IS NULL",
    }
}

/// The window of `statsPeriod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsPeriod {
    /// `24h`: 24 hourly buckets.
    Day,
    /// `14d`: 14 daily buckets.
    TwoWeeks,
}

impl StatsPeriod {
    /// The key in the issue's `stats` object.
    pub fn key(self) -> &'static str {
        match self {
            StatsPeriod::Day => "24h",
            StatsPeriod::TwoWeeks => "14d",
        }
    }

    /// `24h` or `14d`.
    pub fn from_param(value: &str) -> Option<StatsPeriod> {
        match value {
            "24h" => Some(StatsPeriod::Day),
            "14d" => Some(StatsPeriod::TwoWeeks),
            _ => None,
        }
    }

    /// The bucket starts, oldest first; the last bucket holds `now`.
    pub fn buckets(self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let (step, count) = self.step_and_count();
        let last = now.duration_trunc(step).unwrap_or(now);
        (0..count).rev().map(|back| last - step * back).collect()
    }

    fn step_and_count(self) -> (Duration, i32) {
        match self {
            StatsPeriod::Day => (Duration::hours(1), 24),
            StatsPeriod::TwoWeeks => (Duration::days(1), 14),
        }
    }
}

/// Events per bucket of `period` for each of `issue_ids`, as `(bucket start in epoch
/// seconds, count)` oldest first, counted by event timestamp in one statement.
///
/// Each issue's window is read as one range of `issue_events_issue_time` and bucketed
/// while counting (one index scan per issue, not one per bucket); empty buckets are
/// filled in here.
pub async fn stats(
    pool: &PgPool,
    org_id: i64,
    issue_ids: &[i64],
    period: StatsPeriod,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<(i64, i64)>>, sqlx::Error> {
    if issue_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (step, _) = period.step_and_count();
    let buckets = period.buckets(now);
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return Ok(HashMap::new());
    };
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT e.issue_id,
                floor(extract(epoch FROM e.timestamp - $2::timestamptz) / $4::bigint)::bigint,
                count(*)
           FROM issue_events e
          WHERE e.issue_id = ANY($1::bigint[]) AND e.org_id = $5
            AND e.timestamp >= $2::timestamptz
            AND e.timestamp < $3::timestamptz
          GROUP BY 1, 2",
    )
    .bind(issue_ids)
    .bind(first)
    .bind(*last + step)
    .bind(step.num_seconds())
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let mut out: HashMap<i64, Vec<(i64, i64)>> = issue_ids
        .iter()
        .map(|id| {
            let empty = buckets.iter().map(|b| (b.timestamp(), 0)).collect();
            (*id, empty)
        })
        .collect();
    for (issue, index, count) in rows {
        let slot = out
            .get_mut(&issue)
            .and_then(|counts| counts.get_mut(usize::try_from(index).ok()?));
        if let Some((_, total)) = slot {
            *total = count;
        }
    }
    Ok(out)
}
