use serde_json::json;

use super::*;

fn facts<'a>(level: &'a str, tags: &'a [(String, String)]) -> Facts<'a> {
    Facts {
        level,
        tags,
        issue_age_seconds: 600,
        times_seen: 5,
        assignee: None,
        events_in: &|interval| if interval == Interval::OneHour { 12 } else { 3 },
        users_in: &|_| 2,
    }
}

fn filter(value: serde_json::Value) -> Condition<Filter> {
    serde_json::from_value(value).unwrap()
}

#[test]
fn a_level_filter_reads_sentrys_shape_and_compares_levels_by_rank() {
    let gte_error = filter(json!({"type": "level", "comparison": {"level": 40, "match": "gte"}}));
    let tags = [];

    assert!(gte_error.what.holds(&facts("fatal", &tags)));
    assert!(gte_error.what.holds(&facts("error", &tags)));
    assert!(!gte_error.what.holds(&facts("warning", &tags)));
    assert!(gte_error.condition_result);
}

#[test]
fn tag_filters_match_equal_contained_and_absent_values() {
    let tags = [("browser".to_owned(), "Firefox 120".to_owned())];
    let check = |tag_match: &str, value: &str| {
        filter(json!({"type": "tagged_event",
            "comparison": {"key": "browser", "match": tag_match, "value": value}}))
        .what
        .holds(&facts("error", &tags))
    };

    assert!(check("eq", "Firefox 120"));
    assert!(!check("ne", "Firefox 120"));
    assert!(check("co", "Firefox"));
    assert!(!check("nc", "Firefox"));
    assert!(check("is", ""));
    assert!(!check("ns", ""));
}

#[test]
fn frequency_filters_hold_only_above_the_count_in_their_interval() {
    let tags = [];
    let over = |value: i64, interval: &str| {
        filter(json!({"type": "event_frequency_count",
            "comparison": {"value": value, "interval": interval}}))
        .what
        .holds(&facts("error", &tags))
    };

    assert!(over(11, "1h"));
    assert!(!over(12, "1h"));
    assert!(!over(3, "5min"));
}

#[test]
fn a_false_condition_result_negates_the_filter() {
    let group = ActionFilter {
        logic_type: LogicType::All,
        conditions: vec![filter(json!({"type": "issue_occurrences",
            "comparison": {"value": 100}, "conditionResult": false}))],
        actions: vec![],
    };

    assert!(group.passes(&facts("error", &[])));
}

#[test]
fn an_issue_is_older_or_newer_than_an_age() {
    let tags = [];
    let age = |comparison_type: &str, value: i64| {
        filter(json!({"type": "age_comparison",
            "comparison": {"comparison_type": comparison_type, "value": value, "time": "minute"}}))
        .what
        .holds(&facts("error", &tags))
    };

    assert!(age("older", 5));
    assert!(!age("older", 10));
    assert!(age("newer", 11));
}

#[test]
fn assigned_to_matches_the_assignee_kind_and_id() {
    let tags = [];
    let mut assigned = facts("error", &tags);
    assigned.assignee = Some(("user", 7));
    let member = |id: i64| {
        filter(json!({"type": "assigned_to",
            "comparison": {"target_type": "Member", "target_identifier": id}}))
        .what
    };
    let unassigned = filter(json!({"type": "assigned_to",
        "comparison": {"target_type": "Unassigned"}}))
    .what;

    assert!(member(7).holds(&assigned));
    assert!(!member(8).holds(&assigned));
    assert!(!unassigned.holds(&assigned));
    assert!(unassigned.holds(&facts("error", &tags)));
}

#[test]
fn triggers_without_conditions_evaluate_on_every_event() {
    let every: Triggers = serde_json::from_value(json!({"logicType": "any-short"})).unwrap();
    let first_seen: Triggers = serde_json::from_value(json!({"logicType": "any-short",
        "conditions": [{"type": "first_seen_event", "comparison": true, "conditionResult": true}]}))
    .unwrap();

    assert!(every.evaluate(&[]));
    assert!(first_seen.evaluate(&[Trigger::FirstSeenEvent]));
    assert!(!first_seen.evaluate(&[]));
    assert!(!first_seen.evaluate(&[Trigger::RegressionEvent]));
}

#[test]
fn logic_types_combine_as_sentry_names_them() {
    assert!(LogicType::Any.combine([false, true].into_iter()));
    assert!(!LogicType::All.combine([false, true].into_iter()));
    assert!(LogicType::None.combine([false, false].into_iter()));
    assert!(LogicType::AnyShort.combine(std::iter::empty()));
}

#[test]
fn actions_read_sentrys_shape() {
    let actions: Vec<Action> = serde_json::from_value(json!([
        {"type": "email", "config": {"targetType": "issue_owners"},
         "data": {"fallthroughType": "AllMembers"}},
        {"type": "webhook", "config": {"targetIdentifier": "https://hooks.example.com/a"}},
        {"type": "slack", "config": {"targetIdentifier": "https://hooks.slack.com/services/x"}},
        {"type": "discord", "config": {"targetIdentifier": "https://discord.com/api/webhooks/1/y"}},
    ]))
    .unwrap();

    assert_eq!(
        actions[0],
        Action::Email {
            config: EmailConfig {
                target_type: EmailTarget::IssueOwners,
                target_identifier: None
            },
            data: EmailData {
                fallthrough_type: Fallthrough::AllMembers
            },
        }
    );
    assert!(matches!(actions[3], Action::Discord { .. }));
}

fn definition(action_filters: Vec<ActionFilter>) -> Definition {
    Definition {
        name: "New issues".into(),
        enabled: true,
        environment: None,
        frequency_minutes: 30,
        triggers: Triggers {
            logic_type: LogicType::AnyShort,
            conditions: vec![],
        },
        action_filters,
        project_ids: vec![1],
    }
}

#[test]
fn a_webhook_to_something_other_than_an_http_url_is_refused() {
    let group = ActionFilter {
        logic_type: LogicType::All,
        conditions: vec![],
        actions: vec![Action::Webhook {
            config: UrlConfig {
                target_identifier: "ftp://example.com/x".into(),
            },
            data: WebhookData::default(),
        }],
    };

    let error = definition(vec![group]).validate().unwrap_err();

    assert_eq!(error.field, "actionFilters");
}

#[test]
fn a_frequency_beyond_thirty_days_is_refused() {
    let mut too_rare = definition(vec![]);
    too_rare.frequency_minutes = MAX_FREQUENCY_MINUTES + 1;

    assert_eq!(too_rare.validate().unwrap_err().field, "config");
    assert_eq!(definition(vec![]).validate(), Ok(()));
}

#[test]
fn an_email_to_a_user_needs_the_users_id() {
    let group = ActionFilter {
        logic_type: LogicType::All,
        conditions: vec![],
        actions: vec![Action::Email {
            config: EmailConfig {
                target_type: EmailTarget::User,
                target_identifier: None,
            },
            data: EmailData::default(),
        }],
    };

    assert_eq!(
        definition(vec![group]).validate().unwrap_err().field,
        "actionFilters"
    );
}

#[test]
fn only_http_and_https_urls_with_a_host_are_webhook_targets() {
    assert!(is_http_url("https://hooks.example.com/a?b=c"));
    assert!(is_http_url("http://10.0.0.1:8080"));
    assert!(!is_http_url("ftp://example.com/x"));
    assert!(!is_http_url("https:///path"));
    assert!(!is_http_url("https://?q"));
    assert!(!is_http_url("https://exa mple.com/"));
    assert!(!is_http_url("example.com"));
}
