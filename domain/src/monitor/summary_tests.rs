//! Summaries of the check-ins retention drops: the monitor loaded from what the log
//! keeps decides as the one loaded from everything.

use chrono::Duration;

use super::tests::{
    check_in, created, every_five_minutes, opened, recorded, recorded_again, t0, with_thresholds,
    MonitorTest,
};
use super::*;

fn summarize(below: i64) -> MonitorCommand {
    MonitorCommand::SummarizeCheckIns {
        from: 1,
        below,
        at: t0(),
    }
}

/// The stream as retention leaves it: `kept`, then the summary of `kept` and
/// `dropped` (whose rows are gone).
fn after_the_drop(kept: MonitorEvent, dropped: MonitorEvent) -> Vec<MonitorEvent> {
    let environments = state_after(vec![kept.clone(), dropped]).environments;
    vec![
        kept,
        MonitorEvent::CheckInsSummarized {
            from: 1,
            below: 100,
            environments,
            at: t0(),
        },
    ]
}

fn state_after(events: Vec<MonitorEvent>) -> Monitor {
    let mut monitor = Monitor::default();
    for event in events {
        monitor.apply(event);
    }
    monitor
}

#[test]
fn summarizing_records_every_environments_state_as_it_stands() {
    let history = vec![
        created(with_thresholds(3, 1)),
        recorded(1, CheckInStatus::Ok, t0()),
        recorded(2, CheckInStatus::Error, t0() + Duration::minutes(5)),
    ];
    let environments = state_after(history.clone()).environments;
    MonitorTest::with(())
        .given(history)
        .when(summarize(100))
        .then_expect_events(vec![MonitorEvent::CheckInsSummarized {
            from: 1,
            below: 100,
            environments,
            at: t0(),
        }]);
}

#[test]
fn a_stream_summarized_that_far_already_records_nothing() {
    let history = vec![
        created(every_five_minutes()),
        recorded(1, CheckInStatus::Ok, t0()),
    ];
    let environments = state_after(history.clone()).environments;
    let mut given = history;
    given.push(MonitorEvent::CheckInsSummarized {
        from: 1,
        below: 100,
        environments,
        at: t0(),
    });
    MonitorTest::with(())
        .given(given)
        .when(summarize(100))
        .then_expect_events(vec![]);
}

#[test]
fn a_monitor_that_never_existed_is_not_summarized() {
    MonitorTest::with(())
        .given_no_previous_events()
        .when(summarize(100))
        .then_expect_events(vec![]);
}

#[test]
fn failures_summarized_before_the_drop_still_count_towards_the_threshold() {
    MonitorTest::with(())
        .given(after_the_drop(
            created(with_thresholds(2, 1)),
            recorded(1, CheckInStatus::Error, t0()),
        ))
        .when(check_in(2, CheckInStatus::Error, t0()))
        .then_expect_events(vec![
            recorded_again(2, CheckInStatus::Error, t0()),
            opened(1, CheckInStatus::Error, t0()),
        ]);
}

#[test]
fn a_run_started_in_a_dropped_check_in_is_still_finished_by_its_ok() {
    MonitorTest::with(())
        .given(after_the_drop(
            created(every_five_minutes()),
            recorded(1, CheckInStatus::InProgress, t0()),
        ))
        .when(check_in(1, CheckInStatus::Ok, t0() + Duration::seconds(2)))
        .then_expect_events(vec![MonitorEvent::CheckInCompleted {
            check_in_id: Uuid::from_u128(1),
            environment: DEFAULT_ENVIRONMENT.into(),
            status: CheckInStatus::Ok,
            duration_ms: 2000,
            at: t0() + Duration::seconds(2),
        }]);
}

#[test]
fn an_environment_is_active_until_a_run_succeeds_and_in_error_during_an_incident() {
    let failed = vec![
        created(with_thresholds(1, 1)),
        recorded(1, CheckInStatus::Error, t0()),
    ];
    let mut incident = failed.clone();
    incident.push(opened(1, CheckInStatus::Error, t0()));
    let mut recovered = incident.clone();
    recovered.push(recorded(2, CheckInStatus::Ok, t0()));
    let status = |events: Vec<MonitorEvent>| {
        state_after(events)
            .environment("production")
            .unwrap()
            .status()
    };
    assert_eq!(status(failed), "active");
    assert_eq!(status(incident), "error");
    assert_eq!(status(recovered), "error");
}

#[test]
fn an_environment_remembers_its_first_and_latest_runs_and_when_the_next_is_missed() {
    let later = t0() + Duration::minutes(5);
    let monitor = state_after(vec![
        created(every_five_minutes()),
        recorded(1, CheckInStatus::Ok, t0()),
        recorded(2, CheckInStatus::Ok, later),
    ]);
    let env = monitor.environment("production").unwrap();
    let next = every_five_minutes().next_after(later).unwrap();
    assert_eq!(env.first_check_in, Some(t0()));
    assert_eq!(env.last_check_in, Some(later));
    assert_eq!(env.next_expected, Some(next));
    assert_eq!(env.missed_after, Some(next + Duration::minutes(1)));
}
