//! One module per resource, each with its own `router()`.

pub mod fields;
pub mod health;
pub mod index;
pub mod keys;
pub mod organizations;
pub mod projects;
pub mod tokens;
