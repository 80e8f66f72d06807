//! `GET` and `POST /api/0/organizations/{org}/chunk-upload/`.

use std::io::Read;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::Json;
use faultline_commands::artifacts::{blobs, is_sha1, sha1_hex};
use serde_json::{json, Value};

use super::{CHUNKS_PER_REQUEST, UPLOAD};
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/chunk-upload/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    responses(
        (status = 200, description = "How sentry-cli should upload chunks"),
        (status = 404, description = "No such organization", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn options(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&UPLOAD)?;
    let limits = state.source_maps.limits;
    Ok(Json(json!({
        "url": format!("{}/api/0/organizations/{}/chunk-upload/", state.public_url, access.org.slug),
        "chunkSize": limits.chunk_size,
        "chunksPerRequest": CHUNKS_PER_REQUEST,
        "maxFileSize": limits.bundle_size,
        "maxRequestSize": limits.chunk_size * CHUNKS_PER_REQUEST,
        "concurrency": 4,
        "hashAlgorithm": "sha1",
        "compression": ["gzip"],
        // `release_files` keeps sentry-cli 2.x on artifact bundles (without it, 2.x
        // falls back to the legacy per-file upload); 3.x always uses bundles.
        "accept": ["release_files", "artifact_bundles", "artifact_bundles_v2", "sources"],
        "maxWait": 60,
    })))
}

#[utoipa::path(
    post,
    path = "/api/0/organizations/{org}/chunk-upload/",
    tag = "sourcemaps",
    params(("org" = String, Path, description = "Organization slug or numeric id")),
    request_body(content_type = "multipart/form-data", description = "Parts `file` or `file_gzip`, each named by the SHA-1 of its uncompressed bytes"),
    responses(
        (status = 200, description = "Every chunk stored"),
        (status = 400, description = "A chunk whose bytes do not match its name, or a malformed body", body = crate::openapi::ErrorDetail),
        (status = 413, description = "A chunk over the chunk size", body = crate::openapi::ErrorDetail)
    )
)]
pub(super) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    // The organization and the caller's scope before the body: another organization's
    // route answers 404 whatever is sent.
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    access.require(&UPLOAD)?;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::BadRequest(format!("invalid chunk upload: {}", e.body_text())))?;
    let limit = state.source_maps.limits.chunk_size;
    let bad =
        |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("invalid chunk upload: {e}"));
    let mut chunks = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        let gzip = match field.name() {
            Some("file_gzip") => true,
            Some("file") => false,
            _ => continue,
        };
        let name = field.file_name().unwrap_or_default().to_ascii_lowercase();
        if !is_sha1(&name) {
            return Err(ApiError::BadRequest(format!(
                "chunk name {name:?} is not a SHA-1 checksum"
            )));
        }
        let bytes = field.bytes().await.map_err(|e| bad(&e))?;
        let data = if gzip {
            gunzip(&bytes, limit)?
        } else {
            bytes.to_vec()
        };
        if data.len() as u64 > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "Chunk size exceeds the limit of {limit} bytes"
            )));
        }
        if sha1_hex(&data) != name {
            return Err(ApiError::BadRequest(format!(
                "Checksum mismatch: the chunk named {name} has other bytes"
            )));
        }
        chunks.push((name, data));
        if chunks.len() as u64 > CHUNKS_PER_REQUEST * 4 {
            return Err(ApiError::PayloadTooLarge(
                "Too many chunks in one request".into(),
            ));
        }
    }
    // Every chunk checked before any is stored: a refused request stores nothing.
    let mut tx = state.pool.begin().await?;
    for (name, data) in &chunks {
        blobs::put(&mut tx, access.org.id, name, data).await?;
    }
    tx.commit().await?;
    tracing::debug!(
        org_id = access.org.id,
        chunks = chunks.len(),
        "chunks stored"
    );
    Ok(StatusCode::OK)
}

fn gunzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::BadRequest(format!("invalid gzip chunk: {e}")))?;
    Ok(out)
}
