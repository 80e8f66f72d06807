//! Where an aggregate's events are stored: `events`, kept for good, or
//! `ingested_events`, whose partitions retention drops.

use cqrs_es::Aggregate;
use faultline_domain::alert::Workflow;
use faultline_domain::artifact_bundle::ArtifactBundle;
use faultline_domain::issue::Issue;
use faultline_domain::monitor::Monitor;
use faultline_domain::organization::Organization;
use faultline_domain::project::Project;
use faultline_domain::release::Release;
use faultline_domain::service_hook::ServiceHook;
use faultline_domain::user::User;

/// Aggregates some of whose events are ingested data, subject to retention.
pub trait Placement: Aggregate {
    /// The project whose ingested data `event` is (stored in `ingested_events`),
    /// given the state after it; `None` for an event kept for good.
    fn ingested_in(_after: &Self, _event: &Self::Event) -> Option<i64> {
        None
    }
}

/// A monitor's check-ins are its project's ingested data; its definition and
/// incidents are kept.
impl Placement for Monitor {
    fn ingested_in(after: &Self, event: &Self::Event) -> Option<i64> {
        event.is_check_in().then(|| after.project_id())
    }
}

// An issue's occurrences are appended by the ingest pipeline, not by commands.
impl Placement for Issue {}
impl Placement for User {}
impl Placement for Organization {}
impl Placement for Project {}
impl Placement for Workflow {}
impl Placement for ServiceHook {}
impl Placement for Release {}
impl Placement for ArtifactBundle {}
