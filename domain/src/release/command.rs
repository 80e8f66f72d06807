//! Commands on a release.

use chrono::{DateTime, Utc};

use super::{ReleaseCommit, ReleaseRef, ReleaseStatus};

/// What an update changes: an outer `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseChanges {
    /// The commit reference (`ref`).
    pub reference: Option<Option<String>>,
    /// A URL pointing at the release.
    pub url: Option<Option<String>>,
    /// When it went live (`dateReleased`: finalizing sets it).
    pub date_released: Option<Option<DateTime<Utc>>>,
    /// When its build or rollout started (`dateStarted`).
    pub date_started: Option<Option<DateTime<Utc>>>,
    /// Open or archived.
    pub status: Option<ReleaseStatus>,
}

/// A deploy of the release to an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeploy {
    /// Its numeric id, allocated outside the domain.
    pub deploy_id: i64,
    /// The environment (`production`).
    pub environment: String,
    /// An optional name.
    pub name: Option<String>,
    /// An optional URL.
    pub url: Option<String>,
    /// When it started, if known.
    pub date_started: Option<DateTime<Utc>>,
    /// When it finished.
    pub date_finished: DateTime<Utc>,
    /// The projects deployed (all of the release's when empty).
    pub project_ids: Vec<i64>,
}

/// A request to change a release. Ids and times are decided by the caller; whether
/// the projects belong to the organization is checked by the caller.
#[derive(Debug, Clone, PartialEq)]
pub enum ReleaseCommand {
    /// Create the release, or add projects to it when it exists.
    CreateRelease {
        /// Its numeric id, allocated outside the domain (unused when it exists).
        release_id: i64,
        /// The organization.
        org_id: i64,
        /// The version, as the stream id holds it.
        version: String,
        /// The projects it ships in (at least one).
        project_ids: Vec<i64>,
        /// The fields it starts with.
        changes: ReleaseChanges,
        /// When.
        at: DateTime<Utc>,
    },
    /// Change the reference, URL, release date or status.
    UpdateRelease {
        /// What changes.
        changes: ReleaseChanges,
        /// When.
        at: DateTime<Utc>,
    },
    /// Set the release's commits and refs, replacing those set before. Refs without
    /// commits record each ref's head as the release's commit.
    SetCommits {
        /// The commits.
        commits: Vec<ReleaseCommit>,
        /// The refs.
        refs: Vec<ReleaseRef>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Delete the release; the version may be created again afterwards.
    DeleteRelease {
        /// When.
        at: DateTime<Utc>,
    },
    /// Record a deploy.
    CreateDeploy {
        /// The deploy.
        deploy: NewDeploy,
        /// When it was recorded.
        at: DateTime<Utc>,
    },
}
