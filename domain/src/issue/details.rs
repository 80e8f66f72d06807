//! Value types shared by issue commands and events: how an issue was resolved or
//! ignored, and who it is assigned to.

use serde::{Deserialize, Serialize};

/// How an issue was resolved.
///
/// JSON: `{"type": "plain"}`, `{"type": "in_next_release", "current_release": "shop@1.2.0"}`
/// or `{"type": "in_release", "version": "shop@1.3.0"}`, each release form with
/// `"earlier_releases": [...]` when the project had releases before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResolveDetails {
    /// Resolved now: any later event regresses it.
    #[default]
    Plain,
    /// Fixed in the release after `current_release` (the project's latest release when
    /// it was resolved): events of that release or older do not regress it.
    InNextRelease {
        /// The latest release when it was resolved, if any.
        current_release: Option<String>,
        /// The project's releases created before the resolve (newest first, at most
        /// 1,000): their events do not regress it, whatever their versions look like.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        earlier_releases: Vec<String>,
    },
    /// Fixed in `version`: events of older releases do not regress it.
    InRelease {
        /// The release that fixes it.
        version: String,
        /// The project's releases created before `version` (newest first, at most
        /// 1,000): older by date, so their events do not regress it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        earlier_releases: Vec<String>,
    },
}

/// How long an issue stays ignored (Sentry: "archived"). All `None` ignores it forever.
///
/// JSON: `{"duration_minutes": null, "count": 100, "window_minutes": 60,
/// "user_count": null, "user_window_minutes": null, "until_escalating": false}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IgnoreDetails {
    /// Ignore for this long; a scheduler then sends `ExpireIgnore`.
    pub duration_minutes: Option<u32>,
    /// Escalate once this many events arrived after the ignore…
    pub count: Option<u64>,
    /// …within this many minutes.
    pub window_minutes: Option<u32>,
    /// Escalate once this many distinct users were affected after the ignore…
    pub user_count: Option<u64>,
    /// …within this many minutes.
    pub user_window_minutes: Option<u32>,
    /// Sentry's "archived until escalating": shown as such; the escalation itself
    /// (a forecast over event volume) is decided outside the aggregate.
    pub until_escalating: bool,
}

impl IgnoreDetails {
    /// Whether any condition would end the ignore by itself.
    pub fn has_condition(&self) -> bool {
        self.duration_minutes.is_some() || self.count.is_some() || self.user_count.is_some()
    }
}

/// Who an issue is assigned to. Membership of the organization is checked by
/// the caller.
///
/// JSON: `{"type": "user", "id": 42}` or `{"type": "team", "id": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    /// A user.
    User(i64),
    /// A team.
    Team(i64),
}
