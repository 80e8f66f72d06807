//! The artifact bundle aggregate: a zip of minified sources and their source maps that
//! `sentry-cli sourcemaps upload` assembles from chunks, indexed by debug id and by
//! release/dist + URL, linked to projects, deleted by a user or by retention.
//!
//! Aggregate id: [`stream_id`], the organization and the bundle's SHA-1, so uploading
//! the same bundle twice meets on one stream. The bytes are not events: the files live
//! content-addressed in `file_blobs`; the events carry the manifest (each file's URL,
//! type, debug id and checksum), which is all the index is built from.

mod decide;
mod event;
pub mod manifest;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use event::ArtifactBundleEvent;
pub use manifest::{BundleFile, FileType};

/// The stream of the bundle whose zip has SHA-1 `checksum` in organization `org_id`.
pub fn stream_id(org_id: i64, checksum: &str) -> String {
    format!("{org_id}:{checksum}")
}

/// A bundle as assembled: what the upload records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewBundle {
    /// The organization.
    pub org_id: i64,
    /// SHA-1 of the whole zip, 40 lowercase hex digits.
    pub checksum: String,
    /// The bundle's own id (the manifest's `debug_id`, else derived from the checksum).
    pub bundle_id: String,
    /// The zip's size in bytes.
    pub size: u64,
    /// The projects it serves, sorted.
    pub project_ids: Vec<i64>,
    /// The release it was uploaded for, if any.
    pub release: Option<String>,
    /// The distribution, if any.
    pub dist: Option<String>,
    /// Its files.
    pub files: Vec<BundleFile>,
}

/// Commands on a bundle.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactBundleCommand {
    /// Record an assembled bundle; on a live one, link any projects it lacks.
    Upload {
        /// The bundle.
        bundle: NewBundle,
        /// When.
        at: DateTime<Utc>,
    },
    /// Delete the bundle: its files stop resolving frames.
    Delete {
        /// Why: `user` or `retention`.
        reason: DeleteReason,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Why a bundle was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeleteReason {
    /// A user deleted it.
    User,
    /// It outlived every project's retention.
    Retention,
}

/// A refusal of an [`ArtifactBundleCommand`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactBundleError {
    /// Delete on a bundle that does not exist (or no longer does).
    #[error("artifact bundle not found")]
    NotFound,
    /// A bundle with no project.
    #[error("One or more projects are invalid")]
    NoProjects,
    /// A bundle without a single file.
    #[error("The bundle has no files")]
    Empty,
}

/// The bundle's state: live or not, its organization and the projects it serves (also
/// its snapshot: fields added later default, so older snapshots still load).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArtifactBundle {
    live: bool,
    project_ids: BTreeSet<i64>,
    org_id: i64,
}

impl ArtifactBundle {
    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// Whether it is uploaded and not deleted.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The projects it serves.
    pub fn projects(&self) -> &BTreeSet<i64> {
        &self.project_ids
    }
}

impl Aggregate for ArtifactBundle {
    const TYPE: &'static str = "artifact_bundle";
    type Command = ArtifactBundleCommand;
    type Event = ArtifactBundleEvent;
    type Error = ArtifactBundleError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ArtifactBundleEvent::BundleUploaded { bundle, .. } => {
                self.live = true;
                self.org_id = bundle.org_id;
                self.project_ids = bundle.project_ids.into_iter().collect();
            }
            ArtifactBundleEvent::BundleProjectsAdded { project_ids, .. } => {
                self.project_ids.extend(project_ids);
            }
            ArtifactBundleEvent::BundleDeleted { .. } => {
                self.live = false;
                self.project_ids.clear();
            }
        }
    }
}
