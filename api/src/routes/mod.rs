//! One module per resource, each with its own `router()`, merged in `lib.rs`.
//!
//! A route module (a file or folder directly here) never imports another: what two
//! of them share lives in a helper module outside `routes/` (`render` for JSON shapes,
//! `resolve` for finding a project, team or issue from the path, `params`, `fields`,
//! `pagination`, ...), and helper modules never import a route module. The test below
//! checks it.

pub mod artifact_bundles;
pub mod audit_logs;
pub mod detectors;
pub mod environments;
pub mod erasures;
pub mod events;
pub mod grouping_info;
pub mod health;
pub mod home;
pub mod index;
pub mod ingest;
pub mod issues;
pub mod keys;
pub mod members;
pub mod metrics;
pub mod monitors;
pub mod notifications;
pub mod organizations;
pub mod projects;
pub mod releases;
pub mod service_hooks;
pub mod teams;
pub mod tokens;
pub mod workflows;

#[cfg(test)]
mod tests {
    use crate::openapi::tests::source_files;

    /// Route modules import helper modules, never each other, and helper modules never
    /// import a route module, so no import circles can form. Inside a route folder a
    /// file may use its siblings (`super::x`), never `super::super`; a route file may
    /// use `super::` only as `use super::*` in its tests.
    #[test]
    fn route_modules_import_no_other_route_module() {
        let mut crossing = Vec::new();
        for (relative, text) in source_files() {
            // The two places that assemble the routers.
            if relative == "lib.rs" || relative == "routes/mod.rs" {
                continue;
            }
            let parts: Vec<&str> = relative.split('/').collect();
            let own = match parts.as_slice() {
                ["routes", name] => Some(name.trim_end_matches(".rs")),
                ["routes", name, ..] => Some(*name),
                _ => None,
            };
            for (at, _) in text.match_indices("routes::") {
                let named: String = text[at + "routes::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if own != Some(named.as_str()) {
                    crossing.push(format!("{relative}: routes::{named}"));
                }
            }
            let upward = if parts.len() == 2 {
                text.match_indices("super::")
                    .filter(|(at, _)| !text[*at..].starts_with("super::*"))
                    .count()
            } else {
                text.matches("super::super").count()
            };
            if own.is_some() && upward > 0 {
                crossing.push(format!("{relative}: super:: out of its route module"));
            }
        }
        assert_eq!(crossing, Vec::<String>::new());
    }
}
