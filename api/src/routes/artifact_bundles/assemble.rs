//! `POST /api/0/organizations/{org}/artifactbundle/assemble/`: the uploaded chunks
//! become a bundle. sentry-cli calls it first to learn which chunks are missing, then,
//! once it uploaded them, again to assemble. Assembly is synchronous: the answer is
//! `ok` only once the bundle is recorded and its files resolve frames; nothing of a
//! bundle that fails a check becomes visible.

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use faultline_commands::artifacts::unpack::{unpack, Unpacked};
use faultline_commands::artifacts::{blobs, is_sha1, sha1_hex};
use faultline_domain::artifact_bundle::{
    stream_id, ArtifactBundle, ArtifactBundleCommand, BundleFile, NewBundle,
};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::UPLOAD;
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::resolve::resolve_project;
use crate::state::AppState;

/// What sentry-cli sends.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ArtifactBundleAssemble)]
pub(super) struct AssembleBody {
    /// SHA-1 of the whole bundle.
    checksum: String,
    /// SHA-1 of each chunk, in order.
    #[serde(default)]
    chunks: Vec<String>,
    /// Project slugs (or ids) the bundle serves.
    #[serde(default)]
    projects: Vec<String>,
    /// The release.
    version: Option<String>,
    /// The distribution.
    dist: Option<String>,
}

fn state(state: &str, missing: &[String], detail: Option<String>) -> Json<Value> {
    Json(json!({"state": state, "missingChunks": missing, "detail": detail}))
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/artifactbundle/assemble/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body = AssembleBody,
    responses(
        (status = 200, description = "`{state, missingChunks, detail}`: `not_found` with the chunks to upload, `ok` once recorded, `error` with why"),
        (status = 400, description = "A malformed checksum, an unknown project, a dist without a release", body = crate::openapi::ErrorDetail),
        (status = 404, description = "No such organization", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn assemble(
    State(app): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    // The organization and the caller's scope first: another organization's route
    // answers 404 whatever the body.
    let access = OrgAccess::resolve(&app, caller, &org).await?;
    access.require(&UPLOAD)?;
    let body: AssembleBody = serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid assemble request: {e}")))?;
    let checksum = body.checksum.to_ascii_lowercase();
    let chunks: Vec<String> = body.chunks.iter().map(|c| c.to_ascii_lowercase()).collect();
    if !is_sha1(&checksum) || !chunks.iter().all(|c| is_sha1(c)) {
        return Err(ApiError::BadRequest(
            "Checksums must be 40 hexadecimal digits (SHA-1)".into(),
        ));
    }
    let version = body.version.filter(|v| !v.is_empty());
    let dist = body.dist.filter(|d| !d.is_empty());
    if dist.is_some() && version.is_none() {
        return Err(ApiError::BadRequest(
            "You need to specify a release together with a dist".into(),
        ));
    }
    if body.projects.is_empty() {
        return Err(ApiError::BadRequest(
            "You need to specify at least one project".into(),
        ));
    }
    let mut project_ids = Vec::new();
    for project in &body.projects {
        let project = resolve_project(&app, &access, project)
            .await
            .map_err(|_| ApiError::BadRequest("One or more projects are invalid".into()))?;
        project_ids.push(project.id);
    }
    if chunks.is_empty() {
        return Ok(state("not_found", &[], None));
    }
    let org_id = access.org.id;
    let missing = blobs::missing(&app.pool, org_id, &chunks).await?;
    if !missing.is_empty() {
        return Ok(state("not_found", &missing, None));
    }
    let limit = app.source_maps.limits.bundle_size;
    let bytes = match blobs::concat(&app.pool, org_id, &chunks, limit).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(state("not_found", &chunks, None)),
        Err(blobs::Concat::TooLarge(size)) => {
            let detail = format!("The bundle of {size} bytes exceeds the limit of {limit} bytes");
            return Ok(state("error", &[], Some(detail)));
        }
        Err(blobs::Concat::Database(error)) => return Err(error.into()),
    };
    if sha1_hex(&bytes) != checksum {
        let detail = "Checksum mismatch: the chunks do not make up the bundle".to_owned();
        return Ok(state("error", &[], Some(detail)));
    }
    let size = bytes.len() as u64;
    let unpacked = tokio::task::spawn_blocking(move || unpack(&bytes, limit))
        .await
        .map_err(ApiError::internal)?;
    let unpacked = match unpacked {
        Ok(unpacked) => unpacked,
        Err(error) => return Ok(state("error", &[], Some(error.to_string()))),
    };
    let Unpacked {
        bundle_id,
        release,
        dist: manifest_dist,
        files,
    } = unpacked;
    // The files' bytes first, then the event that makes them visible.
    let mut tx = app.pool.begin().await?;
    let mut index: Vec<BundleFile> = Vec::with_capacity(files.len());
    for (file, data) in files {
        blobs::put(&mut tx, org_id, &file.checksum, &data).await?;
        index.push(file);
    }
    tx.commit().await?;
    let release = version.or(release);
    let bundle = NewBundle {
        org_id,
        bundle_id: bundle_id.unwrap_or_else(|| id_from_checksum(&checksum)),
        checksum: checksum.clone(),
        size,
        project_ids,
        dist: if release.is_some() {
            dist.or(manifest_dist)
        } else {
            None
        },
        release,
        files: index,
    };
    let files = bundle.files.len();
    let projects = bundle.project_ids.clone();
    app.execute::<ArtifactBundle>(
        &stream_id(org_id, &checksum),
        ArtifactBundleCommand::Upload {
            bundle,
            at: Utc::now(),
        },
        &access.caller.metadata(),
    )
    .await?;
    app.source_maps.uploaded(&projects).await;
    tracing::info!(org_id, %checksum, files, "artifact bundle assembled");
    Ok(state("ok", &[], None))
}

/// A bundle without a `debug_id` in its manifest is named by its checksum, as a UUID.
fn id_from_checksum(checksum: &str) -> String {
    let hex = &checksum[..32];
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
