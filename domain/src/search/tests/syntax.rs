//! Tests of the syntax: negation, quotes, lists, free text, printing and sorts.

use super::*;
use crate::search::*;

#[test]
fn an_empty_query_matches_everything() {
    assert_eq!(parse("", now()), Ok(Query::default()));
    assert_eq!(parse("   \t ", now()), Ok(Query::default()));
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
fn text_right_after_a_list_is_rejected() {
    assert_eq!(
        error("level:[error]x"),
        SearchError::InvalidList {
            token: "level:[error]x".into()
        }
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
fn a_bang_without_a_key_is_free_text() {
    assert_eq!(parse("!important", now()).unwrap().text, ["!important"]);
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
#[test]
fn the_default_sort_is_date() {
    assert_eq!(IssueSort::default(), IssueSort::Date);
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
fn list_items_without_a_comma_are_rejected() {
    assert_eq!(
        error("level:[error fatal]"),
        SearchError::InvalidList {
            token: "level:[error fatal]".into()
        }
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
fn an_escaped_closing_quote_leaves_the_value_unterminated() {
    assert_eq!(
        error(r#"message:"foo\""#),
        SearchError::UnterminatedQuote {
            token: r#"message:"foo\""#.into()
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
fn words_with_a_colon_but_no_plain_key_are_free_text() {
    let parsed = parse(":foo a/b:c !:x tags[:y tags[]:z", now()).unwrap();
    assert_eq!(parsed.text, [":foo", "a/b:c", "!:x", "tags[:y", "tags[]:z"]);
    assert!(parsed.filters.is_empty());
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
