//! Events in the life of a service hook.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// Something that happened to a service hook. When it happened is the event's
/// metadata `time`.
///
/// Stored externally tagged, for example
/// `{"ServiceHookUpdated":{"hook_id":"4f9d…","org_id":3,"project_id":42,
/// "url":"https://example.com/hook","events":["event.alert","event.created"]}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServiceHookEvent {
    /// The hook was registered.
    ServiceHookCreated {
        /// The hook's id.
        hook_id: String,
        /// The project's organization.
        org_id: i64,
        /// The project.
        project_id: i64,
        /// Where it posts.
        url: String,
        /// What it is sent on, sorted, without repeats.
        events: Vec<String>,
        /// The signing secret (shown by every read of the hook, as Sentry does).
        secret: String,
    },
    /// The URL or the events changed (both are present).
    ServiceHookUpdated {
        /// The hook's id.
        hook_id: String,
        /// The project's organization.
        org_id: i64,
        /// The project.
        project_id: i64,
        /// Where it posts.
        url: String,
        /// What it is sent on, sorted, without repeats.
        events: Vec<String>,
    },
    /// The hook was removed.
    ServiceHookDeleted {
        /// The hook's id.
        hook_id: String,
        /// The project's organization.
        org_id: i64,
        /// The project.
        project_id: i64,
    },
}

impl DomainEvent for ServiceHookEvent {
    fn event_type(&self) -> String {
        match self {
            ServiceHookEvent::ServiceHookCreated { .. } => "ServiceHookCreated",
            ServiceHookEvent::ServiceHookUpdated { .. } => "ServiceHookUpdated",
            ServiceHookEvent::ServiceHookDeleted { .. } => "ServiceHookDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
