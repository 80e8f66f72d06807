//! Uniqueness across aggregates: values claimed in the events' own transaction.

use faultline_domain::alert::Workflow;
use faultline_domain::issue::Issue;
use faultline_domain::organization::{Organization, OrganizationEvent};
use faultline_domain::project::{Project, ProjectEvent};
use faultline_domain::release::Release;
use faultline_domain::service_hook::ServiceHook;
use faultline_domain::user::{User, UserEvent};

/// Scope of organization slugs (global).
pub const ORG_SLUG: &str = "org-slug";
/// Scope of user emails (global).
pub const USER_EMAIL: &str = "user-email";

/// Scope of project slugs within organization `org_id`.
pub fn project_slug_scope(org_id: i64) -> String {
    format!("project-slug:{org_id}")
}

/// A change to the values an aggregate holds exclusively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimChange {
    /// The aggregate now holds `key` in `scope` (replacing what it held there).
    Set {
        /// The namespace of the value.
        scope: String,
        /// The value.
        key: String,
    },
    /// The aggregate gives up what it held in `scope`.
    Release {
        /// The namespace of the value.
        scope: String,
    },
}

/// Aggregates that hold values unique across aggregates (and, as every aggregate
/// the bus writes, say where their events are stored).
pub trait UniqueKeys: crate::placement::Placement {
    /// The claims implied by `events`, given the state after them.
    fn claim_changes(_after: &Self, _events: &[Self::Event]) -> Vec<ClaimChange> {
        Vec::new()
    }
}

impl UniqueKeys for User {
    fn claim_changes(_after: &Self, events: &[UserEvent]) -> Vec<ClaimChange> {
        events
            .iter()
            .filter_map(|event| match event {
                UserEvent::UserCreated { email, .. } => Some(ClaimChange::Set {
                    scope: USER_EMAIL.to_owned(),
                    key: email.to_lowercase(),
                }),
                _ => None,
            })
            .collect()
    }
}

impl UniqueKeys for Organization {
    fn claim_changes(_after: &Self, events: &[OrganizationEvent]) -> Vec<ClaimChange> {
        events
            .iter()
            .filter_map(|event| match event {
                OrganizationEvent::OrganizationCreated { slug, .. }
                | OrganizationEvent::OrganizationUpdated {
                    slug: Some(slug), ..
                } => Some(ClaimChange::Set {
                    scope: ORG_SLUG.to_owned(),
                    key: slug.as_str().to_owned(),
                }),
                OrganizationEvent::OrganizationDeleted { .. } => Some(ClaimChange::Release {
                    scope: ORG_SLUG.to_owned(),
                }),
                _ => None,
            })
            .collect()
    }
}

impl UniqueKeys for Project {
    fn claim_changes(after: &Self, events: &[ProjectEvent]) -> Vec<ClaimChange> {
        let scope = project_slug_scope(after.org_id());
        events
            .iter()
            .filter_map(|event| match event {
                ProjectEvent::ProjectCreated { slug, .. }
                | ProjectEvent::ProjectUpdated {
                    slug: Some(slug), ..
                } => Some(ClaimChange::Set {
                    scope: scope.clone(),
                    key: slug.as_str().to_owned(),
                }),
                ProjectEvent::ProjectDeleted { .. } => Some(ClaimChange::Release {
                    scope: scope.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// Issues hold no value unique across aggregates (their stream id is the fingerprint).
impl UniqueKeys for Issue {}

/// Workflows are named freely (Sentry allows two with one name).
impl UniqueKeys for Workflow {}

/// Service hooks are identified by a random id; two may post to one URL.
impl UniqueKeys for ServiceHook {}

/// A release's stream id is its organization and version: the stream itself keeps
/// the version unique.
impl UniqueKeys for Release {}

// An artifact bundle claims nothing: its stream id is its key.
impl UniqueKeys for faultline_domain::artifact_bundle::ArtifactBundle {}

// A monitor's stream id is its organization and slug: the stream keeps the slug unique.
impl UniqueKeys for faultline_domain::monitor::Monitor {}
