//! The project aggregate: a project, the teams with access, and its client keys (DSNs).
//!
//! Aggregate id: the project's numeric id as a decimal string (`"42"`). Client keys are
//! identified by their public key, as in Sentry.

mod command;
mod decide;
mod error;
mod event;
mod retention;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::{ProjectCommand, RetentionChange};
pub use decide::check_grouping_rules;
pub use error::ProjectError;
pub use event::ProjectEvent;
pub use retention::{Retention, MAX_RETENTION_DAYS};

use crate::slug::Slug;

/// At most `count` events per `window` seconds for one client key.
///
/// JSON: `{"window": 7200, "count": 1000}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// The window length in seconds (above zero).
    pub window: u32,
    /// The number of events allowed per window (above zero).
    pub count: u32,
}

/// A project as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Project {
    project_id: Option<i64>,
    org_id: i64,
    slug: Option<Slug>,
    name: String,
    platform: Option<String>,
    teams: BTreeSet<i64>,
    deleted: bool,
    keys: BTreeMap<String, ClientKey>,
    #[serde(default)]
    retention: Retention,
    #[serde(default)]
    hidden_environments: BTreeSet<String>,
    #[serde(default)]
    fingerprinting_rules: String,
    #[serde(default)]
    grouping_enhancements: String,
}

/// A client key as the project knows it, keyed by its public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientKey {
    /// The secret key.
    pub secret_key: String,
    /// The label.
    pub label: String,
    /// Whether the key is enabled.
    pub is_active: bool,
    /// The rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// Whether the key was revoked (revoked keys are kept so they are never reused).
    pub revoked: bool,
}

impl Project {
    /// The project's id, once created.
    pub fn project_id(&self) -> Option<i64> {
        self.project_id
    }

    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The URL slug, once created.
    pub fn slug(&self) -> Option<&Slug> {
        self.slug.as_ref()
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SDK platform, if set.
    pub fn platform(&self) -> Option<&str> {
        self.platform.as_deref()
    }

    /// The teams with access.
    pub fn teams(&self) -> &BTreeSet<i64> {
        &self.teams
    }

    /// Whether environment `name` is hidden from the project's lists.
    pub fn hides_environment(&self, name: &str) -> bool {
        self.hidden_environments.contains(name)
    }

    /// How long, and how many of, its ingested events are kept.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// A client key by public key, revoked or not.
    pub fn client_key(&self, public_key: &str) -> Option<&ClientKey> {
        self.keys.get(public_key)
    }

    /// Whether the project exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.project_id.is_some() && !self.deleted
    }

    /// The ingestion rule: events are accepted only for a live project through one of its
    /// keys that is active and not revoked.
    pub fn accepts_events(&self, public_key: &str) -> bool {
        self.is_live()
            && self
                .keys
                .get(public_key)
                .is_some_and(|key| key.is_active && !key.revoked)
    }
}

impl Aggregate for Project {
    const TYPE: &'static str = "project";
    type Command = ProjectCommand;
    type Event = ProjectEvent;
    type Error = ProjectError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        use ProjectEvent::*;
        match event {
            ProjectCreated {
                project_id,
                org_id,
                slug,
                name,
                platform,
                team_id,
                at: _,
            } => {
                self.project_id = Some(project_id);
                self.org_id = org_id;
                self.slug = Some(slug);
                self.name = name;
                self.platform = platform;
                self.teams.extend(team_id);
            }
            ProjectUpdated {
                name,
                slug,
                platform,
                at: _,
            } => {
                if let Some(name) = name {
                    self.name = name;
                }
                if slug.is_some() {
                    self.slug = slug;
                }
                if let Some(platform) = platform {
                    self.platform = platform;
                }
            }
            ProjectDeleted { .. } => self.deleted = true,
            RetentionChanged { retention, .. } => self.retention = retention,
            GroupingRulesChanged {
                fingerprinting_rules,
                grouping_enhancements,
                ..
            } => {
                self.fingerprinting_rules = fingerprinting_rules;
                self.grouping_enhancements = grouping_enhancements;
            }
            EnvironmentsHidden { names, hidden, .. } => {
                for name in names {
                    if hidden {
                        self.hidden_environments.insert(name);
                    } else {
                        self.hidden_environments.remove(&name);
                    }
                }
            }
            ProjectTeamAdded { team_id, .. } => {
                self.teams.insert(team_id);
            }
            ProjectTeamRemoved { team_id, .. } => {
                self.teams.remove(&team_id);
            }
            ClientKeyCreated {
                public_key,
                secret_key,
                label,
                rate_limit,
                at: _,
            } => {
                let key = ClientKey {
                    secret_key,
                    label,
                    is_active: true,
                    rate_limit,
                    revoked: false,
                };
                self.keys.insert(public_key, key);
            }
            ClientKeyUpdated {
                public_key,
                label,
                is_active,
                rate_limit,
                at: _,
            } => {
                if let Some(key) = self.keys.get_mut(&public_key) {
                    if let Some(label) = label {
                        key.label = label;
                    }
                    if let Some(is_active) = is_active {
                        key.is_active = is_active;
                    }
                    if let Some(rate_limit) = rate_limit {
                        key.rate_limit = rate_limit;
                    }
                }
            }
            ClientKeyRevoked { public_key, .. } => {
                if let Some(key) = self.keys.get_mut(&public_key) {
                    key.revoked = true;
                }
            }
        }
    }
}
