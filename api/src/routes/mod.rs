//! One module per resource, each with its own `router()`.

pub mod fields;
pub mod health;
pub mod index;
pub mod members;
pub mod organizations;
pub mod roles;
pub mod teams;
