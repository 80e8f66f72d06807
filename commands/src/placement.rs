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

    /// The organization of the aggregate `aggregate_id`, where the id names it: its
    /// stream is then loaded from that partition alone (on Citus, one worker).
    fn organization_of_id(_aggregate_id: &str) -> Option<i64> {
        None
    }
}

/// The organization of an id of the form `<organization id>:<name>`
/// (`faultline_domain::release::stream_id` and its kind).
fn organization_prefix(aggregate_id: &str) -> Option<i64> {
    aggregate_id.split_once(':')?.0.parse().ok()
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

    fn organization_of_id(aggregate_id: &str) -> Option<i64> {
        organization_prefix(aggregate_id)
    }
}

/// The placement of an aggregate kept for good in its organization's partition, and
/// how its id names that organization, where it does.
macro_rules! kept_in_organization {
    ($($aggregate:ty => $organization:expr, $of_id:expr;)*) => {$(
        impl Placement for $aggregate {
            fn organization(&self) -> i64 {
                let organization: fn(&$aggregate) -> i64 = $organization;
                organization(self)
            }

            fn organization_of_id(aggregate_id: &str) -> Option<i64> {
                let of_id: fn(&str) -> Option<i64> = $of_id;
                of_id(aggregate_id)
            }
        }
    )*};
}

// An issue's occurrences are appended by the ingest pipeline, not by commands. An
// organization's id is its number.
kept_in_organization! {
    Issue => Issue::org_id, |_| None;
    Organization => |organization| organization.org_id().unwrap_or(0), |id| id.parse().ok();
    Project => Project::org_id, |_| None;
    Workflow => Workflow::org_id, |_| None;
    ServiceHook => ServiceHook::org_id, |_| None;
    Release => Release::org_id, organization_prefix;
    ArtifactBundle => ArtifactBundle::org_id, organization_prefix;
    User => |_| NO_ORGANIZATION, |_| Some(NO_ORGANIZATION);
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use faultline_domain::organization::{Organization, OrganizationEvent};
    use faultline_domain::slug::Slug;
    use faultline_domain::user::User;

    use super::{partition_of, Placement};

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
    fn an_organizations_id_and_a_releases_id_name_their_organization() {
        assert_eq!(Organization::organization_of_id("7"), Some(7));
        assert_eq!(
            faultline_domain::release::Release::organization_of_id("7:1.0:beta"),
            Some(7)
        );
        assert_eq!(
            faultline_domain::issue::Issue::organization_of_id("7"),
            None
        );
    }

    #[test]
    fn a_users_events_go_to_the_partition_of_no_organization() {
        assert_eq!(partition_of(&User::default(), &[]), 0);
    }
}
