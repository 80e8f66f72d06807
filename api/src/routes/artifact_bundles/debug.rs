//! `GET /api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/`: for every
//! frame of the event as the SDK sent it, whether a bundle with its debug id, or a
//! file and map at its URL in its release, exists now, in Sentry's schema. What the
//! event itself recorded at ingest (resolved frames, `errors`) does not change: this
//! tells what an event sent now would find.

use axum::extract::{Path, State};
use axum::Json;
use faultline_domain::event::sourcemaps::urls;
use faultline_projections::artifact_bundles::queries::{self, FileRow};
use faultline_projections::issues::queries as events;
use serde_json::{json, Value};

use super::READ;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::render::event::occurrence;
use crate::resolve::resolve_org_project;
use crate::state::AppState;

/// The first JavaScript SDK version that sends debug ids.
const MIN_DEBUG_ID_SDK_VERSION: &str = "7.56.0";

#[utoipa::path(
    get,
    path = "/api/0/projects/{org}/{project}/events/{event_id}/source-map-debug/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("project" = String, Path, description = "Project slug or numeric id"), ("event_id" = String, Path, description = "Event id (32 hex digits)")),
    responses(
        (status = 200, description = "Per exception and frame, what the debug id and release lookups find"),
        (status = 404, description = "No such event in the project", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn source_map_debug(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (access, project) = resolve_org_project(&state, caller, &org, &project).await?;
    access.require(&READ)?;
    let event_id =
        faultline_domain::event::normalize_event_id(&event_id).ok_or(ApiError::NotFound)?;
    let row = events::event_in_project(&state.pool, access.org.id, project.id, &event_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = occurrence(&row)?.data;
    let (org_id, project_id) = (access.org.id, project.id);
    let release = data["release"].as_str().filter(|r| !r.is_empty());
    let dist = data["dist"].as_str().filter(|d| !d.is_empty());
    let images: Vec<(String, String)> = data["debug_meta"]["images"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["type"] == "sourcemap")
        .filter_map(|i| {
            Some((
                i["code_file"].as_str()?.to_owned(),
                i["debug_id"].as_str()?.to_lowercase(),
            ))
        })
        .collect();
    let mut exceptions = Vec::new();
    for exception in data["exception"]["values"].as_array().into_iter().flatten() {
        let stacktrace = exception
            .get("raw_stacktrace")
            .unwrap_or(&exception["stacktrace"]);
        let mut frames = Vec::new();
        for frame in stacktrace["frames"].as_array().into_iter().flatten() {
            let abs_path = frame["abs_path"]
                .as_str()
                .or(frame["filename"].as_str())
                .unwrap_or_default();
            let debug_id = images
                .iter()
                .find(|(file, _)| file == abs_path)
                .map(|(_, id)| id.clone());
            let by_id = match &debug_id {
                Some(id) => queries::files_by_debug_id(&state.pool, org_id, project_id, id).await?,
                None => Vec::new(),
            };
            let release_process = match release {
                Some(release) if !abs_path.is_empty() => Some(
                    release_process(&state, (org_id, project_id), (release, dist), abs_path)
                        .await?,
                ),
                _ => None,
            };
            frames.push(json!({
                "debug_id_process": {
                    "debug_id": debug_id,
                    "uploaded_source_file_with_correct_debug_id":
                        by_id.iter().any(|f| f.file_type == "minified_source"),
                    "uploaded_source_map_with_correct_debug_id":
                        by_id.iter().any(|f| f.file_type == "source_map"),
                },
                "release_process": release_process,
                "scraping_process": {"source_file": null, "source_map": null},
            }));
        }
        exceptions.push(json!({ "frames": frames }));
    }
    let facts = queries::upload_facts(&state.pool, org_id, project_id, release).await?;
    let sdk_name = data["sdk"]["name"].as_str().unwrap_or_default();
    let sdk_version = data["sdk"]["version"].as_str();
    Ok(Json(json!({
        "dist": dist,
        "release": release,
        "exceptions": exceptions,
        "has_debug_ids": !images.is_empty(),
        "min_debug_id_sdk_version": MIN_DEBUG_ID_SDK_VERSION,
        "sdk_version": sdk_version,
        "project_has_some_artifact_bundle": facts.project_has_some_artifact_bundle,
        "release_has_some_artifact": facts.release_has_some_artifact,
        "has_uploaded_some_artifact_with_a_debug_id": facts.has_uploaded_some_artifact_with_a_debug_id,
        "sdk_debug_id_support": debug_id_support(sdk_name, sdk_version),
        "has_scraping_data": false,
    })))
}

/// What the release lookup finds for `abs_path`: the minified file and its map.
async fn release_process(
    state: &AppState,
    (org_id, project_id): (i64, i64),
    (release, dist): (&str, Option<&str>),
    abs_path: &str,
) -> Result<Value, ApiError> {
    let candidates = urls::candidates(abs_path);
    let files = queries::files_by_url(&state.pool, org_id, project_id, &candidates).await?;
    let in_release = |f: &&FileRow| f.release.as_deref() == Some(release);
    let lookup = |files: &[&FileRow]| {
        if files.iter().any(|f| f.dist.as_deref() == dist) {
            "found"
        } else if files.is_empty() {
            "unsuccessful"
        } else {
            "wrong-dist"
        }
    };
    let minified: Vec<&FileRow> = files
        .iter()
        .filter(|f| f.file_type == "minified_source")
        .filter(in_release)
        .collect();
    let source_file_lookup_result = lookup(&minified);
    let chosen = minified
        .iter()
        .find(|f| f.dist.as_deref() == dist)
        .or(minified.first());
    let reference = chosen.and_then(|f| f.sourcemap.clone());
    let map_name = chosen
        .zip(reference.as_deref())
        .map(|(file, reference)| urls::resolve_reference(&file.url, reference));
    let source_map_lookup_result = match &map_name {
        Some(name) => {
            let maps =
                queries::files_by_url(&state.pool, org_id, project_id, std::slice::from_ref(name))
                    .await?;
            let maps: Vec<&FileRow> = maps
                .iter()
                .filter(|f| f.file_type == "source_map")
                .filter(in_release)
                .collect();
            lookup(&maps)
        }
        None => "unsuccessful",
    };
    let matching: Vec<&str> = minified.iter().map(|f| f.url.as_str()).collect();
    Ok(json!({
        "abs_path": abs_path,
        "matching_source_file_names": if matching.is_empty() { json!(candidates) } else { json!(matching) },
        "matching_source_map_name": map_name,
        "source_map_reference": reference,
        "source_file_lookup_result": source_file_lookup_result,
        "source_map_lookup_result": source_map_lookup_result,
    }))
}

/// Sentry's verdict on whether the SDK can send debug ids.
fn debug_id_support(sdk_name: &str, sdk_version: Option<&str>) -> &'static str {
    if !sdk_name.starts_with("sentry.javascript.") {
        return "unofficial-sdk";
    }
    let minimum = semver::Version::parse(MIN_DEBUG_ID_SDK_VERSION).expect("a valid version");
    match sdk_version.and_then(|v| semver::Version::parse(v).ok()) {
        Some(version) if version >= minimum => "full",
        Some(_) => "needs-upgrade",
        None => "not-supported",
    }
}
