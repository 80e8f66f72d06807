//! Where an aggregate's events are stored: `events`, kept for good, or
//! `ingested_events`, whose partitions retention drops; and in which partition of the
//! log: the organization whose data they are.

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

/// The partition of the log of what belongs to no organization (users).
pub const NO_ORGANIZATION: i64 = 0;

/// Where an aggregate's events go: which table, and which partition of the log.
pub trait Placement: Aggregate + Clone {
    /// The project whose ingested data `event` is (stored in `ingested_events`),
    /// given the state before it; `None` for an event kept for good.
    fn ingested_in(_before: &Self, _event: &Self::Event) -> Option<i64> {
        None
    }

    /// The organization whose data the aggregate is, once created; 0 for an aggregate
    /// of no organization (a user).
    fn organization(&self) -> i64;
}

/// The log partition of `events` appended to an aggregate in state `before`: its
/// organization, or, for the events that create it, the one they name.
pub fn partition_of<A: Placement>(before: &A, events: &[A::Event]) -> i64 {
    let organization = before.organization();
    if organization != NO_ORGANIZATION || events.is_empty() {
        return organization;
    }
    let mut after = before.clone();
    for event in events {
        after.apply(event.clone());
    }
    after.organization()
}

/// A monitor's check-ins are its project's ingested data; its definition and
/// incidents are kept.
impl Placement for Monitor {
    fn ingested_in(before: &Self, event: &Self::Event) -> Option<i64> {
        event.is_check_in().then(|| before.project_id())
    }

    fn organization(&self) -> i64 {
        self.org_id()
    }
}

/// The placement of an aggregate kept for good in its organization's partition.
macro_rules! kept_in_organization {
    ($($aggregate:ty => $organization:expr),* $(,)?) => {$(
        impl Placement for $aggregate {
            fn organization(&self) -> i64 {
                let organization: fn(&$aggregate) -> i64 = $organization;
                organization(self)
            }
        }
    )*};
}

// An issue's occurrences are appended by the ingest pipeline, not by commands.
kept_in_organization! {
    Issue => Issue::org_id,
    Organization => |organization| organization.org_id().unwrap_or(0),
    Project => Project::org_id,
    Workflow => Workflow::org_id,
    ServiceHook => ServiceHook::org_id,
    Release => Release::org_id,
    ArtifactBundle => ArtifactBundle::org_id,
    User => |_| NO_ORGANIZATION,
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use faultline_domain::organization::{Organization, OrganizationEvent};
    use faultline_domain::slug::Slug;
    use faultline_domain::user::User;

    use super::partition_of;

    fn created(org_id: i64) -> OrganizationEvent {
        OrganizationEvent::OrganizationCreated {
            org_id,
            name: "Acme".into(),
            slug: Slug::parse("acme").unwrap(),
            at: Utc::now(),
        }
    }

    #[test]
    fn the_events_that_create_an_aggregate_go_to_the_organization_they_name() {
        let partition = partition_of(&Organization::default(), &[created(5)]);

        assert_eq!(partition, 5);
    }

    #[test]
    fn later_events_go_to_the_organization_of_the_state() {
        let mut organization = Organization::default();
        cqrs_es::Aggregate::apply(&mut organization, created(5));

        let partition = partition_of(&organization, &[created(6)]);

        assert_eq!(partition, 5);
    }

    #[test]
    fn a_users_events_go_to_the_partition_of_no_organization() {
        assert_eq!(partition_of(&User::default(), &[]), 0);
    }
}
