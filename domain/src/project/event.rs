//! Events in the life of a project.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{RateLimit, Retention};
use crate::slug::Slug;

/// Something that happened to a project or one of its client keys.
///
/// Stored externally tagged, for example
/// `{"ClientKeyUpdated":{"public_key":"6012…","rate_limit":null,"at":"2026-01-01T00:00:00Z"}}`,
/// where a present `null` clears the value and an absent field leaves it unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProjectEvent {
    /// The project was created.
    ProjectCreated {
        /// The project's id.
        project_id: i64,
        /// The owning organization.
        org_id: i64,
        /// The URL slug.
        slug: Slug,
        /// The display name.
        name: String,
        /// The SDK platform.
        platform: Option<String>,
        /// The team the project starts with.
        team_id: Option<i64>,
        /// When it was created (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// Name, slug or platform changed; only the changed fields are present.
    ProjectUpdated {
        /// The new name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new slug.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slug: Option<Slug>,
        /// The new platform; `Some(None)` means it was cleared.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        platform: Option<Option<String>>,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// The project was deleted.
    ProjectDeleted {
        /// When it was deleted.
        at: DateTime<Utc>,
    },
    /// The project's grouping rules changed; it holds both texts as saved.
    GroupingRulesChanged {
        /// Fingerprint rules (`fingerprintingRules`).
        fingerprinting_rules: String,
        /// Stack trace rules (`groupingEnhancements`).
        grouping_enhancements: String,
        /// When they changed.
        at: DateTime<Utc>,
    },
    /// The project's retention changed; it holds the whole new setting.
    RetentionChanged {
        /// The retention from now on.
        retention: Retention,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// Environments were hidden from (or shown again in) the project's lists; only
    /// the names whose visibility changed.
    EnvironmentsHidden {
        /// The environments, sorted.
        names: Vec<String>,
        /// Whether they are hidden now.
        hidden: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// A team was given access.
    ProjectTeamAdded {
        /// The team.
        team_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// A team's access was taken away.
    ProjectTeamRemoved {
        /// The team.
        team_id: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// A client key was created, active.
    ClientKeyCreated {
        /// The public key (the key's id).
        public_key: String,
        /// The secret key.
        secret_key: String,
        /// The label.
        label: String,
        /// The rate limit, if any.
        rate_limit: Option<RateLimit>,
        /// When it was created (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// A client key changed; only the changed fields are present.
    ClientKeyUpdated {
        /// The public key.
        public_key: String,
        /// The new label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        /// The new active flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_active: Option<bool>,
        /// The new rate limit; `Some(None)` means it was removed.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        rate_limit: Option<Option<RateLimit>>,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// A client key was revoked for good.
    ClientKeyRevoked {
        /// The public key.
        public_key: String,
        /// When it was revoked.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ProjectEvent {
    fn event_type(&self) -> String {
        use ProjectEvent::*;
        match self {
            ProjectCreated { .. } => "ProjectCreated",
            ProjectUpdated { .. } => "ProjectUpdated",
            ProjectDeleted { .. } => "ProjectDeleted",
            RetentionChanged { .. } => "RetentionChanged",
            GroupingRulesChanged { .. } => "GroupingRulesChanged",
            EnvironmentsHidden { .. } => "EnvironmentsHidden",
            ProjectTeamAdded { .. } => "ProjectTeamAdded",
            ProjectTeamRemoved { .. } => "ProjectTeamRemoved",
            ClientKeyCreated { .. } => "ClientKeyCreated",
            ClientKeyUpdated { .. } => "ClientKeyUpdated",
            ClientKeyRevoked { .. } => "ClientKeyRevoked",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
