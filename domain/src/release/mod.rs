//! The release aggregate: a version of an organization's code, the projects it ships
//! in, its finalization and archiving, and its deploys (what `sentry-cli releases`
//! and `sentry-cli deploys` drive).
//!
//! Aggregate id: [`stream_id`], the organization's id and the version, so two
//! creations of one version meet on one stream.

mod command;
mod decide;
mod error;
mod event;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::{NewDeploy, ReleaseChanges, ReleaseCommand};
pub use error::ReleaseError;
pub use event::ReleaseEvent;

/// The longest version Sentry accepts.
pub const MAX_VERSION_LEN: usize = 200;

/// The stream of `version` in organization `org_id`.
pub fn stream_id(org_id: i64, version: &str) -> String {
    format!("{org_id}:{version}")
}

/// Whether a release is listed by default or archived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseStatus {
    /// Listed (Sentry's `open`).
    #[default]
    Open,
    /// Hidden from default lists.
    Archived,
}

impl ReleaseStatus {
    /// Sentry's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Open => "open",
            ReleaseStatus::Archived => "archived",
        }
    }
}

/// A commit of a release, as sentry-cli sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseCommit {
    /// The commit's id (a SHA, up to 64 characters).
    pub id: String,
    /// The repository's name (`origin`, `acme/shop`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The commit message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The author's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// The author's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_email: Option<String>,
    /// When it was committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    /// The files it changed: `(path, type)`, type `A`, `M` or `D`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<(String, String)>,
}

/// A repository head a release was built from (`--commit repo@from..to`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    /// The repository's name.
    pub repository: String,
    /// The head commit.
    pub commit: String,
    /// The previous release's head, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_commit: Option<String>,
}

/// The longest commit id accepted (SHA-256 in hex).
pub const MAX_COMMIT_ID_LEN: usize = 64;

/// A release as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    release_id: Option<i64>,
    org_id: i64,
    version: String,
    projects: BTreeSet<i64>,
    reference: Option<String>,
    url: Option<String>,
    date_released: Option<DateTime<Utc>>,
    #[serde(default)]
    date_started: Option<DateTime<Utc>>,
    status: ReleaseStatus,
    deploys: BTreeSet<i64>,
    deleted: bool,
}

impl Release {
    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The release's numeric id, while it exists.
    pub fn release_id(&self) -> Option<i64> {
        self.release_id.filter(|_| !self.deleted)
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The projects it ships in.
    pub fn projects(&self) -> &BTreeSet<i64> {
        &self.projects
    }

    /// When it was finalized, if it was.
    pub fn date_released(&self) -> Option<DateTime<Utc>> {
        self.date_released
    }

    /// Open or archived.
    pub fn status(&self) -> ReleaseStatus {
        self.status
    }

    /// Whether the release exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.release_id.is_some() && !self.deleted
    }
}

impl Aggregate for Release {
    const TYPE: &'static str = "release";
    type Command = ReleaseCommand;
    type Event = ReleaseEvent;
    type Error = ReleaseError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ReleaseEvent::ReleaseCreated {
                release_id,
                org_id,
                version,
                project_ids,
                reference,
                url,
                date_released,
                date_started,
                at: _,
            } => {
                *self = Release {
                    release_id: Some(release_id),
                    org_id,
                    version,
                    projects: project_ids.into_iter().collect(),
                    reference,
                    url,
                    date_released,
                    date_started,
                    ..Release::default()
                };
            }
            ReleaseEvent::ReleaseProjectsAdded { project_ids, .. } => {
                self.projects.extend(project_ids);
            }
            ReleaseEvent::ReleaseUpdated {
                reference,
                url,
                date_released,
                status,
                date_started,
                at: _,
            } => {
                if let Some(date_started) = date_started {
                    self.date_started = date_started;
                }
                if let Some(reference) = reference {
                    self.reference = reference;
                }
                if let Some(url) = url {
                    self.url = url;
                }
                if let Some(date_released) = date_released {
                    self.date_released = date_released;
                }
                if let Some(status) = status {
                    self.status = status;
                }
            }
            ReleaseEvent::CommitsSet { .. } => {}
            ReleaseEvent::ReleaseDeleted { .. } => self.deleted = true,
            ReleaseEvent::DeployCreated { deploy_id, .. } => {
                self.deploys.insert(deploy_id);
            }
        }
    }
}
