//! What a path no route knows, or a method a route lacks, answers: `{"detail"}`
//! JSON, like every other error, but for a browser asking for a page outside the
//! API, which gets the web UI's 404 page.

use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// `404 {"detail"}` for a path no route knows; the UI's 404 page for a browser's
/// request of a page (it accepts `text/html`) outside `/api/`.
pub async fn not_found(headers: HeaderMap, uri: Uri) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !uri.path().starts_with("/api/") {
        return crate::ui::UiError::NotFound.into_response();
    }
    ApiError::NotFound.into_response()
}

/// `405 {"detail"}` for a known path and another method (axum adds `Allow`).
/// `Router::method_not_allowed_fallback` sets it on the routes registered so far,
/// replacing what their layers wrapped: a router with layers of its own (the
/// ingest routes' CORS, which answers preflight `OPTIONS` itself) sets it before
/// layering.
pub async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}
