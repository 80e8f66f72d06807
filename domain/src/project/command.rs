//! Commands on a project and its client keys.

use chrono::{DateTime, Utc};

use super::RateLimit;

/// A change of a project's retention: an outer `None` keeps a field, `Some(None)`
/// returns it to the server's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionChange {
    /// The days events are kept.
    pub days: Option<Option<u32>>,
    /// The most events kept.
    pub max_events: Option<Option<u64>>,
}
use crate::slug::Slug;

/// A request to change a project. Ids, keys and times are decided by the caller.
///
/// Whether the org and teams exist, and slug uniqueness within the org, are checked by
/// the caller against the read model; this aggregate only guards its own state.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectCommand {
    /// Create the project in an organization.
    CreateProject {
        /// The project's numeric id, allocated outside the domain.
        project_id: i64,
        /// The owning organization.
        org_id: i64,
        /// The URL slug.
        slug: Slug,
        /// The display name.
        name: String,
        /// The SDK platform (`"python"`), if known.
        platform: Option<String>,
        /// The team the project starts with, if any.
        team_id: Option<i64>,
        /// When the project was created.
        at: DateTime<Utc>,
    },
    /// Change name, slug, platform or retention; absent or unchanged fields are
    /// ignored, and what changes is recorded in one commit.
    UpdateProject {
        /// The new name.
        name: Option<String>,
        /// The new slug.
        slug: Option<Slug>,
        /// The new platform; `Some(None)` clears it.
        platform: Option<Option<String>>,
        /// How long, and how many of, its ingested events are kept.
        retention: RetentionChange,
        /// When the change was made.
        at: DateTime<Utc>,
    },
    /// Delete the project; it then refuses every command and accepts no events.
    DeleteProject {
        /// When the project was deleted.
        at: DateTime<Utc>,
    },
    /// Set the grouping rules; `None` keeps a text. Both are parsed: a rule that does
    /// not is refused with its line and column.
    SetGroupingRules {
        /// Fingerprint rules.
        fingerprinting_rules: Option<String>,
        /// Stack trace rules.
        grouping_enhancements: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Hide environments from the project's lists, or show them again.
    SetEnvironmentsHidden {
        /// The environments.
        names: Vec<String>,
        /// Hide (`true`) or show.
        hidden: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// Give a team access to the project.
    AddProjectTeam {
        /// The team.
        team_id: i64,
        /// When access was given.
        at: DateTime<Utc>,
    },
    /// Take a team's access away.
    RemoveProjectTeam {
        /// The team.
        team_id: i64,
        /// When access was taken away.
        at: DateTime<Utc>,
    },
    /// Create a client key (DSN).
    CreateClientKey {
        /// The public key: 32 lowercase hex characters, also the key's id.
        public_key: String,
        /// The secret key: 32 lowercase hex characters.
        secret_key: String,
        /// The key's label (`"Default"`).
        label: String,
        /// An optional rate limit.
        rate_limit: Option<RateLimit>,
        /// When the key was created.
        at: DateTime<Utc>,
    },
    /// Change a client key; absent or unchanged fields are ignored.
    UpdateClientKey {
        /// The key.
        public_key: String,
        /// The new label.
        label: Option<String>,
        /// Enable or disable the key.
        is_active: Option<bool>,
        /// The new rate limit; `Some(None)` removes it.
        rate_limit: Option<Option<RateLimit>>,
        /// When the change was made.
        at: DateTime<Utc>,
    },
    /// Revoke a client key for good.
    RevokeClientKey {
        /// The key.
        public_key: String,
        /// When the key was revoked.
        at: DateTime<Utc>,
    },
}
