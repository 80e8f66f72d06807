//! The service hook aggregate: Sentry's per-project webhook, sent on every new
//! event (`event.created`) or alert (`event.alert`), signed with its own secret.
//!
//! Aggregate id: the hook's id, 32 lowercase hex characters (a uuid, as Sentry's).

mod command;
mod decide;
mod error;
mod event;
#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

pub use command::ServiceHookCommand;
pub use error::ServiceHookError;
pub use event::ServiceHookEvent;

/// The events a hook may subscribe to, as Sentry names them.
pub const HOOK_EVENTS: [&str; 2] = ["event.alert", "event.created"];

/// A service hook as rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceHook {
    hook_id: Option<String>,
    org_id: i64,
    project_id: i64,
    url: String,
    events: Vec<String>,
    deleted: bool,
}

impl ServiceHook {
    /// The owning organization's id (0 before creation).
    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The hook's id, once created.
    pub fn hook_id(&self) -> Option<&str> {
        self.hook_id.as_deref()
    }

    /// The project it belongs to (0 before creation).
    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    /// The URL it posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The events it is sent on, sorted.
    pub fn events(&self) -> &[String] {
        &self.events
    }

    /// Whether the hook exists and is not deleted.
    pub fn is_live(&self) -> bool {
        self.hook_id.is_some() && !self.deleted
    }
}

impl Aggregate for ServiceHook {
    const TYPE: &'static str = "service_hook";
    type Command = ServiceHookCommand;
    type Event = ServiceHookEvent;
    type Error = ServiceHookError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ServiceHookEvent::ServiceHookCreated {
                hook_id,
                org_id,
                project_id,
                url,
                events,
                secret: _,
            } => {
                self.hook_id = Some(hook_id);
                self.org_id = org_id;
                self.project_id = project_id;
                self.url = url;
                self.events = events;
            }
            ServiceHookEvent::ServiceHookUpdated { url, events, .. } => {
                self.url = url;
                self.events = events;
            }
            ServiceHookEvent::ServiceHookDeleted { .. } => self.deleted = true,
        }
    }
}
