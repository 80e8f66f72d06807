//! Our JSON body extractor: malformed bodies get our `{"detail": ...}` format.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use faultline_domain::event::{check_json_depth, MAX_JSON_DEPTH};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but rejections are [`ApiError::BadRequest`] with a detail that
/// says what is wrong, and bodies nested deeper than [`MAX_JSON_DEPTH`] are refused
/// before they are parsed.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        check_json_depth(&bytes, MAX_JSON_DEPTH).map_err(|e| {
            ApiError::BadRequest(format!("Failed to parse the request body as JSON: {e}"))
        })?;
        let request = Request::from_parts(parts, Body::from(bytes));
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Formats a time as Sentry does: ISO 8601 UTC with a `Z`.
pub fn date(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
