//! Tests of each key: statuses, assignees, bookmarks, fields, numbers and tags.

use super::*;
use crate::search::*;

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
