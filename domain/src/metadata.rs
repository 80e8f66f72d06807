//! Metadata carried by every stored event: who did it, in which request, when.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};

/// Key of the actor in an event's metadata map (`user:<id>`, `token:<id>`,
/// `key:<public key>`, `system:<component>`).
pub const ACTOR: &str = "actor";
/// Key of the request id in an event's metadata map.
pub const REQUEST_ID: &str = "request_id";
/// Key of the client IP in an event's metadata map.
pub const IP_ADDRESS: &str = "ip_address";
/// Key of the time (RFC 3339, UTC) in an event's metadata map.
pub const TIME: &str = "time";

/// Who caused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(String),
    /// An API token, by its id.
    Token(String),
    /// A client key (DSN) used for ingestion, by its public key.
    Key(String),
    /// Faultline itself, naming the component (`bootstrap`, `scheduler`, ...).
    System(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Token(id) => write!(f, "token:{id}"),
            Actor::Key(key) => write!(f, "key:{key}"),
            Actor::System(component) => write!(f, "system:{component}"),
        }
    }
}

/// The metadata of one command execution; every event it produces carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    /// Who caused the change.
    pub actor: Actor,
    /// The HTTP request id, when the change came from a request.
    pub request_id: Option<String>,
    /// The client IP, when the change came from a request.
    pub ip_address: Option<String>,
    /// When the command was executed.
    pub time: DateTime<Utc>,
}

impl EventMetadata {
    /// Metadata for a change made by Faultline itself, with no request.
    pub fn system(component: &str, time: DateTime<Utc>) -> Self {
        Self {
            actor: Actor::System(component.to_owned()),
            request_id: None,
            ip_address: None,
            time,
        }
    }

    /// The flat map stored with each event (cqrs-es's metadata shape).
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        map.insert(ACTOR.to_owned(), self.actor.to_string());
        map.insert(
            TIME.to_owned(),
            self.time.to_rfc3339_opts(SecondsFormat::Micros, true),
        );
        if let Some(id) = &self.request_id {
            map.insert(REQUEST_ID.to_owned(), id.clone());
        }
        if let Some(ip) = &self.ip_address {
            map.insert(IP_ADDRESS.to_owned(), ip.clone());
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_metadata_names_the_component_as_actor() {
        let time = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let map = EventMetadata::system("bootstrap", time).to_map();
        assert_eq!(map[ACTOR], "system:bootstrap");
        assert_eq!(map[TIME], "2026-01-02T03:04:05.000000Z");
        assert!(!map.contains_key(REQUEST_ID));
    }
}
