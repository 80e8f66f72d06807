//! What happened to an artifact bundle.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{DeleteReason, NewBundle};

/// A fact about a bundle. Stored as `{"BundleUploaded": {...}}`, version `1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ArtifactBundleEvent {
    /// The bundle was assembled and its files indexed (again, after a deletion).
    BundleUploaded {
        /// The bundle and its manifest.
        bundle: NewBundle,
        /// When.
        at: DateTime<Utc>,
    },
    /// The same bundle was uploaded for more projects.
    BundleProjectsAdded {
        /// The added projects, sorted.
        project_ids: Vec<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The bundle was deleted.
    BundleDeleted {
        /// By a user, or by retention.
        reason: DeleteReason,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ArtifactBundleEvent {
    fn event_type(&self) -> String {
        match self {
            ArtifactBundleEvent::BundleUploaded { .. } => "BundleUploaded",
            ArtifactBundleEvent::BundleProjectsAdded { .. } => "BundleProjectsAdded",
            ArtifactBundleEvent::BundleDeleted { .. } => "BundleDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
