//! Faultline's domain: the pure, synchronous heart of the system.
//!
//! Data flow of a change: `api` turns a request into a command → `commands` loads the
//! aggregate from the event store and calls its `handle` → the aggregate decides, with
//! no IO, which past-tense events happen → `commands` appends them to the ordered log
//! → `projections` fold them into read models.
//!
//! Everything here is deterministic: time, ids and lookups are passed in as data.
#![warn(missing_docs)]

/// The `handle` of an aggregate: the rule is its pure `decide(&self, command) ->
/// Result<Vec<Event>, Error>`, and `handle` only writes the chosen events to the sink.
macro_rules! handle_by_deciding {
    () => {
        async fn handle(
            &mut self,
            command: Self::Command,
            _service: &Self::Services,
            sink: &cqrs_es::event_sink::EventSink<Self>,
        ) -> Result<(), Self::Error> {
            for event in self.decide(command)? {
                sink.write(event, self).await;
            }
            Ok(())
        }
    };
}
pub(crate) use handle_by_deciding;

pub mod alert;
pub mod artifact_bundle;
pub(crate) mod double_option;
pub mod dsn;
pub mod erasure;
pub mod event;
pub mod issue;
pub mod log_position;
pub mod metadata;
pub mod monitor;
pub mod organization;
pub mod project;
pub mod release;
pub mod role;
pub mod search;
pub mod service_hook;
pub mod slug;
pub mod upcast;
pub mod user;
