//! What one issue's occurrences in a piece of the log about to be dropped added to the
//! read models, recorded in the permanent log before they go (`OccurrencesSummarized`).
//! A read model rebuilt after the drop folds the summary instead of the events, so it
//! stays a fold of what the log holds; one that folded the events itself skips it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::Occurrence;

/// The occurrences' contribution: counts, times and the values they were seen with,
/// exactly as the issues read model folds them (a tag counts once per event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceSummary {
    /// How many events.
    pub events: i64,
    /// The earliest event time.
    pub first_seen: DateTime<Utc>,
    /// The latest event time.
    pub last_seen: DateTime<Utc>,
    /// The level of the last event in log order.
    pub level: String,
    /// The distinct users (`Occurrence::user_key`).
    pub users: Vec<String>,
    /// Each tag value seen: events, first and last time.
    pub tags: Vec<TagCount>,
    /// Events per release and environment (events without a release count nowhere).
    pub releases: Vec<ReleaseCount>,
}

/// The summary of the occurrences that belong to one issue of a stream: a stream's
/// issue may have been deleted and its fingerprint opened a new one, and a merged
/// issue's counts live on in its primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryPart {
    /// The read model's issue the occurrences count in: theirs, or the primary it was
    /// merged into. A deleted issue's part still counts in its project's releases.
    pub issue_id: i64,
    /// What they added.
    pub summary: OccurrenceSummary,
}

/// One tag value's events in the summarized occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    /// The tag's key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// Events that carried it.
    pub events: i64,
    /// The earliest of them.
    pub first_seen: DateTime<Utc>,
    /// The latest of them.
    pub last_seen: DateTime<Utc>,
}

/// One release and environment's events in the summarized occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseCount {
    /// The release.
    pub release: String,
    /// The environment.
    pub environment: String,
    /// Events.
    pub events: i64,
    /// The earliest of them.
    pub first_seen: DateTime<Utc>,
    /// The latest of them.
    pub last_seen: DateTime<Utc>,
}

/// Events, first seen, last seen.
type Count = (i64, DateTime<Utc>, DateTime<Utc>);

fn add(counts: &mut BTreeMap<(String, String), Count>, key: (&str, &str), at: DateTime<Utc>) {
    counts
        .entry((key.0.to_owned(), key.1.to_owned()))
        .and_modify(|(n, first, last)| {
            *n += 1;
            *first = (*first).min(at);
            *last = (*last).max(at);
        })
        .or_insert((1, at, at));
}

impl OccurrenceSummary {
    /// The summary of `occurrences`, given in log order; `None` when there are none.
    pub fn of<'a>(occurrences: impl IntoIterator<Item = &'a Occurrence>) -> Option<Self> {
        let mut builder = SummaryBuilder::default();
        for occurrence in occurrences {
            builder.add(occurrence);
        }
        builder.finish()
    }
}

/// Builds a summary one occurrence at a time, in log order, so that a pass over
/// millions of them holds only the counts.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    first: Option<(i64, DateTime<Utc>, DateTime<Utc>, String)>,
    users: BTreeSet<String>,
    tags: BTreeMap<(String, String), Count>,
    releases: BTreeMap<(String, String), Count>,
}

impl SummaryBuilder {
    /// Counts the next occurrence.
    pub fn add(&mut self, occurrence: &Occurrence) {
        let at = occurrence.timestamp;
        match &mut self.first {
            Some((events, first_seen, last_seen, level)) => {
                *events += 1;
                *first_seen = (*first_seen).min(at);
                *last_seen = (*last_seen).max(at);
                level.clone_from(&occurrence.level);
            }
            None => self.first = Some((1, at, at, occurrence.level.clone())),
        }
        if let Some(user) = &occurrence.user_key {
            if !self.users.contains(user) {
                self.users.insert(user.clone());
            }
        }
        let distinct: BTreeSet<(&str, &str)> = occurrence
            .tags
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        for pair in distinct {
            add(&mut self.tags, pair, at);
        }
        if let Some(release) = &occurrence.release {
            add(&mut self.releases, (release, &occurrence.environment), at);
        }
    }

    /// The summary of what was added; `None` when nothing was.
    pub fn finish(self) -> Option<OccurrenceSummary> {
        let (events, first_seen, last_seen, level) = self.first?;
        Some(OccurrenceSummary {
            events,
            first_seen,
            last_seen,
            level,
            users: self.users.into_iter().collect(),
            tags: self
                .tags
                .into_iter()
                .map(|((key, value), (events, first_seen, last_seen))| TagCount {
                    key,
                    value,
                    events,
                    first_seen,
                    last_seen,
                })
                .collect(),
            releases: self
                .releases
                .into_iter()
                .map(
                    |((release, environment), (events, first_seen, last_seen))| ReleaseCount {
                        release,
                        environment,
                        events,
                        first_seen,
                        last_seen,
                    },
                )
                .collect(),
        })
    }
}
