//! The one mapping from failures to HTTP responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with `{"detail": ...}`.
    #[error("{0}")]
    BadRequest(String),
    /// 400 with DRF-style field errors, e.g. `{"slug": ["..."]}`.
    #[error("invalid fields")]
    Fields(Value),
    /// 401: no or bad credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but lacking the scope.
    #[error("You do not have permission to perform this action.")]
    Forbidden,
    /// 404: unknown, or not the caller's to see.
    #[error("The requested resource does not exist")]
    NotFound,
    /// 409: a uniqueness rule or a concurrent change.
    #[error("{0}")]
    Conflict(String),
    /// 503: the database is unreachable; retry.
    #[error("service unavailable, retry later")]
    Unavailable,
    /// 500: a bug or a store failure; logged, never echoed.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal failure from any error.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(error))
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::Fields(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError::Unavailable
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(error) = &self {
            let mut chain = String::new();
            let mut source = error.source();
            while let Some(cause) = source {
                chain.push_str(&cause.to_string());
                chain.push_str("; ");
                source = cause.source();
            }
            tracing::error!(error.message = %error, error.cause_chain = %chain, "request failed");
        }
        let body = match self {
            ApiError::Fields(fields) => fields,
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
