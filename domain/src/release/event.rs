//! What happened to a release.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{ReleaseCommit, ReleaseRef, ReleaseStatus};

/// A fact about a release. Stored as `{"ReleaseCreated": {...}}`, version `1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReleaseEvent {
    /// The release was created (again, if an earlier one of the version was deleted).
    ReleaseCreated {
        /// Its numeric id.
        release_id: i64,
        /// The organization.
        org_id: i64,
        /// The version.
        version: String,
        /// The projects it ships in, sorted.
        project_ids: Vec<i64>,
        /// The commit reference.
        reference: Option<String>,
        /// A URL pointing at it.
        url: Option<String>,
        /// When it went live, if given at creation.
        date_released: Option<DateTime<Utc>>,
        /// When its build or rollout started, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date_started: Option<DateTime<Utc>>,
        /// When it was created (`dateCreated`).
        at: DateTime<Utc>,
    },
    /// Projects were added to an existing release.
    ReleaseProjectsAdded {
        /// The added projects, sorted.
        project_ids: Vec<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Fields changed; only the changed ones are present, `null` clears.
    ReleaseUpdated {
        /// The commit reference.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        reference: Option<Option<String>>,
        /// The URL.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        url: Option<Option<String>>,
        /// When it went live.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        date_released: Option<Option<DateTime<Utc>>>,
        /// Open or archived.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<ReleaseStatus>,
        /// When its build or rollout started.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "crate::double_option"
        )]
        date_started: Option<Option<DateTime<Utc>>>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The release's commits were set (replacing any set before), as sent: no
    /// repository integration resolves them further.
    CommitsSet {
        /// The commits, newest first as sent.
        commits: Vec<ReleaseCommit>,
        /// The repository heads the release was built from.
        refs: Vec<ReleaseRef>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The release was deleted.
    ReleaseDeleted {
        /// When.
        at: DateTime<Utc>,
    },
    /// The release was deployed to an environment.
    DeployCreated {
        /// The deploy's numeric id.
        deploy_id: i64,
        /// The environment.
        environment: String,
        /// Its name, if given.
        name: Option<String>,
        /// Its URL, if given.
        url: Option<String>,
        /// When it started, if known.
        date_started: Option<DateTime<Utc>>,
        /// When it finished.
        date_finished: DateTime<Utc>,
        /// The projects deployed, sorted.
        project_ids: Vec<i64>,
        /// When it was recorded.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ReleaseEvent {
    fn event_type(&self) -> String {
        match self {
            ReleaseEvent::ReleaseCreated { .. } => "ReleaseCreated",
            ReleaseEvent::ReleaseProjectsAdded { .. } => "ReleaseProjectsAdded",
            ReleaseEvent::ReleaseUpdated { .. } => "ReleaseUpdated",
            ReleaseEvent::CommitsSet { .. } => "CommitsSet",
            ReleaseEvent::ReleaseDeleted { .. } => "ReleaseDeleted",
            ReleaseEvent::DeployCreated { .. } => "DeployCreated",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
