//! An issue's tags: `GET .../issues/{issue_id}/tags/`, `.../tags/{key}/` and
//! `.../tags/{key}/values/`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use faultline_projections::issues::queries;
use serde_json::Value;

use crate::auth::{Caller, OrgAccess};
use crate::error::ApiError;
use crate::issue_ops::TOP_TAG_VALUES;
use crate::pagination::{paged, PageParams};
use crate::params::percent_decode;
use crate::render::issue::{tag_summary_json, tag_value_json};
use crate::resolve::resolve_issue;
use crate::state::AppState;

/// The repeated `key=<tag>` parameters, if any.
fn key_filter(uri: &axum::http::Uri) -> Option<Vec<String>> {
    let keys: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("key="))
        .map(percent_decode)
        .collect();
    (!keys.is_empty()).then_some(keys)
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = Option<Vec<String>>, Query, description = "Only these keys (repeat)")),
    responses((status = 200, description = "Tag keys with their top values", body = Vec<crate::openapi::TagKey>))
)]
pub(super) async fn tags(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let keys = key_filter(&uri);
    let rows = queries::tag_keys(
        &state.pool,
        issue.org_id,
        issue.id,
        keys.as_deref(),
        TOP_TAG_VALUES,
    )
    .await?;
    Ok(Json(Value::Array(
        rows.iter().map(tag_summary_json).collect(),
    )))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/{key}/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = String, Path, description = "Tag key")),
    responses((status = 200, description = "The tag key with its top values", body = crate::openapi::TagKey))
)]
pub(super) async fn tag_detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, key)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let rows = queries::tag_keys(
        &state.pool,
        issue.org_id,
        issue.id,
        Some(std::slice::from_ref(&key)),
        TOP_TAG_VALUES,
    )
    .await?;
    let row = rows.first().ok_or(ApiError::NotFound)?;
    Ok(Json(tag_summary_json(row)))
}

#[utoipa::path(
    get,
    path = "/api/0/organizations/{org}/issues/{issue_id}/tags/{key}/values/",
    tag = "issues",
    params(("org" = String, Path, description = "Organization slug or numeric id"), ("issue_id" = String, Path, description = "Numeric issue id"), ("key" = String, Path, description = "Tag key"), crate::pagination::PageParams),
    responses((status = 200, description = "Values of the tag, most frequent first", body = Vec<crate::openapi::TagValue>, headers(("Link" = String, description = "Sentry-style cursors: rel=\"previous\" and rel=\"next\""))))
)]
pub(super) async fn tag_values(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, issue_id, key)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::resolve(&state, caller, &org).await?;
    let issue = resolve_issue(&state, &access, &issue_id).await?;
    let page = params.page()?;
    let found = queries::tag_values(&state.pool, issue.org_id, issue.id, &key, page).await?;
    if found.rows.is_empty() && page.offset == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(paged(&state.public_url, &uri, page, &found, tag_value_json))
}
