//! Events and distinct users per issue in a trailing interval, for the frequency
//! filters: per-minute buckets from before the run, plus the run's own events up to
//! the one being judged.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use faultline_domain::alert::definition::Interval;
use faultline_domain::issue::Occurrence;
use sqlx::PgConnection;

use super::evaluate::Rules;
use crate::error::ProjectionError;

/// Buckets older than the longest interval (30 days) and this margin go.
const KEEP: TimeDelta = TimeDelta::days(31);

/// The counts a run's evaluations read, and the buckets it adds.
#[derive(Debug, Default)]
pub(super) struct Windows {
    /// Events per `(stream, interval minutes)` before the run, up to the run's first
    /// event's minute.
    before: HashMap<(String, i64), i64>,
    /// Distinct users per `(stream, interval minutes)` before the run.
    users_before: HashMap<(String, i64), HashSet<String>>,
    /// The run's events per stream so far.
    run: HashMap<String, Vec<Counted>>,
    /// Buckets to add.
    minutes: HashMap<(String, DateTime<Utc>), i64>,
    users: HashSet<(String, DateTime<Utc>, String)>,
}

/// An event of the run: its minute and, when users are counted, its user.
type Counted = (DateTime<Utc>, Option<String>);

fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at)
}

/// The first minute an interval ending at `at`'s minute covers.
fn window_start(at: DateTime<Utc>, interval_minutes: i64) -> DateTime<Utc> {
    minute_of(at) - TimeDelta::minutes(interval_minutes - 1)
}

impl Windows {
    /// Reads what the run's evaluations need about `streams` from before `reference`
    /// (the run's first event).
    pub(super) async fn load(
        conn: &mut PgConnection,
        org: i64,
        rules: &Rules,
        streams: &[String],
        reference: DateTime<Utc>,
    ) -> Result<Self, ProjectionError> {
        let mut windows = Windows::default();
        let intervals: Vec<i64> = rules
            .event_intervals()
            .iter()
            .map(|i| i.minutes())
            .collect();
        if !streams.is_empty() && !intervals.is_empty() {
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT m.stream_id, iv.minutes, sum(m.events)::bigint
                   FROM unnest($2::bigint[]) AS iv(minutes)
                   JOIN alert_issue_minutes m
                     ON m.minute >= $3 - make_interval(mins => iv.minutes::int - 1)
                  WHERE m.org_id = $4 AND m.stream_id = ANY($1)
                  GROUP BY 1, 2",
            )
            .bind(streams)
            .bind(&intervals)
            .bind(minute_of(reference))
            .bind(org)
            .fetch_all(&mut *conn)
            .await?;
            for (stream, minutes, events) in rows {
                windows.before.insert((stream, minutes), events);
            }
        }
        let user_intervals: Vec<i64> = rules.user_intervals().iter().map(|i| i.minutes()).collect();
        if !streams.is_empty() && !user_intervals.is_empty() {
            let rows: Vec<(String, i64, String)> = sqlx::query_as(
                "SELECT DISTINCT u.stream_id, iv.minutes, u.user_key
                   FROM unnest($2::bigint[]) AS iv(minutes)
                   JOIN alert_issue_minute_users u
                     ON u.minute >= $3 - make_interval(mins => iv.minutes::int - 1)
                  WHERE u.org_id = $4 AND u.stream_id = ANY($1)",
            )
            .bind(streams)
            .bind(&user_intervals)
            .bind(minute_of(reference))
            .bind(org)
            .fetch_all(&mut *conn)
            .await?;
            for (stream, minutes, user) in rows {
                windows
                    .users_before
                    .entry((stream, minutes))
                    .or_default()
                    .insert(user);
            }
        }
        Ok(windows)
    }

    /// Counts `occurrence` of `stream` (and its user, when `users`).
    pub(super) fn add(&mut self, stream: &str, occurrence: &Occurrence, users: bool) {
        let minute = minute_of(occurrence.received);
        let user = occurrence.user_key.clone().filter(|_| users);
        self.run
            .entry(stream.to_owned())
            .or_default()
            .push((minute, user.clone()));
        *self.minutes.entry((stream.to_owned(), minute)).or_default() += 1;
        if let Some(user) = user {
            self.users.insert((stream.to_owned(), minute, user));
        }
    }

    /// Events of `stream` in the `interval` ending at `at`, the run's so far included.
    pub(super) fn events_in(&self, stream: &str, interval: Interval, at: DateTime<Utc>) -> i64 {
        let minutes = interval.minutes();
        let start = window_start(at, minutes);
        let before = self
            .before
            .get(&(stream.to_owned(), minutes))
            .copied()
            .unwrap_or(0);
        let run = self.run.get(stream).map_or(0, |events| {
            events.iter().filter(|(m, _)| *m >= start).count()
        });
        before + run as i64
    }

    /// Distinct users of `stream` in the `interval` ending at `at`.
    pub(super) fn users_in(&self, stream: &str, interval: Interval, at: DateTime<Utc>) -> i64 {
        let minutes = interval.minutes();
        let start = window_start(at, minutes);
        let mut users: HashSet<&str> = self
            .users_before
            .get(&(stream.to_owned(), minutes))
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if let Some(events) = self.run.get(stream) {
            users.extend(
                events
                    .iter()
                    .filter(|(m, _)| *m >= start)
                    .filter_map(|(_, user)| user.as_deref()),
            );
        }
        users.len() as i64
    }

    /// Adds the run's buckets, of organization `org`.
    pub(super) async fn write(
        self,
        conn: &mut PgConnection,
        org: i64,
    ) -> Result<(), ProjectionError> {
        if !self.minutes.is_empty() {
            let (keys, counts): (Vec<_>, Vec<i64>) = self.minutes.into_iter().unzip();
            let (streams, minutes): (Vec<String>, Vec<DateTime<Utc>>) = keys.into_iter().unzip();
            sqlx::query(
                "INSERT INTO alert_issue_minutes (stream_id, minute, events, org_id)
                 SELECT s, m, e, $4 FROM UNNEST($1::text[], $2::timestamptz[], $3::bigint[])
                                      AS t(s, m, e)
                 ON CONFLICT (stream_id, minute, org_id)
                 DO UPDATE SET events = alert_issue_minutes.events + EXCLUDED.events",
            )
            .bind(&streams)
            .bind(&minutes)
            .bind(&counts)
            .bind(org)
            .execute(&mut *conn)
            .await?;
        }
        if !self.users.is_empty() {
            let mut streams = Vec::with_capacity(self.users.len());
            let mut minutes = Vec::with_capacity(self.users.len());
            let mut users = Vec::with_capacity(self.users.len());
            for (stream, minute, user) in self.users {
                streams.push(stream);
                minutes.push(minute);
                users.push(user);
            }
            sqlx::query(
                "INSERT INTO alert_issue_minute_users (stream_id, minute, user_key, org_id)
                 SELECT s, m, u, $4 FROM UNNEST($1::text[], $2::timestamptz[], $3::text[])
                                      AS t(s, m, u)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&streams)
            .bind(&minutes)
            .bind(&users)
            .bind(org)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// The hour (of event time) each organization's buckets were last pruned at, in this
/// process.
static PRUNED_HOUR: LazyLock<Mutex<HashMap<i64, i64>>> = LazyLock::new(Mutex::default);

/// Drops organization `org`'s buckets past every interval, at most once an hour of
/// event time. One organization at a time: on Citus each prune runs on the one
/// worker that holds it, as the rest of the batch does.
pub(super) async fn prune(
    conn: &mut PgConnection,
    org: i64,
    now: Option<DateTime<Utc>>,
) -> Result<(), ProjectionError> {
    let Some(now) = now else { return Ok(()) };
    let hour = now.timestamp() / 3600;
    {
        let mut pruned = PRUNED_HOUR.lock().unwrap_or_else(|e| e.into_inner());
        if pruned.insert(org, hour) == Some(hour) {
            return Ok(());
        }
    }
    sqlx::query(
        "WITH users AS (DELETE FROM alert_issue_minute_users WHERE org_id = $2 AND minute < $1)
         DELETE FROM alert_issue_minutes WHERE org_id = $2 AND minute < $1",
    )
    .bind(now - KEEP)
    .bind(org)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32, second: u32) -> DateTime<Utc> {
        format!("2026-12-04T10:{minute:02}:{second:02}Z")
            .parse()
            .unwrap()
    }

    #[test]
    fn a_one_minute_window_covers_only_the_events_minute() {
        assert_eq!(window_start(at(7, 42), 1), at(7, 0));
        assert_eq!(window_start(at(7, 42), 5), at(3, 0));
    }

    #[test]
    fn counts_add_the_runs_events_in_the_window_to_those_before_it() {
        let mut windows = Windows::default();
        windows.before.insert(("s".into(), 5), 3);
        let occurrence = |minute, user: &str| Occurrence {
            event_id: "e".into(),
            timestamp: at(minute, 0),
            received: at(minute, 10),
            level: "error".into(),
            release: None,
            environment: "production".into(),
            user_key: Some(user.into()),
            tags: vec![],
            title: "t".into(),
            culprit: "c".into(),
            data: serde_json::Value::Null,
        };
        windows.add("s", &occurrence(1, "a"), true);
        windows.add("s", &occurrence(6, "b"), true);
        windows.add("s", &occurrence(7, "b"), true);

        assert_eq!(windows.events_in("s", Interval::FiveMinutes, at(7, 30)), 5);
        assert_eq!(windows.events_in("s", Interval::OneMinute, at(7, 30)), 1);
        assert_eq!(windows.users_in("s", Interval::FiveMinutes, at(7, 30)), 1);
        assert_eq!(
            windows.users_in("s", Interval::FifteenMinutes, at(7, 30)),
            2
        );
    }
}
