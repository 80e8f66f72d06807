//! Source map uploads as sentry-cli drives them, and the bundles they leave:
//! `/api/0/organizations/{org}/chunk-upload/` (options, chunks),
//! `/api/0/organizations/{org}/artifactbundle/assemble/`,
//! `/api/0/projects/{org}/{project}/files/artifact-bundles/` (list, delete) and
//! `/api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/`.
//!
//! - `chunks`: the upload options and the chunk upload (every hash checked).
//! - `assemble`: chunks → a bundle, recorded by the `artifact_bundle` aggregate.
//! - `list`: the settings list and deletion.
//! - `debug`: why an event's frames were or were not resolved.

mod assemble;
mod chunks;
mod debug;
mod list;

use axum::extract::DefaultBodyLimit;
use faultline_domain::role::Scope;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Who may upload bundles (Sentry's release permission).
const UPLOAD: [Scope; 3] = [
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may list them.
const READ: [Scope; 4] = [
    Scope::ProjectRead,
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];
/// Who may delete them.
const DELETE: [Scope; 3] = [
    Scope::ProjectWrite,
    Scope::ProjectAdmin,
    Scope::ProjectReleases,
];

/// Chunks per upload request, as advertised.
const CHUNKS_PER_REQUEST: u64 = 16;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chunks::options, chunks::upload))
        .routes(routes!(assemble::assemble))
        .routes(routes!(list::list, list::remove))
        .routes(routes!(debug::source_map_debug))
        // A chunk request carries up to CHUNKS_PER_REQUEST chunks: the ingest body limits
        // do not apply here; the handler checks each chunk against the upload limits.
        .layer(DefaultBodyLimit::max(160 * 1024 * 1024))
}
