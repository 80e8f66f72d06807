//! Resources as Sentry's serializers show them, as JSON: what more than one route
//! module answers with. A route module renders its own resource here when another
//! one (or a future one) shows it too; these modules never import a route module.

pub mod event;
pub mod issue;
pub mod key;
pub mod monitor;
pub mod organization;
pub mod project;
pub mod release;
pub mod roles;
pub mod team;
pub mod user;
