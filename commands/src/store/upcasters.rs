//! The domain's upcasts ([`faultline_domain::upcast::UPCASTS`]) as cqrs-es
//! `EventUpcaster`s, so an [`super::AggregateStore`] reads old rows in today's shape.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use faultline_domain::upcast::{Upcast, UPCASTS};

/// One domain upcast, for the store.
struct DomainUpcaster(&'static Upcast);

impl EventUpcaster for DomainUpcaster {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        self.0.event_type == event_type && self.0.from_version == event_version
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        event.payload = (self.0.upcast)(event.payload);
        event.event_version = self.0.to_version.to_owned();
        event
    }
}

/// The upcasters of `aggregate_type`'s events, oldest first (so they chain).
pub fn registered(aggregate_type: &str) -> Vec<Box<dyn EventUpcaster>> {
    UPCASTS
        .iter()
        .filter(|upcast| upcast.aggregate_type == aggregate_type)
        .map(|upcast| Box::new(DomainUpcaster(upcast)) as Box<dyn EventUpcaster>)
        .collect()
}
