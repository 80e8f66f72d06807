//! Given/when/then tests of the issue aggregate, one file per part of its workflow.

mod comments;
mod compat;
mod delete_merge;
mod ignore;
mod occurrence;
mod people;
mod resolve;
mod substatus;
mod summary;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use serde_json::json;

use super::*;

pub(super) fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, second).unwrap()
}

/// `minutes` after the first event's minute.
pub(super) fn minute(minutes: i64) -> DateTime<Utc> {
    at(0) + Duration::minutes(minutes)
}

pub(super) fn occurrence(event_id: &str, second: u32) -> Occurrence {
    occurrence_at(event_id, at(second))
}

pub(super) fn occurrence_at(event_id: &str, time: DateTime<Utc>) -> Occurrence {
    Occurrence {
        event_id: event_id.to_owned(),
        timestamp: time,
        received: time,
        level: "error".to_owned(),
        release: None,
        environment: "production".to_owned(),
        user_key: Some("id:1".to_owned()),
        tags: vec![("level".to_owned(), "error".to_owned())],
        title: "ValueError: bad".to_owned(),
        culprit: "app in handler".to_owned(),
        data: json!({"event_id": event_id}),
    }
}

pub(super) fn of_release(mut occurrence: Occurrence, release: &str) -> Occurrence {
    occurrence.release = Some(release.to_owned());
    occurrence
}

pub(super) fn of_user(mut occurrence: Occurrence, user: &str) -> Occurrence {
    occurrence.user_key = Some(user.to_owned());
    occurrence
}

pub(super) fn new_issue() -> NewIssue {
    NewIssue {
        issue_id: 7,
        project_id: 1,
        org_id: 1,
        short_number: 7,
        hash: "a".repeat(32),
        title: "ValueError: bad".to_owned(),
        culprit: "app in handler".to_owned(),
        metadata: json!({"type": "ValueError", "value": "bad"}),
        issue_type: "error".to_owned(),
        level: "error".to_owned(),
        platform: "python".to_owned(),
    }
}

pub(super) fn created() -> IssueEvent {
    Issue::default()
        .decide(IssueCommand::RecordOccurrence {
            new_issue: Some(new_issue()),
            occurrence: occurrence("e1", 1),
        })
        .unwrap()
        .remove(0)
}

pub(super) fn ingested(occurrence: Occurrence) -> IssueEvent {
    IssueEvent::EventIngested(Box::new(occurrence))
}

/// An existing issue with its first event: the usual `given`.
pub(super) fn existing() -> Vec<IssueEvent> {
    vec![created(), ingested(occurrence("e1", 1))]
}

/// `existing()` followed by `more`.
pub(super) fn existing_then(more: impl IntoIterator<Item = IssueEvent>) -> Vec<IssueEvent> {
    existing().into_iter().chain(more).collect()
}

pub(super) fn record(occurrence: Occurrence) -> IssueCommand {
    IssueCommand::RecordOccurrence {
        new_issue: None,
        occurrence,
    }
}

pub(super) fn actor() -> Option<String> {
    Some("user:42".to_owned())
}

pub(super) fn resolved(details: ResolveDetails, at: DateTime<Utc>) -> IssueEvent {
    IssueEvent::IssueResolved {
        at,
        details,
        actor: actor(),
    }
}

pub(super) fn ignored(details: IgnoreDetails, at: DateTime<Utc>) -> IssueEvent {
    IssueEvent::IssueIgnored {
        until: details
            .duration_minutes
            .map(|m| at + Duration::minutes(i64::from(m))),
        details,
        at,
        actor: actor(),
    }
}

pub(super) fn issue_after(events: impl IntoIterator<Item = IssueEvent>) -> Issue {
    let mut issue = Issue::default();
    for event in events {
        issue.apply(event);
    }
    issue
}

pub(super) fn test() -> TestFramework<Issue> {
    TestFramework::<Issue>::with(())
}

#[test]
fn a_short_id_is_the_upper_slug_and_the_base36_number() {
    assert_eq!(short_id("backend", 1), "BACKEND-1");
    assert_eq!(short_id("pump-station", 36), "PUMP-STATION-10");
    assert_eq!(short_id("api", 35), "API-Z");
    assert_eq!(short_id("api", 0), "API-0");
}
