//! How long, and how many of, a project's ingested events are kept.

use serde::{Deserialize, Serialize};

use super::ProjectError;

/// The longest retention a project may ask for, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// A project's own retention. An absent field follows the server: the days its
/// `--event-retention-days` gives, and no limit on the number of events.
///
/// JSON: `{"days": 30, "max_events": 10000}`, either field omitted when unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Days an ingested event is kept after it was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// The most ingested events kept; the oldest go first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
}

impl Retention {
    /// The days events are kept, given the server's default.
    pub fn days_or(&self, server_default: u32) -> u32 {
        self.days.unwrap_or(server_default)
    }

    /// Refuses days outside 1..=[`MAX_RETENTION_DAYS`] and a maximum of zero events.
    pub fn validate(&self) -> Result<(), ProjectError> {
        if self
            .days
            .is_some_and(|days| days == 0 || days > MAX_RETENTION_DAYS)
        {
            return Err(ProjectError::InvalidRetentionDays);
        }
        if self.max_events == Some(0) {
            return Err(ProjectError::InvalidMaxEvents);
        }
        Ok(())
    }

    /// This retention with the given changes applied: an outer `None` keeps a field,
    /// `Some(None)` returns it to the server's default.
    pub fn changed(self, days: Option<Option<u32>>, max_events: Option<Option<u64>>) -> Self {
        Retention {
            days: days.unwrap_or(self.days),
            max_events: max_events.unwrap_or(self.max_events),
        }
    }
}
