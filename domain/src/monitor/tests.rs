use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

pub(super) type MonitorTest = TestFramework<Monitor>;

fn at(time: &str) -> DateTime<Utc> {
    time.parse().unwrap()
}

pub(super) fn t0() -> DateTime<Utc> {
    at("2026-12-01T10:00:30Z")
}

pub(super) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub(super) fn every_five_minutes() -> MonitorConfig {
    MonitorConfig {
        schedule: Schedule::crontab("*/5 * * * *").unwrap(),
        checkin_margin: None,
        max_runtime: None,
        timezone: None,
        failure_issue_threshold: None,
        recovery_threshold: None,
    }
}

fn new_monitor(config: MonitorConfig) -> NewMonitor {
    NewMonitor {
        monitor_id: id(1),
        org_id: 1,
        project_id: 10,
        slug: "nightly-job".into(),
        name: "nightly-job".into(),
        config,
        owner: None,
        status: MonitorStatus::Active,
        muted: false,
    }
}

pub(super) fn created(config: MonitorConfig) -> MonitorEvent {
    MonitorEvent::MonitorCreated {
        monitor_id: id(1),
        org_id: 1,
        project_id: 10,
        slug: "nightly-job".into(),
        name: "nightly-job".into(),
        config,
        owner: None,
        status: MonitorStatus::Active,
        muted: false,
        at: t0(),
    }
}

fn report(check_in: u128, status: CheckInStatus) -> CheckInReport {
    CheckInReport {
        project_id: 10,
        check_in_id: id(check_in),
        fresh_id: id(99),
        environment: DEFAULT_ENVIRONMENT.into(),
        status,
        duration_ms: None,
    }
}

pub(super) fn check_in(
    check_in: u128,
    status: CheckInStatus,
    time: DateTime<Utc>,
) -> MonitorCommand {
    MonitorCommand::CheckIn {
        report: report(check_in, status),
        upsert: None,
        at: time,
    }
}

pub(super) fn recorded(check_in: u128, status: CheckInStatus, time: DateTime<Utc>) -> MonitorEvent {
    MonitorEvent::CheckInRecorded {
        check_in_id: id(check_in),
        environment: DEFAULT_ENVIRONMENT.into(),
        status,
        duration_ms: None,
        expected_at: None,
        next_expected: every_five_minutes().next_after(time),
        at: time,
    }
}

/// [`recorded`], of a run the environment expected at the next tick after `time`
/// (its previous check-in was at `time` too).
pub(super) fn recorded_again(
    check_in: u128,
    status: CheckInStatus,
    time: DateTime<Utc>,
) -> MonitorEvent {
    let MonitorEvent::CheckInRecorded {
        check_in_id,
        environment,
        status,
        duration_ms,
        next_expected,
        at,
        ..
    } = recorded(check_in, status, time)
    else {
        unreachable!("recorded records a check-in");
    };
    MonitorEvent::CheckInRecorded {
        check_in_id,
        environment,
        status,
        duration_ms,
        expected_at: next_expected,
        next_expected,
        at,
    }
}

pub(super) fn opened(incident: u32, reason: CheckInStatus, time: DateTime<Utc>) -> MonitorEvent {
    MonitorEvent::IncidentOpened {
        environment: DEFAULT_ENVIRONMENT.into(),
        incident,
        reason,
        at: time,
    }
}

pub(super) fn with_thresholds(failures: u32, recoveries: u32) -> MonitorConfig {
    MonitorConfig {
        failure_issue_threshold: Some(failures),
        recovery_threshold: Some(recoveries),
        ..every_five_minutes()
    }
}

#[test]
fn creating_a_monitor_records_it_with_its_config() {
    MonitorTest::with(())
        .given_no_previous_events()
        .when(MonitorCommand::Create {
            monitor: new_monitor(every_five_minutes()),
            at: t0(),
        })
        .then_expect_events(vec![created(every_five_minutes())]);
}

#[test]
fn creating_a_slug_that_is_taken_is_refused() {
    MonitorTest::with(())
        .given(vec![created(every_five_minutes())])
        .when(MonitorCommand::Create {
            monitor: new_monitor(every_five_minutes()),
            at: t0(),
        })
        .then_expect_error(MonitorError::SlugTaken);
}

#[test]
fn an_invalid_crontab_is_refused() {
    assert!(matches!(
        Schedule::crontab("*/5 * * *"),
        Err(MonitorError::InvalidSchedule(_))
    ));
    assert!(matches!(
        Schedule::crontab("61 * * * *"),
        Err(MonitorError::InvalidSchedule(_))
    ));
    assert!(Schedule::crontab("@daily").is_ok());
}

#[test]
fn an_unknown_timezone_is_refused() {
    let config = MonitorConfig {
        timezone: Some("Mars/Olympus".into()),
        ..every_five_minutes()
    };
    MonitorTest::with(())
        .given_no_previous_events()
        .when(MonitorCommand::Create {
            monitor: new_monitor(config),
            at: t0(),
        })
        .then_expect_error(MonitorError::InvalidConfig(
            "unknown timezone \"Mars/Olympus\"".into(),
        ));
}

#[test]
fn a_check_in_with_a_config_creates_its_monitor_and_expects_the_next_tick() {
    MonitorTest::with(())
        .given_no_previous_events()
        .when(MonitorCommand::CheckIn {
            report: report(7, CheckInStatus::Ok),
            upsert: Some(new_monitor(every_five_minutes())),
            at: t0(),
        })
        .then_expect_events(vec![
            created(every_five_minutes()),
            MonitorEvent::CheckInRecorded {
                check_in_id: id(7),
                environment: "production".into(),
                status: CheckInStatus::Ok,
                duration_ms: None,
                expected_at: None,
                next_expected: Some(at("2026-12-01T10:05:00Z")),
                at: t0(),
            },
        ]);
}

#[test]
fn a_check_in_without_a_config_for_an_unknown_monitor_is_refused() {
    MonitorTest::with(())
        .given_no_previous_events()
        .when(check_in(7, CheckInStatus::Ok, t0()))
        .then_expect_error(MonitorError::NotFound);
}

#[test]
fn a_check_in_with_a_changed_config_updates_the_monitor() {
    let hourly = MonitorConfig {
        schedule: Schedule::crontab("0 * * * *").unwrap(),
        ..every_five_minutes()
    };
    let events = Monitor::default()
        .tap(created(every_five_minutes()))
        .decide(MonitorCommand::CheckIn {
            report: report(7, CheckInStatus::Ok),
            upsert: Some(new_monitor(hourly.clone())),
            at: t0(),
        })
        .unwrap();
    assert_eq!(
        events[0],
        MonitorEvent::MonitorUpdated {
            name: None,
            config: Some(hourly),
            status: None,
            muted: None,
            owner: None,
            at: t0(),
        }
    );
    let MonitorEvent::CheckInRecorded { next_expected, .. } = &events[1] else {
        panic!("expected a check-in, got {:?}", events[1]);
    };
    assert_eq!(*next_expected, Some(at("2026-12-01T11:00:00Z")));
}

#[test]
fn a_check_in_config_keeps_the_bounds_it_does_not_name() {
    let with_bounds = MonitorConfig {
        checkin_margin: Some(2),
        max_runtime: Some(10),
        ..every_five_minutes()
    };
    MonitorTest::with(())
        .given(vec![created(with_bounds)])
        .when(MonitorCommand::CheckIn {
            report: report(7, CheckInStatus::Ok),
            upsert: Some(new_monitor(every_five_minutes())),
            at: t0(),
        })
        .then_expect_events(vec![recorded(7, CheckInStatus::Ok, t0())]);
}

#[test]
fn a_check_in_from_another_project_is_refused() {
    let mut other = new_monitor(every_five_minutes());
    other.project_id = 11;
    let mut from_other = report(7, CheckInStatus::Ok);
    from_other.project_id = 11;
    MonitorTest::with(())
        .given(vec![created(every_five_minutes())])
        .when(MonitorCommand::CheckIn {
            report: from_other,
            upsert: Some(other),
            at: t0(),
        })
        .then_expect_error(MonitorError::OtherProject);
}

#[test]
fn an_ok_after_in_progress_completes_the_run_with_its_duration() {
    let later = t0() + Duration::seconds(42);
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(7, CheckInStatus::InProgress, t0()),
        ])
        .when(check_in(7, CheckInStatus::Ok, later))
        .then_expect_events(vec![MonitorEvent::CheckInCompleted {
            check_in_id: id(7),
            environment: "production".into(),
            status: CheckInStatus::Ok,
            duration_ms: 42_000,
            at: later,
        }]);
}

#[test]
fn a_nil_check_in_id_finishes_the_newest_in_progress_run() {
    let later = t0() + Duration::seconds(5);
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(7, CheckInStatus::InProgress, t0()),
        ])
        .when(check_in(0, CheckInStatus::Ok, later))
        .then_expect_events(vec![MonitorEvent::CheckInCompleted {
            check_in_id: id(7),
            environment: "production".into(),
            status: CheckInStatus::Ok,
            duration_ms: 5_000,
            at: later,
        }]);
}

#[test]
fn a_nil_check_in_id_without_a_run_in_progress_records_a_new_check_in() {
    MonitorTest::with(())
        .given(vec![created(every_five_minutes())])
        .when(check_in(0, CheckInStatus::Ok, t0()))
        .then_expect_events(vec![recorded(99, CheckInStatus::Ok, t0())]);
}

#[test]
fn an_error_check_in_opens_an_incident_at_the_default_threshold() {
    MonitorTest::with(())
        .given(vec![created(every_five_minutes())])
        .when(check_in(7, CheckInStatus::Error, t0()))
        .then_expect_events(vec![
            recorded(7, CheckInStatus::Error, t0()),
            opened(1, CheckInStatus::Error, t0()),
        ]);
}

#[test]
fn failures_below_the_threshold_open_no_incident() {
    MonitorTest::with(())
        .given(vec![
            created(with_thresholds(3, 1)),
            recorded(1, CheckInStatus::Error, t0()),
        ])
        .when(check_in(2, CheckInStatus::Error, t0()))
        .then_expect_events(vec![recorded_again(2, CheckInStatus::Error, t0())]);
}

#[test]
fn the_threshold_th_consecutive_failure_opens_an_incident() {
    MonitorTest::with(())
        .given(vec![
            created(with_thresholds(2, 1)),
            recorded(1, CheckInStatus::Error, t0()),
        ])
        .when(check_in(2, CheckInStatus::Error, t0()))
        .then_expect_events(vec![
            recorded_again(2, CheckInStatus::Error, t0()),
            opened(1, CheckInStatus::Error, t0()),
        ]);
}

#[test]
fn a_success_between_failures_starts_the_count_again() {
    MonitorTest::with(())
        .given(vec![
            created(with_thresholds(2, 1)),
            recorded(1, CheckInStatus::Error, t0()),
            recorded(2, CheckInStatus::Ok, t0()),
        ])
        .when(check_in(3, CheckInStatus::Error, t0()))
        .then_expect_events(vec![recorded_again(3, CheckInStatus::Error, t0())]);
}

#[test]
fn the_recovery_threshold_th_success_resolves_the_incident() {
    MonitorTest::with(())
        .given(vec![
            created(with_thresholds(1, 2)),
            recorded(1, CheckInStatus::Error, t0()),
            opened(1, CheckInStatus::Error, t0()),
            recorded(2, CheckInStatus::Ok, t0()),
        ])
        .when(check_in(3, CheckInStatus::Ok, t0()))
        .then_expect_events(vec![
            recorded_again(3, CheckInStatus::Ok, t0()),
            MonitorEvent::IncidentResolved {
                environment: "production".into(),
                incident: 1,
                at: t0(),
            },
        ]);
}

#[test]
fn a_failure_after_recovery_opens_the_next_incident() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(1, CheckInStatus::Error, t0()),
            opened(1, CheckInStatus::Error, t0()),
            recorded(2, CheckInStatus::Ok, t0()),
            MonitorEvent::IncidentResolved {
                environment: "production".into(),
                incident: 1,
                at: t0(),
            },
        ])
        .when(check_in(3, CheckInStatus::Error, t0()))
        .then_expect_events(vec![
            recorded_again(3, CheckInStatus::Error, t0()),
            opened(2, CheckInStatus::Error, t0()),
        ]);
}

#[test]
fn a_muted_monitor_records_failures_without_an_incident() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            MonitorEvent::MonitorUpdated {
                name: None,
                config: None,
                status: None,
                muted: Some(true),
                owner: None,
                at: t0(),
            },
        ])
        .when(check_in(7, CheckInStatus::Error, t0()))
        .then_expect_events(vec![recorded(7, CheckInStatus::Error, t0())]);
}

#[test]
fn a_disabled_monitor_refuses_check_ins() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            MonitorEvent::MonitorUpdated {
                name: None,
                config: None,
                status: Some(MonitorStatus::Disabled),
                muted: None,
                owner: None,
                at: t0(),
            },
        ])
        .when(check_in(7, CheckInStatus::Ok, t0()))
        .then_expect_error(MonitorError::Disabled);
}

#[test]
fn a_run_is_not_missed_before_its_margin_has_passed() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(1, CheckInStatus::Ok, t0()),
        ])
        .when(MonitorCommand::MarkMissed {
            check_in_id: id(2),
            environment: "production".into(),
            now: at("2026-12-01T10:05:59Z"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_run_missing_past_its_margin_is_recorded_missed_and_opens_an_incident() {
    let now = at("2026-12-01T10:06:00Z");
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(1, CheckInStatus::Ok, t0()),
        ])
        .when(MonitorCommand::MarkMissed {
            check_in_id: id(2),
            environment: "production".into(),
            now,
        })
        .then_expect_events(vec![
            MonitorEvent::CheckInRecorded {
                check_in_id: id(2),
                environment: "production".into(),
                status: CheckInStatus::Missed,
                duration_ms: None,
                expected_at: Some(at("2026-12-01T10:05:00Z")),
                next_expected: Some(at("2026-12-01T10:10:00Z")),
                at: now,
            },
            opened(1, CheckInStatus::Missed, now),
        ]);
}

#[test]
fn a_run_that_checked_in_is_not_missed() {
    let late = at("2026-12-01T10:05:10Z");
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(1, CheckInStatus::Ok, t0()),
            recorded(2, CheckInStatus::Ok, late),
        ])
        .when(MonitorCommand::MarkMissed {
            check_in_id: id(3),
            environment: "production".into(),
            now: at("2026-12-01T10:06:30Z"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn an_in_progress_run_past_its_max_runtime_times_out() {
    let now = t0() + Duration::minutes(30);
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(7, CheckInStatus::InProgress, t0()),
        ])
        .when(MonitorCommand::MarkTimedOut {
            check_in_id: id(7),
            environment: "production".into(),
            now,
        })
        .then_expect_events(vec![
            MonitorEvent::CheckInCompleted {
                check_in_id: id(7),
                environment: "production".into(),
                status: CheckInStatus::Timeout,
                duration_ms: 30 * 60_000,
                at: now,
            },
            opened(1, CheckInStatus::Timeout, now),
        ]);
}

#[test]
fn an_in_progress_run_within_its_max_runtime_does_not_time_out() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            recorded(7, CheckInStatus::InProgress, t0()),
        ])
        .when(MonitorCommand::MarkTimedOut {
            check_in_id: id(7),
            environment: "production".into(),
            now: t0() + Duration::minutes(29),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_crontab_is_read_in_the_monitors_time_zone() {
    let nine_in_new_york = MonitorConfig {
        schedule: Schedule::crontab("0 9 * * *").unwrap(),
        timezone: Some("America/New_York".into()),
        ..every_five_minutes()
    };
    // EST in winter, EDT in summer.
    assert_eq!(
        nine_in_new_york.next_after(at("2026-12-01T15:00:00Z")),
        Some(at("2026-12-02T14:00:00Z"))
    );
    assert_eq!(
        nine_in_new_york.next_after(at("2026-07-01T15:00:00Z")),
        Some(at("2026-07-02T13:00:00Z"))
    );
}

#[test]
fn a_crontab_time_skipped_by_the_spring_dst_change_runs_right_after_the_gap() {
    let half_past_two_in_berlin = MonitorConfig {
        schedule: Schedule::crontab("30 2 * * *").unwrap(),
        timezone: Some("Europe/Berlin".into()),
        ..every_five_minutes()
    };
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
    assert_eq!(
        half_past_two_in_berlin.next_after(at("2026-03-28T12:00:00Z")),
        Some(at("2026-03-29T01:00:00Z"))
    );
}

#[test]
fn a_crontab_time_repeated_by_the_autumn_dst_change_runs_once() {
    let half_past_two_in_berlin = MonitorConfig {
        schedule: Schedule::crontab("30 2 * * *").unwrap(),
        timezone: Some("Europe/Berlin".into()),
        ..every_five_minutes()
    };
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    let first = half_past_two_in_berlin
        .next_after(at("2026-10-24T12:00:00Z"))
        .unwrap();
    assert_eq!(first, at("2026-10-25T00:30:00Z"));
    assert_eq!(
        half_past_two_in_berlin.next_after(first),
        Some(at("2026-10-26T01:30:00Z"))
    );
}

#[test]
fn an_interval_schedule_expects_the_next_run_one_interval_after_a_check_in() {
    let every_two_hours = Schedule::interval(2, IntervalUnit::Hour).unwrap();
    // From the check-in's minute, as Sentry counts.
    assert_eq!(
        every_two_hours.next_after(t0(), chrono_tz::Tz::UTC),
        Some(at("2026-12-01T12:00:00Z"))
    );
    let monthly = Schedule::interval(1, IntervalUnit::Month).unwrap();
    assert_eq!(
        monthly.next_after(at("2026-01-31T00:00:00Z"), chrono_tz::Tz::UTC),
        Some(at("2026-02-28T00:00:00Z"))
    );
    assert!(Schedule::interval(0, IntervalUnit::Day).is_err());
}

#[test]
fn a_deleted_monitor_can_be_created_again() {
    MonitorTest::with(())
        .given(vec![
            created(every_five_minutes()),
            MonitorEvent::MonitorDeleted { at: t0() },
        ])
        .when(MonitorCommand::Create {
            monitor: new_monitor(every_five_minutes()),
            at: t0(),
        })
        .then_expect_events(vec![created(every_five_minutes())]);
}

trait Tap {
    fn tap(self, event: MonitorEvent) -> Self;
}

impl Tap for Monitor {
    fn tap(mut self, event: MonitorEvent) -> Self {
        self.apply(event);
        self
    }
}
