//! Faultline's domain: the pure, synchronous heart of the system.
//!
//! Data flow of a change: `api` turns a request into a command → `commands` loads the
//! aggregate from the event store and calls its `handle` → the aggregate decides, with
//! no IO, which past-tense events happen → `commands` appends them to the ordered log
//! → `projections` fold them into read models.
//!
//! Everything here is deterministic: time, ids and lookups are passed in as data.
#![warn(missing_docs)]

pub mod alert;
pub mod dsn;
pub mod event;
pub mod issue;
pub mod log_position;
pub mod metadata;
pub mod organization;
pub mod project;
pub mod role;
pub mod search;
pub mod service_hook;
pub mod slug;
pub mod upcast;
pub mod user;
