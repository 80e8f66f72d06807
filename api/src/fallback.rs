//! What a path no route knows, or a method a route lacks, answers: `{"detail"}`
//! JSON, like every other error.

use axum::http::Method;

use crate::error::ApiError;

/// `404 {"detail"}` for a path no route knows.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// `405 {"detail"}` for a known path and another method (axum adds `Allow`).
/// `Router::method_not_allowed_fallback` sets it on the routes registered so far,
/// replacing what their layers wrapped: a router with layers of its own (the
/// ingest routes' CORS, which answers preflight `OPTIONS` itself) sets it before
/// layering.
pub async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}
