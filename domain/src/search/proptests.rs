//! Property tests: printed queries parse back to themselves, and no input panics.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

/// Any string at all: spaces, quotes, backslashes, brackets, commas, non-ASCII.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,:\\[\\]\"\\\\!#@.-]{0,10}",
        any::<String>().prop_map(|s| s.chars().take(10).collect()),
    ]
}

fn values() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(any_value(), 1..4)
}

fn negated() -> impl Strategy<Value = bool> {
    any::<bool>()
}

fn comparison() -> impl Strategy<Value = Comparison> {
    select(vec![
        Comparison::Eq,
        Comparison::Gt,
        Comparison::Gte,
        Comparison::Lt,
        Comparison::Lte,
    ])
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970 to 2100, with nanoseconds.
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

fn assignee() -> impl Strategy<Value = AssigneeFilter> {
    prop_oneof![
        Just(AssigneeFilter::Me),
        Just(AssigneeFilter::None),
        "[a-z0-9._+-]{1,8}@[a-z0-9.-]{1,8}".prop_map(AssigneeFilter::Email),
        "[a-z][a-z0-9_-]{0,10}".prop_map(AssigneeFilter::Team),
    ]
}

fn tag_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.-]{1,10}",
        "[a-z]{1,6}:[a-z]{1,6}",
        "[!#@a-z:/]{1,10}",
        select(vec![
            "level",
            "is",
            "times_seen",
            "firstSeen",
            "last_seen",
            "tags"
        ])
        .prop_map(String::from),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![
        (negated(), select(StatusFilter::ALL.to_vec()))
            .prop_map(|(negated, status)| Filter::Status { negated, status }),
        (negated(), assignee())
            .prop_map(|(negated, target)| Filter::AssignedTo { negated, target }),
        (negated(), any::<bool>()).prop_map(|(negated, me)| Filter::BookmarkedBy { negated, me }),
        (
            negated(),
            select(vec![Field::Level, Field::Release, Field::Environment]),
            values()
        )
            .prop_map(|(negated, field, values)| Filter::Field {
                negated,
                field,
                values
            }),
        (
            negated(),
            select(vec![
                NumberField::TimesSeen,
                NumberField::UserCount,
                NumberField::IssueId
            ]),
            comparison(),
            any::<i64>()
        )
            .prop_map(|(negated, field, op, value)| Filter::Number {
                negated,
                field,
                op,
                value
            }),
        (
            negated(),
            select(vec![DateField::FirstSeen, DateField::LastSeen]),
            comparison(),
            instant()
        )
            .prop_map(|(negated, field, op, value)| Filter::Date {
                negated,
                field,
                op,
                value
            }),
        (negated(), tag_key(), values()).prop_map(|(negated, key, values)| Filter::Tag {
            negated,
            key,
            values
        }),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop::collection::vec(filter(), 0..6),
        prop::collection::vec(
            any_value().prop_filter("non-empty", |t| !t.is_empty()),
            0..4,
        ),
    )
        .prop_map(|(filters, text)| Query { filters, text })
}

/// Queries glued together from the language's own pieces, often malformed.
fn token_soup() -> impl Strategy<Value = String> {
    let pieces = select(vec![
        "is:",
        "!",
        "assigned:",
        "bookmarks:",
        "level:",
        "tags[",
        "]",
        "[",
        ",",
        ":",
        "\"",
        "\\",
        "\\\"",
        " ",
        "times_seen:",
        ">",
        ">=",
        "<",
        "<=",
        "=",
        "-24h",
        "+7d",
        "firstSeen:",
        "lastSeen:",
        "2026-01-01",
        "T10:00:00Z",
        "unresolved",
        "me",
        "#team",
        "a@b.c",
        "issue.id:",
        "9999999999999999999999",
        "-",
        "é",
        "foo",
        "\t",
    ]);
    prop::collection::vec(pieces, 0..16).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_printed_query_parses_back_to_an_equal_query(query in query()) {
        let printed = query.to_string();
        prop_assert_eq!(parse(&printed, now()), Ok(query), "printed as {}", printed);
    }

    #[test]
    fn parsing_any_string_never_panics(input in any::<String>()) {
        let _ = parse(&input, now());
    }

    #[test]
    fn parsing_strings_made_of_query_tokens_never_panics(input in token_soup()) {
        let _ = parse(&input, now());
    }

    #[test]
    fn a_parsed_query_prints_as_a_fixed_point(input in token_soup()) {
        if let Ok(parsed) = parse(&input, now()) {
            let printed = parsed.to_string();
            prop_assert_eq!(parse(&printed, now()), Ok(parsed), "printed as {}", printed);
        }
    }
}
