//! Unit tests: one behaviour of the search language per test.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
}

fn filters(query: &str) -> Vec<Filter> {
    let parsed = parse(query, now()).unwrap();
    assert!(parsed.text.is_empty(), "unexpected text in {query:?}");
    parsed.filters
}

fn only_filter(query: &str) -> Filter {
    let mut all = filters(query);
    assert_eq!(all.len(), 1, "expected one filter in {query:?}");
    all.remove(0)
}

fn error(query: &str) -> SearchError {
    parse(query, now()).unwrap_err()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn tag(key: &str, values: &[&str]) -> Filter {
    Filter::Tag {
        negated: false,
        key: key.into(),
        values: strings(values),
    }
}

fn field(field: Field, values: &[&str]) -> Filter {
    Filter::Field {
        negated: false,
        field,
        values: strings(values),
    }
}

fn number(field: NumberField, op: Comparison, value: i64) -> Filter {
    Filter::Number {
        negated: false,
        field,
        op,
        value,
    }
}

fn date(field: DateField, op: Comparison, value: DateTime<Utc>) -> Filter {
    Filter::Date {
        negated: false,
        field,
        op,
        value,
    }
}

fn assigned(target: AssigneeFilter) -> Filter {
    Filter::AssignedTo {
        negated: false,
        target,
    }
}

#[test]
fn an_empty_query_matches_everything() {
    assert_eq!(parse("", now()), Ok(Query::default()));
    assert_eq!(parse("   \t ", now()), Ok(Query::default()));
}

#[test]
fn the_default_query_is_unresolved_issues() {
    assert_eq!(
        filters(DEFAULT_QUERY),
        [Filter::Status {
            negated: false,
            status: StatusFilter::Unresolved
        }]
    );
}

#[test]
fn every_is_value_parses_to_its_status() {
    for status in StatusFilter::ALL {
        let query = format!("is:{}", status.as_str());
        assert_eq!(
            only_filter(&query),
            Filter::Status {
                negated: false,
                status
            },
            "{query}"
        );
    }
}

#[test]
fn is_muted_is_an_alias_of_ignored() {
    assert_eq!(
        only_filter("is:muted"),
        Filter::Status {
            negated: false,
            status: StatusFilter::Ignored
        }
    );
}

#[test]
fn an_unknown_is_value_is_rejected() {
    assert_eq!(
        error("is:foo"),
        SearchError::UnknownValue {
            key: "is".into(),
            value: "foo".into()
        }
    );
    assert_eq!(
        error("is:foo").to_string(),
        r#"unknown value "foo" for is:"#
    );
}

#[test]
fn a_list_of_statuses_is_rejected() {
    assert_eq!(
        error("is:[resolved,ignored]"),
        SearchError::ListNotAllowed { key: "is".into() }
    );
}

#[test]
fn assigned_to_me_and_to_no_one_parse() {
    assert_eq!(only_filter("assigned:me"), assigned(AssigneeFilter::Me));
    assert_eq!(only_filter("assigned:none"), assigned(AssigneeFilter::None));
}

#[test]
fn assigned_to_an_email_keeps_the_email() {
    assert_eq!(
        only_filter("assigned:jane@example.com"),
        assigned(AssigneeFilter::Email("jane@example.com".into()))
    );
}

#[test]
fn assigned_to_a_team_drops_the_hash() {
    assert_eq!(
        only_filter("assigned:#backend-api"),
        assigned(AssigneeFilter::Team("backend-api".into()))
    );
}

#[test]
fn assigned_to_is_an_alias_of_assigned() {
    assert_eq!(only_filter("assigned_to:me"), assigned(AssigneeFilter::Me));
}

#[test]
fn an_assignee_that_is_not_me_none_an_email_or_a_team_is_rejected() {
    for value in ["bob", "#", "#Not A Slug", "@example.com", "jane@"] {
        let query = format!(r#"assigned:"{value}""#);
        assert_eq!(
            error(&query),
            SearchError::UnknownValue {
                key: "assigned".into(),
                value: value.into()
            },
            "{query}"
        );
    }
}

#[test]
fn bookmarks_me_and_none_parse() {
    assert_eq!(
        only_filter("bookmarks:me"),
        Filter::BookmarkedBy {
            negated: false,
            me: true
        }
    );
    assert_eq!(
        only_filter("bookmarks:none"),
        Filter::BookmarkedBy {
            negated: false,
            me: false
        }
    );
}

#[test]
fn bookmarks_of_someone_else_is_rejected() {
    assert_eq!(
        error("bookmarks:bob"),
        SearchError::UnknownValue {
            key: "bookmarks".into(),
            value: "bob".into()
        }
    );
}

#[test]
fn level_release_and_environment_are_fields() {
    assert_eq!(only_filter("level:error"), field(Field::Level, &["error"]));
    assert_eq!(
        only_filter("release:backend@1.2.3"),
        field(Field::Release, &["backend@1.2.3"])
    );
    assert_eq!(
        only_filter("environment:production"),
        field(Field::Environment, &["production"])
    );
}

#[test]
fn a_bracket_list_gives_several_values() {
    assert_eq!(
        only_filter("level:[error,fatal]"),
        field(Field::Level, &["error", "fatal"])
    );
}

#[test]
fn a_bracket_list_allows_spaces_and_quoted_items() {
    assert_eq!(
        only_filter(r#"browser:[ "Mobile Safari" , Chrome ]"#),
        tag("browser", &["Mobile Safari", "Chrome"])
    );
}

#[test]
fn a_one_item_list_is_a_single_value() {
    assert_eq!(
        only_filter("level:[error]"),
        field(Field::Level, &["error"])
    );
}

#[test]
fn an_unterminated_list_is_rejected() {
    assert_eq!(
        error("level:[error,fatal"),
        SearchError::UnterminatedList {
            token: "level:[error,fatal".into()
        }
    );
}

#[test]
fn an_empty_list_or_empty_item_is_rejected() {
    assert_eq!(
        error("level:[]"),
        SearchError::InvalidList {
            token: "level:[]".into()
        }
    );
    assert_eq!(
        error("level:[error,,fatal] foo"),
        SearchError::InvalidList {
            token: "level:[error,,fatal]".into()
        }
    );
}

#[test]
fn list_items_without_a_comma_are_rejected() {
    assert_eq!(
        error("level:[error fatal]"),
        SearchError::InvalidList {
            token: "level:[error fatal]".into()
        }
    );
}

#[test]
fn text_right_after_a_list_is_rejected() {
    assert_eq!(
        error("level:[error]x"),
        SearchError::InvalidList {
            token: "level:[error]x".into()
        }
    );
}

#[test]
fn times_seen_takes_every_comparison() {
    let cases = [
        ("times_seen:>10", Comparison::Gt),
        ("times_seen:>=10", Comparison::Gte),
        ("times_seen:<10", Comparison::Lt),
        ("times_seen:<=10", Comparison::Lte),
        ("times_seen:=10", Comparison::Eq),
        ("times_seen:10", Comparison::Eq),
    ];
    for (query, op) in cases {
        assert_eq!(
            only_filter(query),
            number(NumberField::TimesSeen, op, 10),
            "{query}"
        );
    }
}

#[test]
fn times_seen_in_camel_case_is_an_alias() {
    assert_eq!(
        only_filter("timesSeen:>5"),
        number(NumberField::TimesSeen, Comparison::Gt, 5)
    );
}

#[test]
fn user_count_and_issue_id_are_numbers() {
    assert_eq!(
        only_filter("user_count:>=3"),
        number(NumberField::UserCount, Comparison::Gte, 3)
    );
    assert_eq!(
        only_filter("issue.id:42"),
        number(NumberField::IssueId, Comparison::Eq, 42)
    );
}

#[test]
fn a_number_that_is_not_a_number_is_rejected() {
    assert_eq!(
        error("times_seen:abc"),
        SearchError::InvalidNumber {
            key: "times_seen".into(),
            value: "abc".into()
        }
    );
    assert_eq!(
        error("times_seen:abc").to_string(),
        r#"invalid value "abc" for times_seen: expected a number"#
    );
}

#[test]
fn an_operator_without_a_number_is_rejected() {
    assert_eq!(
        error("user_count:>"),
        SearchError::InvalidNumber {
            key: "user_count".into(),
            value: ">".into()
        }
    );
}

#[test]
fn a_number_too_large_for_64_bits_is_rejected() {
    assert_eq!(
        error("issue.id:99999999999999999999"),
        SearchError::InvalidNumber {
            key: "issue.id".into(),
            value: "99999999999999999999".into()
        }
    );
}

#[test]
fn a_list_of_numbers_is_rejected() {
    assert_eq!(
        error("issue.id:[1,2]"),
        SearchError::ListNotAllowed {
            key: "issue.id".into()
        }
    );
}

#[test]
fn a_relative_date_means_within_the_last_period() {
    let cases = [
        ("firstSeen:-30m", TimeDelta::minutes(30)),
        ("firstSeen:-24h", TimeDelta::hours(24)),
        ("firstSeen:-14d", TimeDelta::days(14)),
        ("firstSeen:-2w", TimeDelta::weeks(2)),
        ("firstSeen:-90s", TimeDelta::seconds(90)),
    ];
    for (query, ago) in cases {
        assert_eq!(
            only_filter(query),
            date(DateField::FirstSeen, Comparison::Gte, now() - ago),
            "{query}"
        );
    }
}

#[test]
fn a_plus_relative_date_means_longer_ago_than_the_period() {
    assert_eq!(
        only_filter("lastSeen:+7d"),
        date(
            DateField::LastSeen,
            Comparison::Lte,
            now() - TimeDelta::days(7)
        )
    );
}

#[test]
fn an_absolute_date_is_midnight_utc_with_its_operator() {
    assert_eq!(
        only_filter("firstSeen:>2026-01-01"),
        date(
            DateField::FirstSeen,
            Comparison::Gt,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        )
    );
}

#[test]
fn an_absolute_date_time_keeps_its_time_and_zone() {
    assert_eq!(
        only_filter("lastSeen:<=2026-01-01T10:00:00Z"),
        date(
            DateField::LastSeen,
            Comparison::Lte,
            Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()
        )
    );
    assert_eq!(
        only_filter("lastSeen:<2026-01-01T10:00:00+02:00"),
        date(
            DateField::LastSeen,
            Comparison::Lt,
            Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap()
        )
    );
}

#[test]
fn a_date_time_without_a_zone_is_utc() {
    assert_eq!(
        only_filter("first_seen:>=2026-01-01T10:00:00"),
        date(
            DateField::FirstSeen,
            Comparison::Gte,
            Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()
        )
    );
}

#[test]
fn a_bare_absolute_date_compares_for_equality() {
    assert_eq!(
        only_filter("last_seen:2026-01-01"),
        date(
            DateField::LastSeen,
            Comparison::Eq,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        )
    );
}

#[test]
fn an_impossible_date_is_rejected() {
    assert_eq!(
        error("firstSeen:2026-13-01"),
        SearchError::InvalidDate {
            key: "firstSeen".into(),
            value: "2026-13-01".into()
        }
    );
    assert_eq!(
        error("firstSeen:2026-13-01").to_string(),
        r#"invalid date "2026-13-01" for firstSeen"#
    );
}

#[test]
fn a_relative_date_with_an_unknown_unit_or_no_number_is_rejected() {
    for value in ["-24y", "-h", "-", "-1.5h", ">-24h"] {
        assert_eq!(
            error(&format!("lastSeen:{value}")),
            SearchError::InvalidDate {
                key: "lastSeen".into(),
                value: value.into()
            },
            "{value}"
        );
    }
}

#[test]
fn a_relative_date_too_far_back_is_rejected() {
    assert_eq!(
        error("lastSeen:-99999999999999w"),
        SearchError::InvalidDate {
            key: "lastSeen".into(),
            value: "-99999999999999w".into()
        }
    );
}

#[test]
fn an_unknown_key_is_a_tag() {
    assert_eq!(
        only_filter("browser.name:Chrome"),
        tag("browser.name", &["Chrome"])
    );
}

#[test]
fn tags_in_brackets_is_a_tag_even_for_a_known_key() {
    assert_eq!(only_filter("tags[level]:custom"), tag("level", &["custom"]));
}

#[test]
fn tags_in_brackets_allows_a_colon_in_the_key() {
    assert_eq!(
        only_filter("tags[sentry:user]:id:42"),
        tag("sentry:user", &["id:42"])
    );
}

#[test]
fn a_value_keeps_everything_after_the_first_colon() {
    assert_eq!(
        only_filter("url:https://x.io/a"),
        tag("url", &["https://x.io/a"])
    );
}

#[test]
fn a_leading_bang_negates_any_filter() {
    assert_eq!(
        only_filter("!level:error"),
        Filter::Field {
            negated: true,
            field: Field::Level,
            values: strings(&["error"])
        }
    );
    assert_eq!(
        only_filter("!is:resolved"),
        Filter::Status {
            negated: true,
            status: StatusFilter::Resolved
        }
    );
    assert_eq!(
        only_filter("!tags[os]:linux"),
        Filter::Tag {
            negated: true,
            key: "os".into(),
            values: strings(&["linux"])
        }
    );
    assert!(only_filter("!firstSeen:-1h").negated());
}

#[test]
fn a_quoted_value_keeps_its_spaces() {
    assert_eq!(
        only_filter(r#"browser:"Mobile Safari""#),
        tag("browser", &["Mobile Safari"])
    );
    assert_eq!(
        only_filter(r#"message:"foo bar""#),
        tag("message", &["foo bar"])
    );
}

#[test]
fn a_quoted_value_unescapes_quotes_and_backslashes() {
    assert_eq!(
        only_filter(r#"message:"say \"hi\" c:\\tmp \n""#),
        tag("message", &[r#"say "hi" c:\tmp \n"#])
    );
}

#[test]
fn an_empty_quoted_value_is_an_empty_string() {
    assert_eq!(only_filter(r#"release:"""#), field(Field::Release, &[""]));
}

#[test]
fn an_unterminated_quoted_value_is_rejected() {
    assert_eq!(
        error(r#"is:unresolved message:"foo"#),
        SearchError::UnterminatedQuote {
            token: r#"message:"foo"#.into()
        }
    );
    assert_eq!(
        error(r#"message:"foo"#).to_string(),
        r#"unterminated quote in "message:\"foo""#
    );
}

#[test]
fn an_escaped_closing_quote_leaves_the_value_unterminated() {
    assert_eq!(
        error(r#"message:"foo\""#),
        SearchError::UnterminatedQuote {
            token: r#"message:"foo\""#.into()
        }
    );
}

#[test]
fn text_right_after_a_closing_quote_is_rejected() {
    assert_eq!(
        error(r#"message:"foo"bar baz"#),
        SearchError::TextAfterQuote {
            token: r#"message:"foo"bar"#.into()
        }
    );
}

#[test]
fn a_key_without_a_value_is_rejected() {
    assert_eq!(
        error("level: error"),
        SearchError::MissingValue {
            key: "level".into()
        }
    );
    assert_eq!(
        error("!browser:"),
        SearchError::MissingValue {
            key: "browser".into()
        }
    );
}

#[test]
fn words_that_are_not_key_value_are_free_text() {
    let parsed = parse("TypeError undefined", now()).unwrap();
    assert_eq!(parsed.text, ["TypeError", "undefined"]);
    assert!(parsed.filters.is_empty());
}

#[test]
fn a_quoted_phrase_is_one_free_text_term() {
    let parsed = parse(r#""Cannot read property" "say \"hi\"""#, now()).unwrap();
    assert_eq!(parsed.text, ["Cannot read property", r#"say "hi""#]);
}

#[test]
fn a_quoted_phrase_that_looks_like_a_filter_is_free_text() {
    let parsed = parse(r#""level:error""#, now()).unwrap();
    assert_eq!(parsed.text, ["level:error"]);
    assert!(parsed.filters.is_empty());
}

#[test]
fn an_empty_quoted_phrase_is_ignored() {
    assert_eq!(parse(r#""""#, now()), Ok(Query::default()));
}

#[test]
fn an_unterminated_phrase_is_rejected() {
    assert_eq!(
        error(r#"foo "bar baz "#),
        SearchError::UnterminatedQuote {
            token: r#""bar baz"#.into()
        }
    );
}

#[test]
fn words_with_a_colon_but_no_plain_key_are_free_text() {
    let parsed = parse(":foo a/b:c !:x tags[:y tags[]:z", now()).unwrap();
    assert_eq!(parsed.text, [":foo", "a/b:c", "!:x", "tags[:y", "tags[]:z"]);
    assert!(parsed.filters.is_empty());
}

#[test]
fn a_bang_without_a_key_is_free_text() {
    assert_eq!(parse("!important", now()).unwrap().text, ["!important"]);
}

#[test]
fn free_text_mixes_with_filters_in_any_order() {
    let parsed = parse(
        r#"database is:unresolved "connection reset" level:[error,fatal] timeout"#,
        now(),
    )
    .unwrap();
    assert_eq!(
        parsed,
        Query {
            filters: vec![
                Filter::Status {
                    negated: false,
                    status: StatusFilter::Unresolved
                },
                field(Field::Level, &["error", "fatal"]),
            ],
            text: strings(&["database", "connection reset", "timeout"]),
        }
    );
}

#[test]
fn display_prints_a_canonical_query() {
    let parsed = parse(
        r#"foo timesSeen:=3 !tags[level]:x firstSeen:-24h browser:["Mobile Safari",b] "a b""#,
        now(),
    )
    .unwrap();
    assert_eq!(
        parsed.to_string(),
        r#"times_seen:3 !tags[level]:x firstSeen:>=2026-03-14T12:00:00Z browser:["Mobile Safari",b] foo "a b""#
    );
}

#[test]
fn display_output_parses_back_to_the_same_query() {
    let parsed = parse(
        r#"assigned:#ops bookmarks:none !user_count:<-2 lastSeen:2026-01-01T00:00:00.5Z x:"" "q:\"" "#,
        now(),
    )
    .unwrap();
    assert_eq!(parse(&parsed.to_string(), now()), Ok(parsed));
}

#[test]
fn every_sort_parses_from_its_name() {
    for (name, sort) in [
        ("date", IssueSort::Date),
        ("new", IssueSort::New),
        ("freq", IssueSort::Freq),
        ("user", IssueSort::User),
    ] {
        assert_eq!(name.parse::<IssueSort>(), Ok(sort));
        assert_eq!(sort.to_string(), name);
    }
}

#[test]
fn the_default_sort_is_date() {
    assert_eq!(IssueSort::default(), IssueSort::Date);
}

#[test]
fn an_unknown_sort_is_rejected() {
    assert_eq!(
        "trends".parse::<IssueSort>(),
        Err(SearchError::UnknownSort {
            value: "trends".into()
        })
    );
}
