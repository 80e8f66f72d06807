//! One module per resource, each with its own `router()`.

pub mod audit_logs;
pub mod events;
pub mod health;
pub mod index;
pub mod ingest;
pub mod issues;
pub mod keys;
pub mod members;
pub mod organizations;
pub mod projects;
pub mod teams;
pub mod tokens;
