//! An ignore in force, and whether an occurrence ends it.
//!
//! Count and user conditions are checked against events recorded after the ignore, by
//! their `received` time. State stays bounded: a condition is met (and the ignore ends)
//! as soon as the tracked events or users reach its threshold, and windowed trackers
//! drop entries older than the window.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::details::IgnoreDetails;
use super::error::IssueError;

/// An ignore in force and what arrived since it began.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ignore {
    pub(super) details: IgnoreDetails,
    pub(super) until: Option<DateTime<Utc>>,
    /// Events since the ignore (without a window).
    events: u64,
    /// Receive times of recent events (with a window).
    recent: VecDeque<DateTime<Utc>>,
    /// Distinct users since the ignore (without a window).
    users: BTreeSet<String>,
    /// Last receive time per recent user (with a window).
    recent_users: BTreeMap<String, DateTime<Utc>>,
}

impl Ignore {
    pub(super) fn new(details: IgnoreDetails, until: Option<DateTime<Utc>>) -> Self {
        Ignore {
            details,
            until,
            ..Ignore::default()
        }
    }

    /// Whether an event received at `at` for `user` meets a count or user condition.
    pub(super) fn escalates_with(&self, at: DateTime<Utc>, user: Option<&str>) -> bool {
        let d = &self.details;
        let by_count = d.count.is_some_and(|count| {
            let seen = match window_start(at, d.window_minutes) {
                None => self.events,
                Some(start) => self.recent.iter().filter(|t| **t >= start).count() as u64,
            };
            seen + 1 >= count
        });
        let by_users = d.user_count.is_some_and(|threshold| {
            let (known, distinct) = match window_start(at, d.user_window_minutes) {
                None => (
                    user.is_some_and(|u| self.users.contains(u)),
                    self.users.len() as u64,
                ),
                Some(start) => {
                    let recent = |u: &str| self.recent_users.get(u).is_some_and(|t| *t >= start);
                    let distinct = self.recent_users.values().filter(|t| **t >= start).count();
                    (user.is_some_and(recent), distinct as u64)
                }
            };
            let new_user = u64::from(user.is_some() && !known);
            distinct + new_user >= threshold
        });
        by_count || by_users
    }

    /// Counts an event received at `at` for `user`.
    pub(super) fn record(&mut self, at: DateTime<Utc>, user: Option<&str>) {
        let d = &self.details;
        if let Some(count) = d.count {
            match window_start(at, d.window_minutes) {
                None => self.events += 1,
                Some(start) => {
                    self.recent.retain(|t| *t >= start);
                    self.recent.push_back(at);
                    while self.recent.len() as u64 >= count.max(1) {
                        self.recent.pop_front();
                    }
                }
            }
        }
        let (Some(_), Some(user)) = (d.user_count, user) else {
            return;
        };
        match window_start(at, d.user_window_minutes) {
            None => {
                self.users.insert(user.to_owned());
            }
            Some(start) => {
                let last = self.recent_users.entry(user.to_owned()).or_insert(at);
                *last = (*last).max(at);
                self.recent_users.retain(|_, t| *t >= start);
            }
        }
    }
}

fn window_start(at: DateTime<Utc>, window_minutes: Option<u32>) -> Option<DateTime<Utc>> {
    window_minutes.map(|minutes| at - Duration::minutes(i64::from(minutes)))
}

/// Refuses conditions that could never hold or are meaningless.
pub(super) fn validate(details: &IgnoreDetails) -> Result<(), IssueError> {
    let zero = details.duration_minutes == Some(0)
        || details.count == Some(0)
        || details.user_count == Some(0)
        || details.window_minutes == Some(0)
        || details.user_window_minutes == Some(0);
    let orphan_window = (details.window_minutes.is_some() && details.count.is_none())
        || (details.user_window_minutes.is_some() && details.user_count.is_none());
    if zero || orphan_window {
        Err(IssueError::InvalidIgnore)
    } else {
        Ok(())
    }
}

/// When an ignore of `details` made at `at` runs out.
pub(super) fn until(details: &IgnoreDetails, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    details
        .duration_minutes
        .map(|minutes| at + Duration::minutes(i64::from(minutes)))
}
