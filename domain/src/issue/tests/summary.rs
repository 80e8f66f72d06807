//! Summarizing occurrences before retention drops them.

use super::*;

fn part(occurrences: &[&Occurrence]) -> Vec<SummaryPart> {
    vec![SummaryPart {
        issue_id: 7,
        summary: OccurrenceSummary::of(occurrences.iter().copied()).unwrap(),
    }]
}

fn summarize(below: i64, occurrences: &[&Occurrence]) -> IssueCommand {
    IssueCommand::SummarizeOccurrences {
        below,
        project_id: 1,
        parts: part(occurrences),
        at: at(50),
    }
}

#[test]
fn a_summary_records_the_issues_counters_as_they_stand() {
    let first = occurrence("e1", 1);
    let second = of_user(occurrence("e2", 20), "id:2");
    test()
        .given(existing_then([ingested(second.clone())]))
        .when(summarize(100, &[&first, &second]))
        .then_expect_events(vec![IssueEvent::OccurrencesSummarized {
            below: 100,
            project_id: 1,
            parts: part(&[&first, &second]),
            times_seen: 2,
            last_seen: Some(at(20)),
            ignore: None,
            at: at(50),
        }]);
}

#[test]
fn summarizing_again_up_to_the_same_position_decides_nothing() {
    let first = occurrence("e1", 1);
    let mut issue = issue_after(existing());
    for event in issue.decide(summarize(100, &[&first])).unwrap() {
        issue.apply(event);
    }

    let again = issue.decide(summarize(100, &[&first])).unwrap();

    assert!(again.is_empty());
}

#[test]
fn a_deleted_issue_is_summarized_too() {
    let first = occurrence("e1", 1);
    let deleted = IssueEvent::IssueDeleted {
        issue_id: 7,
        at: at(5),
        actor: actor(),
    };

    let decided = issue_after(existing_then([deleted]))
        .decide(summarize(100, &[&first]))
        .unwrap();

    assert_eq!(decided.len(), 1);
}

#[test]
fn an_issue_loaded_without_its_summarized_occurrences_ends_as_the_live_one() {
    let (first, second, later) = (
        occurrence("e1", 1),
        occurrence("e2", 20),
        occurrence("e3", 30),
    );
    let mut live = issue_after(existing_then([ingested(second.clone())]));
    let summary = live.decide(summarize(100, &[&first, &second])).unwrap();
    for event in summary.iter().cloned().chain([ingested(later.clone())]) {
        live.apply(event);
    }

    // The occurrences below the horizon are gone: created, the summary, the rest.
    let reloaded = issue_after(
        [created()]
            .into_iter()
            .chain(summary)
            .chain([ingested(later)]),
    );

    assert_eq!(reloaded, live);
    assert_eq!(reloaded.times_seen(), 3);
}

#[test]
fn a_summary_counts_each_tag_value_once_per_event_and_each_user_once() {
    let mut first = of_release(occurrence("e1", 1), "shop@1");
    first.tags.push(("level".to_owned(), "error".to_owned()));
    let mut second = of_user(of_release(occurrence("e2", 9), "shop@1"), "id:1");
    second.level = "fatal".to_owned();

    let summary = OccurrenceSummary::of([&first, &second]).unwrap();

    assert_eq!(summary.events, 2);
    assert_eq!(summary.users, ["id:1"]);
    assert_eq!(summary.level, "fatal");
    assert_eq!(summary.first_seen, at(1));
    assert_eq!(summary.last_seen, at(9));
    assert_eq!(summary.tags.len(), 1);
    assert_eq!(summary.tags[0].events, 2);
    assert_eq!(summary.releases.len(), 1);
    assert_eq!(summary.releases[0].events, 2);
}

#[test]
fn no_occurrences_make_no_summary() {
    assert_eq!(OccurrenceSummary::of([]), None);
}
